// `npm run tiles`: runs the pre-built tiler bundle (see bundle.mjs), so the CLI starts without compiling TypeScript.
// For large inputs, this process only finds (or builds) the bundle and runs it in a child process started with settings
// that must be in place before a process starts:
// - a young generation of 4 MB semi-spaces instead of V8's 16 MB: the tiler's short-lived garbage (per element and per
//   object) dies young either way, so the smaller nursery costs no measurable time, and peak RSS is ~12 MB lower at
//   1,000 buildings and ~20 MB lower at 20,000 (median of A/B runs, --workers 1);
// - on Linux, MALLOC_MMAP_THRESHOLD_=65536: glibc then returns freed blocks of 64 KB and more (typed arrays of one
//   tile) to the system at once instead of keeping them, which keeps peak RSS about 20% lower on large inputs at no
//   measurable cost in time.
// Small and medium inputs (see inProcessFlags) are converted in this process instead: a second Node start is 0.1-0.2
// s of their wall time. The child's settings cannot be had here, but at run time the young generation can be kept at
// its initial 1 MB semi-spaces (SEMI_SPACE_GROWTH), and that keeps peak RSS where the child's is (child vs here, median
// of 7-9 A/B, whole command): demo city 1k (6.4 MB) 63.9 vs 63.3 MB, 5k (31 MB) 75.8 vs 72.7 MB (with V8's default
// growth 76.5 MB, and more CPU: 1.24 vs 1.19 s); at 20k (125 MB) 79.3 vs 79.7 MB, and 1.4 MB of CityJSON 71.1 vs 73.6
// MB, so those stay in the child. The smallest also run without TurboFan (UNOPTIMIZED_WORK).
// The converting process runs only the bundle (esbuild, loaded here to build it, stays out of it), and loads what only
// the launcher needs (child_process, bundle.mjs) only when it launches. It compiles the bundle with a V8 code cache
// kept beside it (loadBundle), written after a run so that it holds every function the conversion compiled.
// Together, whole command vs the launcher before both (median of 7-9 A/B on a loaded machine): Bedburg (0.9 MB) CPU
// 0.55 -> 0.52 s, demo 1k wall 1.00 -> 0.81 s and CPU 0.85 -> 0.66 s, 5k CPU 1.32 -> 1.19 s.
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

const MMAP_THRESHOLD = '65536';
const SEMI_SPACE_MEGABYTES = 4;
/** Set in the child's environment: the bundle to run. */
const CHILD_BUNDLE = 'PLAZA_TILER_CHILD_BUNDLE';
/**
 * Inputs up to this size run in this process, whatever their format. Peak RSS, child vs this process (median of 5,
 * before SEMI_SPACE_GROWTH): 0.9 MB CityGML 64 vs 64 MB, 0.7 MB CityGML 63 vs 63, 1.0 MB textured CityGML 72 vs 73,
 * 50 KB CityJSON 56 vs 56; 1.4 MB CityJSON 80 vs 91 MB.
 */
export const SMALL_INPUT_BYTES = 1 << 20;
/**
 * Uncompressed CityGML inputs (.gml, .xml) up to this size run in this process too: the demo city at 5,000 buildings
 * (31 MB) does, at 20,000 (125 MB) the child's malloc setting is left to count for larger inputs.
 */
export const MEDIUM_CITYGML_BYTES = 32 << 20;
/**
 * V8 grows the young generation (by this factor) from 1 MB semi-spaces towards 16 MB while a conversion runs; the
 * maximum is fixed when the process starts, the factor is read at each growth. 1: it stays at 1 MB.
 */
const SEMI_SPACE_GROWTH = '--semi-space-growth-factor=1';
/** The CLI's options that take a value (cli.ts); any option not listed here or in FLAGS makes the run a child's. */
export const VALUE_OPTIONS = ['--out', '-o', '--crs', '--height-offset', '--lod', '--types', '--workers'];
/** The CLI's options without a value. */
export const FLAGS = ['--no-compress', '--quiet'];

