// The conversion worker: converts units into its own spill store, then writes tiles from every worker's store. One
// request at a time; every failure is answered (never a silent hang); the pipeline decides what it means.
import { parentPort, workerData } from 'node:worker_threads';
import { DataError } from '../errors';
import { convertUnit } from '../stages/convert-unit';
import type { UnitWorkspace } from '../stages/convert-unit';
import { FeatureStore } from '../stages/feature-store';
import { MaterialTable } from '../stages/triangulate';
import { TileWriter } from '../stages/write-tileset';
import type { TilerWorkerData, WorkerReply, WorkerRequest } from './protocol';

const PROGRESS_INTERVAL_MS = 100;

/** Runs the worker loop (called by the bundle's entry when loaded as a tiler worker). */
export function runTilerWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runTilerWorker: not in a worker thread');
  const data = workerData as TilerWorkerData;
  const workspace: UnitWorkspace = {
    store: new FeatureStore(data.spillPath, data.storeIndex),
    materials: new MaterialTable(),
    settings: data.settings,
  };
  let writer: TileWriter | undefined;
  const reply = (message: WorkerReply) => port.postMessage(message);
  const handle = async (request: WorkerRequest): Promise<void> => {
    switch (request.type) {
      case 'unit': {
        let last = 0;
        const result = await convertUnit(request.unit, workspace, (features, bytes) => {
          const now = performance.now();
          if (now - last < PROGRESS_INTERVAL_MS) return;
          last = now;
          reply({ type: 'progress', id: request.id, features, bytes });
        });
        reply({ type: 'unit-done', id: request.id, result });
        return;
      }
      case 'seal':
        workspace.store.flush();
        reply({ type: 'sealed', id: request.id, materials: workspace.materials.snapshot() });
        return;
      case 'tile-setup':
        writer?.close();
        writer = new TileWriter(request.setup);
        reply({ type: 'ready', id: request.id });
        return;
      case 'tile':
        if (!writer) throw new Error('tile before tile-setup');
        reply({ type: 'tile-done', id: request.id, bytes: writer.write(request.task) });
        return;
    }
  };
  // Requests are handled strictly one after another.
  let queue = Promise.resolve();
  port.on('message', (request: WorkerRequest) => {
    queue = queue.then(() =>
      handle(request).catch((error: unknown) => {
        const dataError =
          error instanceof DataError
            ? { detail: error.detail, file: error.file, line: error.line }
            : undefined;
        reply({
          type: 'failed',
          id: request.id,
          message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          dataError,
        });
      }),
    );
  });
}
