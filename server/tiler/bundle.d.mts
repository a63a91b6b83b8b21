/** Returns the path of the bundled tiler (CLI and worker loop), building it when missing or stale. */
export function ensureTilerBundle(): Promise<string>;
