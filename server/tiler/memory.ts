// Flat memory for long conversions: V8 grows its heap (and keeps spilled ArrayBuffers) lazily as long as it may, so
// RSS would grow with the input although the data held is small. A full collection every so many input bytes keeps
// the heap at what is really held. `gc` is obtained without a command-line flag (--expose-gc set at run time and read
// from a fresh context); where that is not possible, nothing is done.
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
