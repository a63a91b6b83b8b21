// Vite build of the browser app: Svelte 5 plus CesiumJS, whose static assets are copied verbatim under /cesium/.
import { cpSync, existsSync, statSync, createReadStream } from 'node:fs';
import { join, normalize, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const CESIUM_BUILD = join(ROOT, 'node_modules/cesium/Build/Cesium');
/** Cesium's run-time folders: web workers, imagery and icons, widget CSS, and third-party WASM. */
const CESIUM_FOLDERS = ['Workers', 'Assets', 'Widgets', 'ThirdParty'];
const CESIUM_BASE_URL = '/cesium/';

const MEDIA_TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** Serves Cesium's static folders in development and copies them into the build output. */
function copyCesiumAssets(): Plugin {
  let outDir = join(ROOT, 'dist');
  return {
    name: 'plaza-cesium-assets',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(CESIUM_BASE_URL, (request, response, next) => {
        const path = normalize(decodeURIComponent((request.url ?? '/').split('?')[0]));
        const file = join(CESIUM_BUILD, path);
        if (!file.startsWith(CESIUM_BUILD) || !existsSync(file) || !statSync(file).isFile()) return next();
        response.setHeader('Content-Type', MEDIA_TYPES[extname(file)] ?? 'application/octet-stream');
        createReadStream(file).pipe(response);
      });
    },
    writeBundle() {
      for (const folder of CESIUM_FOLDERS) {
        cpSync(join(CESIUM_BUILD, folder), join(outDir, 'cesium', folder), { recursive: true });
      }
    },
  };
}

export default defineConfig({
  plugins: [svelte(), copyCesiumAssets()],
  define: {
    CESIUM_BASE_URL: JSON.stringify(CESIUM_BASE_URL),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 8000,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      '/health': 'http://localhost:8080',
      '/tiles': 'http://localhost:8080',
      '/collections': 'http://localhost:8080',
      '/ngsi-ld': 'http://localhost:8080',
      '/live': 'http://localhost:8080',
    },
  },
});