/**
 * Work (CityGML bytes, other bytes counted CITYJSON_WORK_PER_BYTE times) up to which an in-process conversion runs
 * without TurboFan (--no-opt): its first compilation pages in some MB of the compiler's own code, and each concurrent
 * compilation leaves a malloc arena of 1-2 MB behind, while at this size optimized code does not earn back its compile
 * time. Peak RSS and CPU, median of 5: Bedburg CityGML (0.9 MB) 64 -> 52 MB, 0.48 -> 0.38 s; demo city CityGML 2 MB
 * 63 -> 51 MB, 0.63 -> 0.56 s; 3.9 MB 64 -> 51 MB but 0.73 -> 0.76 s; 6.4 MB 64 -> 53 MB but 0.92 -> 1.22 s.
 */
export const UNOPTIMIZED_WORK = 2 << 20;
/**
 * CityJSON gets slower without TurboFan sooner (250 KB: 0.65 -> 0.51 s, 500 KB already slower; 1 MB 1.0 -> 1.2 s and
 * 79 -> 86 MB), so its bytes count eight times. Compressed inputs (whose expanded size is unknown) never count as small.
 */
const CITYJSON_WORK_PER_BYTE = 8;
const CITYGML_NAME = /\.(gml|xml)$/i;

/**
 * How a command line is converted: undefined when in a child process (see above), else the V8 flags this process sets
 * before it converts in-process. In-process: every input a regular file (not a folder, not a pipe, whose size is
 * unknown), all of them together at most SMALL_INPUT_BYTES, or at most MEDIUM_CITYGML_BYTES where all are CityGML.
 * Anything it does not understand counts as large, so that the run keeps the child's settings; a wrong guess changes
 * only time and peak RSS, never the output.
 * @param {string[]} argv the CLI's arguments
 * @returns {string[] | undefined}
 */
export function inProcessFlags(argv) {
  let bytes = 0;
  let work = 0;
  let cityGmlOnly = true;
  let compressed = false;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    if (argument.startsWith('-')) {
      const flag = argument.includes('=') ? argument.slice(0, argument.indexOf('=')) : argument;
      if (VALUE_OPTIONS.includes(flag)) {
        if (flag === argument) index++;
      } else if (!FLAGS.includes(argument)) return undefined;
      continue;
    }
    try {
      const stat = statSync(argument);
      if (!stat.isFile()) return undefined;
      bytes += stat.size;
      const cityGml = CITYGML_NAME.test(argument);
      work += cityGml ? stat.size : stat.size * CITYJSON_WORK_PER_BYTE;
      if (!cityGml) cityGmlOnly = false;
      if (/\.gz$/i.test(argument)) compressed = true;
    } catch {
      return undefined;
    }
  }
  if (bytes > SMALL_INPUT_BYTES && !(cityGmlOnly && bytes <= MEDIUM_CITYGML_BYTES)) return undefined;
  return !compressed && work <= UNOPTIMIZED_WORK ? [SEMI_SPACE_GROWTH, '--no-opt'] : [SEMI_SPACE_GROWTH];
}

/**
 * The name part of this process's code caches: V8 accepts a cache only from a process with the same V8 flags (and
 * version), so the launcher's process and its child (--max-semi-space-size), and in-process runs with different
 * run-time flags (inProcessFlags), keep one each instead of replacing each other's on every run. FNV-1a of what sets
 * the flags.
 * @param {string[]} runtimeFlags the flags this process set with setFlagsFromString
 */
