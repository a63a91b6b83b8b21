// Command line: `npm run tiles -- <files or folders...> --out <dir> [--crs …] [--height-offset m] [--lod n] [--types …]`.
// A progress bar on a TTY, always a one-line summary; exit code 1 only when nothing usable was produced, 2 on misuse.
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { DataError, TilerUsageError } from './errors';
import { isSmallConversionWork, tuneForSmallConversion } from './memory';
import { removeOwnStaging } from './output-directory';
import { convertCityModels } from './pipeline';
import type { ConversionProgress, ConversionSummary, ConvertOptions } from './pipeline';

const USAGE =
  'usage: npm run tiles -- <files or folders...> --out <dir> [--crs <EPSG code | proj4 string>] [--height-offset <m>] ' +
  '[--lod <n>] [--types <Building,Bridge,...>] [--no-compress] [--workers <n>] [--quiet]';

/** Parsed command line. */
export interface TilerCommandLine {
  options: ConvertOptions;
  quiet: boolean;
}

/**
 * Parses the tiler's arguments (without `node` and the script).
 * @throws TilerUsageError on unknown flags, missing values, or no inputs.
 */
export function parseTilerArguments(argv: string[]): TilerCommandLine {
  const inputs: string[] = [];
  let outDirectory: string | undefined;
  let crs: string | undefined;
  let heightOffset: number | undefined;
  let lod: number | undefined;
  let types: string[] | undefined;
  let compress = true;
  let quiet = false;
  let workers: number | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const [flag, inline] =
      argument.startsWith('--') && argument.includes('=')
        ? [argument.slice(0, argument.indexOf('=')), argument.slice(argument.indexOf('=') + 1)]
        : [argument, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++index];
      if (next === undefined) throw new TilerUsageError(`${flag} needs a value`);
      return next;
    };
    const numberValue = () => {
      const text = value();
      const parsed = Number(text);
      if (text.trim() === '' || !Number.isFinite(parsed))
        throw new TilerUsageError(`${flag} needs a number, got "${text}"`);
      return parsed;
    };
    switch (flag) {
      case '--out':
      case '-o':
        outDirectory = value();
        break;
      case '--crs':
        crs = value();
        break;
      case '--height-offset':
        heightOffset = numberValue();
        break;
      case '--lod':
        lod = numberValue();
        break;
      case '--types':
        types = value()
          .split(',')
          .map((type) => type.trim())
          .filter(Boolean);
        break;
      case '--no-compress':
        compress = false;
        break;
      case '--workers': {
        const count = numberValue();
        if (!Number.isInteger(count) || count < 1)
          throw new TilerUsageError(
            `--workers needs a whole number ≥ 1 (1 = no worker threads), got ${count}`,
          );
        workers = count;
        break;
      }
      case '--quiet':
        quiet = true;
        break;
      case '--help':
      case '-h':
        throw new TilerUsageError(USAGE);
      default:
        if (argument.startsWith('-')) throw new TilerUsageError(`unknown option ${argument}\n${USAGE}`);
        inputs.push(argument);
    }
  }
  if (inputs.length === 0) throw new TilerUsageError(`no input files or folders\n${USAGE}`);
  if (!outDirectory) throw new TilerUsageError(`--out <dir> is required\n${USAGE}`);
  return { options: { inputs, outDirectory, crs, heightOffset, lod, types, compress, workers }, quiet };
}

/** The one-line summary printed at the end of every run. */
export function formatSummary(summary: ConversionSummary): string {
  const megabytes = (summary.bytes / 1e6).toFixed(2);
  return (
    `tiles: ${summary.features} features, ${summary.tiles} tiles, ${megabytes} MB in ${summary.seconds.toFixed(2)} s, ` +
    `${summary.warningCount} warning(s); CRS ${summary.crs}; heights: ${summary.heightHandling}`
  );
}

function formatProgress(progress: ConversionProgress, seconds: number): string {
  const writing = progress.tiles > 0 && (progress.tilesTotal ?? 0) > 0;
  const fraction = writing
    ? progress.tiles / progress.tilesTotal!
    : progress.bytesTotal > 0
      ? Math.min(1, progress.bytesRead / progress.bytesTotal)
      : 0;
  const width = 24;
  const filled = Math.round(fraction * width);
  const rate = seconds > 0 ? progress.features / seconds : 0;
  const megabytesPerSecond = seconds > 0 ? progress.bytesRead / 1e6 / seconds : 0;
  const eta = fraction > 0 && fraction < 1 ? (seconds / fraction) * (1 - fraction) : 0;
  const phase = writing
    ? `writing tile ${progress.tiles} of ${progress.tilesTotal}`
    : progress.tiles > 0
      ? `writing tile ${progress.tiles}`
      : `ETA ${eta.toFixed(0)} s`;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `${progress.features} features (${rate.toFixed(0)}/s, ${megabytesPerSecond.toFixed(1)} MB/s) ${phase}`
  );
}

/** Runs the CLI; returns the exit code. */
export async function runTilerCommand(
  argv: string[],
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<number> {
  let commandLine: TilerCommandLine;
  try {
    commandLine = parseTilerArguments(argv);
  } catch (error) {
    stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const started = performance.now();
  const showProgress = Boolean(stderr.isTTY) && !commandLine.quiet;
  const options: ConvertOptions = {
    ...commandLine.options,
    onProgress: showProgress
      ? (progress) =>
          stderr.write(`\r${formatProgress(progress, (performance.now() - started) / 1000)}\x1b[K`)
      : undefined,
  };
  try {
    const summary = await convertCityModels(options);
    if (showProgress) stderr.write('\r\x1b[K');
    for (const warning of summary.warnings)
      stderr.write(`warning: ${warning.file}${warning.line ? `:${warning.line}` : ''}: ${warning.message}\n`);
    if (summary.warningCount > summary.warnings.length)
      stderr.write(`… and ${summary.warningCount - summary.warnings.length} more warning(s)\n`);
    stdout.write(`${formatSummary(summary)}\n`);
    return 0;
  } catch (error) {
    if (showProgress) stderr.write('\r\x1b[K');
    if (error instanceof TilerUsageError) {
      stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DataError) {
      stderr.write(`error: ${error.message}\n`);
      stdout.write(
        `tiles: 0 features, 0 tiles, 0 MB in ${((performance.now() - started) / 1000).toFixed(2)} s; nothing usable was produced\n`,
      );
      return 1;
    }
    throw error;
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs the CLI as the process's own command: when interrupted, the conversion's staging folder is removed (the previous
 * tileset in --out stays as it was) and the process then dies of the signal, as a shell expects (exit 130/143/129).
 */
export async function runTilerProcess(argv: string[]): Promise<number> {
  let outDirectory: string | undefined;
  try {
    const { options } = parseTilerArguments(argv);
    outDirectory = options.outDirectory;
    if (isSmallConversionWork(options.inputs)) tuneForSmallConversion();
  } catch {
    // runTilerCommand reports the bad arguments.
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (outDirectory !== undefined) removeOwnStaging(outDirectory);
    for (const name of SIGNALS) process.off(name, onSignal);
    process.kill(process.pid, signal);
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  try {
    return await runTilerCommand(argv);
  } finally {
    for (const name of SIGNALS) process.off(name, onSignal);
  }
}

// Run as a script (not when imported, and never in a worker thread, whose argv names the bundle it runs).
if (isMainThread && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await runTilerProcess(process.argv.slice(2));
}
