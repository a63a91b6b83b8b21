// Entry of the bundled tiler (see bundle.mjs): the CLI for bin.mjs, and the worker loop when a conversion starts this
// file as a worker thread.
import { isMainThread, workerData } from 'node:worker_threads';
import { runTilerWorker } from './parallel/worker';

export { runTilerProcess } from './cli';

if (!isMainThread && (workerData as { plazaTilerWorker?: boolean } | null)?.plazaTilerWorker === true)
  runTilerWorker();