function codeCacheKey(runtimeFlags) {
  const flags = `${process.version} ${process.arch} ${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''} ${runtimeFlags.join(' ')}`;
  let hash = 0x811c9dc5;
  for (let index = 0; index < flags.length; index++)
    hash = Math.imul(hash ^ flags.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * A code cache file's V8 data, or undefined when it is missing or damaged. The file is a CRC-32 of the data and the
 * data: V8 checks a cache's version, flags and source length, but not its content (a damaged cache is either used as
 * it is or stops the process), so the checksum is ours. A cache that V8 rejects (another Node, other flags, another
 * bundle of the same length) costs only the compile it would have saved.
 * @param {string} file
 */
export function readCodeCache(file) {
  try {
    const content = readFileSync(file);
    if (content.length <= 4) return undefined;
    const data = content.subarray(4);
    return content.readUInt32LE(0) === crc32(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a code cache (aside and renamed, so a reader never sees half a file). @param {string} file @param {Buffer} data */
export function writeCodeCache(file, data) {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(crc32(data));
  const temporary = `${file}.${process.pid}`;
  try {
    writeFileSync(temporary, Buffer.concat([header, data]));
    renameSync(temporary, file);
  } catch {
    // A read-only cache folder or a full disk: every run compiles the bundle, as without a cache.
    rmSync(temporary, { force: true });
  }
}

/**
 * Loads the bundle (CommonJS, see bundle.mjs) the way Node loads a CommonJS module, but compiled with V8's code cache
 * kept beside it: compiling the 600 KB bundle and, while it runs, each function it calls is most of a small
 * conversion's fixed cost. Returns its exports and a function that writes the cache when there was none that V8
 * accepted; called after the conversion, it holds every function compiled by then, not only the bundle's top level.
 * Flags set with setFlagsFromString after this (e.g. --expose-gc in memory.ts) change what V8 checks a cache against,
 * so a cache written after them would be rejected by the next run: they are set here before compiling.
 * @param {string} bundle
 * @param {string[]} runtimeFlags the flags the caller set with setFlagsFromString before (inProcessFlags)
 */
export function loadBundle(bundle, runtimeFlags = []) {
  setFlagsFromString('--expose-gc');
  const cacheFile = `${bundle}.${codeCacheKey(runtimeFlags)}.cache`;
  const cachedData = readCodeCache(cacheFile);
  // esbuild writes non-ASCII characters in code as escapes, so only comments may hold UTF-8 bytes: read as Latin-1,
  // the source is a one-byte string (a single '→' in a comment would make all of it a two-byte string of 1.2 MB).
  const source = readFileSync(bundle, 'latin1');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
  // Decided now, so that the closure below does not keep the cache's buffer alive through the conversion.
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  const saveCodeCache = () => {
    if (stale) writeCodeCache(cacheFile, script.createCachedData());
  };
  return { exports: module.exports, saveCodeCache };
}

/** Runs the bundled CLI in this process. @param {string} bundle @param {string[]} [runtimeFlags] */
function runBundle(bundle, runtimeFlags) {
  const { exports, saveCodeCache } = loadBundle(bundle, runtimeFlags);
  return exports.runTilerProcess(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    saveCodeCache();
  });
}

/** Runs the bundled CLI in a child process with the settings above, and dies of the signal the child dies of. */
async function launchChild(bundle) {
  const { spawn } = await import('node:child_process');
  const env = { ...process.env, [CHILD_BUNDLE]: bundle };
  if (process.platform === 'linux' && env.MALLOC_MMAP_THRESHOLD_ === undefined)
    env.MALLOC_MMAP_THRESHOLD_ = MMAP_THRESHOLD;
  // The caller's own flags (e.g. --max-old-space-size) come last, so they win over ours.
  const child = spawn(
    process.execPath,
    [
      `--max-semi-space-size=${SEMI_SPACE_MEGABYTES}`,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env },
  );
  // Ctrl-C reaches both processes (same process group); the child decides, this one waits for it.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const forward = (signal) => child.kill(signal);
  for (const signal of signals) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the child's signal, as its caller expects: with the forwarding listener still on, raising it here would
      // only call that listener, and this process would exit 0.
      for (const name of signals) process.off(name, forward);
      process.kill(process.pid, signal);
    } else process.exitCode = code ?? 1;
  });
}

// Run as a script (a test imports inProcessFlags). The module's URL names the file with symbolic links resolved.
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const childBundle = process.env[CHILD_BUNDLE];
  if (childBundle !== undefined) {
    // Not inherited by anything this conversion starts.
    delete process.env[CHILD_BUNDLE];
    await runBundle(childBundle);
  } else {
    const flags = inProcessFlags(process.argv.slice(2));
    // Before bundle.mjs runs (with --no-opt, its path handling would otherwise be the first to start TurboFan) and
    // before the bundle is compiled (its code cache must match the flags of the next such run).
    for (const flag of flags ?? []) setFlagsFromString(flag);
    const { ensureTilerBundle } = await import('./bundle.mjs');
    const bundle = await ensureTilerBundle();
    if (flags) await runBundle(bundle, flags);
    else await launchChild(bundle);
  }
}
