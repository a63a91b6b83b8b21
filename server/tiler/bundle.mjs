// The tiler as one pre-built JavaScript file: the CLI starts in ~0.1 s instead of compiling TypeScript on every run,
// and conversion workers (worker_threads) load the same file whether the caller runs under tsx, Vitest or plain Node.
// Built with esbuild into node_modules/.cache/plaza-tiler/ (falling back to the OS temp folder), keyed by a hash of the
// tiler's sources, so an edited source rebuilds on the next run. Plain JavaScript on purpose: bin.mjs runs it without any TypeScript loader.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TILER_DIRECTORY = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(TILER_DIRECTORY, '..', '..');
const ENTRY = path.join(TILER_DIRECTORY, 'entry.ts');

/** @param {string} directory @param {string[]} files */
function listSources(directory, files) {
  for (const name of readdirSync(directory).sort()) {
    const full = path.join(directory, name);
    if (statSync(full).isDirectory()) listSources(full, files);
    else if (/\.(ts|mjs|json)$/.test(name)) files.push(full);
  }
  return files;
}

/** A hash of every tiler source file and the esbuild version: the bundle's cache key. */
function sourceHash(esbuildVersion) {
  const hash = createHash('sha256').update(esbuildVersion);
  for (const file of listSources(TILER_DIRECTORY, [])) {
    hash.update(path.relative(TILER_DIRECTORY, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function cacheDirectories() {
  return [path.join(ROOT, 'node_modules', '.cache', 'plaza-tiler'), path.join(tmpdir(), 'plaza-tiler-cache')];
}

/** Bundles of older sources, unused for an hour (a running conversion may still start workers on its own). */
function removeStaleBundles(directory, keep) {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(directory)) {
    if (!/^tiler-[0-9a-f]+\.mjs(\.map)?$/.test(entry) || entry.startsWith(keep)) continue;
    const full = path.join(directory, entry);
    try {
      if (statSync(full).mtimeMs < hourAgo) rmSync(full, { force: true });
    } catch {
      // Another process removed it first.
    }
  }
}

let pending;

/**
 * Returns the path of the bundled tiler (entry.ts: the CLI's runTilerProcess and the worker loop), building it when
 * missing or stale. Concurrent builders write to a temporary name and rename, so readers never see half a file.
 * @returns {Promise<string>}
 */
export function ensureTilerBundle() {
  // Inside the bundle (a worker pool started by the bundled CLI), the bundle is this very file.
  if (typeof PLAZA_TILER_BUNDLED !== 'undefined') return Promise.resolve(fileURLToPath(import.meta.url));
  pending ??= build().catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** esbuild's version from its package.json: importing esbuild itself costs ~35 ms of every CLI start. */
function esbuildVersion() {
  return JSON.parse(readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'))
    .version;
}

async function build() {
  const name = `tiler-${sourceHash(esbuildVersion())}.mjs`;
  let lastError;
  for (const directory of cacheDirectories()) {
    const file = path.join(directory, name);
    if (existsSync(file)) return file;
    try {
      const esbuild = await import('esbuild');
      mkdirSync(directory, { recursive: true });
      // Built under its final name in a private folder (the source map link names the file), then moved in.
      const staging = path.join(directory, `.build-${process.pid}-${Date.now()}`);
      const temporary = path.join(staging, name);
      await esbuild.build({
        entryPoints: [ENTRY],
        outfile: temporary,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        define: { PLAZA_TILER_BUNDLED: 'true' },
        external: ['esbuild'],
        // npm packages are bundled too, so the file runs from any folder; CommonJS packages that require Node's
        // built-ins get a real `require`.
        banner: {
          js: "import { createRequire as plazaCreateRequire } from 'node:module'; const require = plazaCreateRequire(import.meta.url);",
        },
        sourcemap: 'linked',
        logLevel: 'silent',
      });
      renameSync(`${temporary}.map`, `${file}.map`);
      renameSync(temporary, file);
      rmSync(staging, { recursive: true, force: true });
      removeStaleBundles(directory, name);
      return file;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot build the tiler bundle: ${lastError?.message ?? lastError}`);
}
