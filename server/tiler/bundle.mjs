// The tiler as one pre-built JavaScript file: the CLI starts in ~0.1 s instead of compiling TypeScript on every run,
// and conversion workers (worker_threads) load the same file whether the caller runs under tsx, Vitest or plain Node.
// CommonJS, so that bin.mjs can compile it with a V8 code cache (Node 20 has none for ES modules); workers and
// import() load it as any CommonJS file.
// Built with esbuild into node_modules/.cache/plaza-tiler/ (falling back to the OS temp folder), keyed by a hash of the
// tiler's sources, so an edited source rebuilds on the next run. Hashing every source costs each start ~10 ms, so a
// stamp file per source folder remembers the bundle of the sources' last seen sizes and modification times; only when
// they change are the sources hashed again. Plain JavaScript on purpose: bin.mjs runs it without any TypeScript loader.
import { createRequire } from 'node:module';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TILER_DIRECTORY = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(TILER_DIRECTORY, '..', '..');
const ENTRY = path.join(TILER_DIRECTORY, 'entry.ts');

/**
 * The tiler's source files with their sizes and modification times.
 * @param {string} directory @param {Array<{ file: string, stamp: string }>} sources
 */
function listSources(directory, sources) {
  for (const name of readdirSync(directory).sort()) {
    const full = path.join(directory, name);
    const stat = statSync(full);
    if (stat.isDirectory()) listSources(full, sources);
    else if (/\.(ts|mjs|json)$/.test(name))
      sources.push({
        file: full,
        stamp: `${path.relative(TILER_DIRECTORY, full)} ${stat.size} ${stat.mtimeMs}`,
      });
  }
  return sources;
}

/**
 * A hash of every tiler source file and the esbuild version: the bundle's cache key.
 * @param {string} esbuildVersion @param {Array<{ file: string }>} sources
 */
async function sourceHash(esbuildVersion, sources) {
  // Loaded only here: the bundle includes this file, and a conversion would otherwise load node:crypto (~7 ms) for nothing.
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update(esbuildVersion);
  for (const { file } of sources) {
    hash.update(path.relative(TILER_DIRECTORY, file));
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The name of this source folder's stamp file (several checkouts may share one cache folder): the sources' sizes and
 * times, and the bundle built from them. FNV-1a of the folder's path names it.
 */
const STAMP_NAME = (() => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < TILER_DIRECTORY.length; index++)
    hash = Math.imul(hash ^ TILER_DIRECTORY.charCodeAt(index), 0x01000193) >>> 0;
  return `stamp-${hash.toString(16).padStart(8, '0')}.json`;
})();

/** The stamp file in a cache folder. */
function stampFile(directory) {
  return path.join(directory, STAMP_NAME);
}

/** The bundle that the stamp file names, when the sources and esbuild are as they were then and the bundle exists. */
function stampedBundle(directory, stamp) {
  try {
    const stamped = JSON.parse(readFileSync(stampFile(directory), 'utf8'));
    if (stamped.stamp !== stamp || !/^tiler-[0-9a-f]+\.cjs$/.test(stamped.bundle)) return undefined;
    const file = path.join(directory, stamped.bundle);
    return existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers which bundle these sources make (written aside and renamed, so a reader never sees half a file). */
function writeStamp(directory, stamp, file) {
  try {
    const temporary = `${stampFile(directory)}.${process.pid}`;
    writeFileSync(temporary, JSON.stringify({ stamp, bundle: path.basename(file) }));
    renameSync(temporary, stampFile(directory));
  } catch {
    // Without a stamp the next start hashes the sources again.
  }
}

function cacheDirectories() {
  return [path.join(ROOT, 'node_modules', '.cache', 'plaza-tiler'), path.join(tmpdir(), 'plaza-tiler-cache')];
}

/**
 * Bundles of older sources with their source maps and code caches (see bin.mjs), unused for an hour (a running
 * conversion may still start workers on its own).
 */
function removeStaleBundles(directory, keep) {
  const hourAgo = Date.now() - 3_600_000;
  for (const entry of readdirSync(directory)) {
    if (!/^tiler-[0-9a-f]+\.[cm]js(\.map|\.[0-9a-f]+\.cache(\.\d+)?)?$/.test(entry) || entry.startsWith(keep))
      continue;
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
  const version = esbuildVersion();
  const sources = listSources(TILER_DIRECTORY, []);
  const stamp = [version, ...sources.map((source) => source.stamp)].join('\n');
  for (const directory of cacheDirectories()) {
    const file = stampedBundle(directory, stamp);
    if (file) return file;
  }
  const name = `tiler-${await sourceHash(version, sources)}.cjs`;
  let lastError;
  for (const directory of cacheDirectories()) {
    const file = path.join(directory, name);
    if (existsSync(file)) {
      writeStamp(directory, stamp, file);
      return file;
    }
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
        // CommonJS, not ESM: Node 20 has no code cache for ES modules, and bin.mjs compiles this file with one.
        format: 'cjs',
        target: 'node20',
        define: { PLAZA_TILER_BUNDLED: 'true', 'import.meta.url': 'plazaBundleUrl' },
        external: ['esbuild'],
        // npm packages are bundled too, so the file runs from any folder. The sources' import.meta.url (there is no
        // import.meta in CommonJS) names this file.
        banner: { js: "const plazaBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
        sourcemap: 'linked',
        logLevel: 'silent',
      });
      renameSync(`${temporary}.map`, `${file}.map`);
      renameSync(temporary, file);
      rmSync(staging, { recursive: true, force: true });
      removeStaleBundles(directory, name);
      writeStamp(directory, stamp, file);
      return file;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot build the tiler bundle: ${lastError?.message ?? lastError}`);
}
