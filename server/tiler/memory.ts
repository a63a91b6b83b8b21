// Flat memory for long conversions: V8 grows its heap (and keeps spilled ArrayBuffers) lazily as long as it may, so
// RSS would grow with the input although the data held is small. A full collection every so many input bytes keeps
// the heap at what is really held. `gc` is obtained without a command-line flag (--expose-gc set at run time and read
// from a fresh context); where that is not possible, nothing is done. Small conversions instead run with V8 settings
// that keep the process's fixed costs down (see tuneForSmallConversion).
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Input bytes between two full collections. */
export const COLLECT_EVERY_BYTES = 48 << 20;

let collect: (() => void) | null | undefined;

/** Runs a full garbage collection (no-op where the runtime does not allow it). */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}

/** Calls collectGarbage() each time the running byte count passes another `every` bytes. */
export function createCollector(every = COLLECT_EVERY_BYTES): (bytes: number) => void {
  let next = every;
  return (bytes) => {
    if (bytes < next) return;
    next = bytes + every;
    collectGarbage();
  };
}

/** Estimated work of a conversion (see {@link isSmallConversionWork}) up to which it counts as small. */
export const SMALL_CONVERSION_WORK = 2 << 20;
/**
 * CityJSON counts eight times its bytes: without TurboFan, 250 KB of it are still faster (0.65 -> 0.51 s) but 500 KB
 * already slower, where CityGML breaks even only at about 4 MB.
 */
const CITYJSON_WORK_PER_BYTE = 8;

/**
 * Whether converting these inputs is small work: every input a regular file (no folder, nothing compressed, whose
 * expanded size is unknown), CityGML bytes plus eight times CityJSON bytes (any other name counts as CityJSON) at most
 * SMALL_CONVERSION_WORK. Anything it cannot tell counts as large; a wrong guess changes only time and memory.
 */
export function isSmallConversionWork(inputs: string[]): boolean {
  let work = 0;
  for (const input of inputs) {
    if (/\.gz$/i.test(input)) return false;
    let bytes: number;
    try {
      const stat = statSync(input);
      if (!stat.isFile()) return false;
      bytes = stat.size;
    } catch {
      return false;
    }
    work += /\.(gml|xml)$/i.test(input) ? bytes : bytes * CITYJSON_WORK_PER_BYTE;
  }
  return work <= SMALL_CONVERSION_WORK;
}

/**
 * Sets V8 up for a small conversion, for the rest of this process (only the CLI's own process calls it; both flags
 * take effect when set at run time, unlike e.g. --max-semi-space-size or --single-threaded):
 * - no TurboFan: its first compilation pages in some MB of the compiler's own code and each concurrent compilation
 *   leaves a malloc arena of 1-2 MB behind, while at this size optimized code does not earn back its compile time.
 *   Peak RSS and CPU with both settings, median of 5: Bedburg CityGML (0.9 MB) 64 -> 52 MB, 0.48 -> 0.38 s; demo city
 *   CityGML 2 MB 63 -> 51 MB, 0.63 -> 0.56 s; 3.9 MB 64 -> 51 MB, 0.73 -> 0.76 s; 6.4 MB 64 -> 53 MB but 0.92 -> 1.22 s.
 *   CityJSON gets slower sooner and its garbage outgrows the saving (1 MB: 1.0 -> 1.2 s, 79 -> 86 MB);
 * - a young generation that stops growing (V8 grows it towards 16 MB semi-spaces while much of it survives): 250 KB of
 *   CityJSON peaks at 68 -> 57 MB (with no TurboFan either way) at the same CPU time. (Loading the bundle has already
 *   grown it, V8's new-space size 1 -> 4 MB, by the time this runs.)
 */
export function tuneForSmallConversion(): void {
  setFlagsFromString('--no-opt');
  setFlagsFromString('--semi-space-growth-factor=1');
}
