// Messages between the pipeline and its conversion workers (worker_threads). Everything is plain, structured-clonable
// data: units and their results, the material tables, the tile-writing setup and tile tasks.
import type { ConversionUnit, UnitResult, UnitSettings } from '../stages/convert-unit';
import type { MaterialSnapshot } from '../stages/triangulate';
import type { TileTask, TileWriterSetup } from '../stages/write-tileset';

/** What a worker is started with (`workerData`). */
export interface TilerWorkerData {
  plazaTilerWorker: true;
  /** This worker's store index (its spill file's position in the setup's `spillPaths`). */
  storeIndex: number;
  spillPath: string;
  settings: UnitSettings;
}

export type WorkerRequest =
  | { type: 'unit'; id: number; unit: ConversionUnit }
  /** Flushes the spill file and answers the worker's material table. */
  | { type: 'seal'; id: number }
  | { type: 'tile-setup'; id: number; setup: TileWriterSetup }
  | { type: 'tile'; id: number; task: TileTask };

export type WorkerReply =
  | { type: 'progress'; id: number; features: number; bytes: number }
  | { type: 'unit-done'; id: number; result: UnitResult }
  | { type: 'sealed'; id: number; materials: MaterialSnapshot }
  | { type: 'ready'; id: number }
  | { type: 'tile-done'; id: number; bytes: number }
  | {
      type: 'failed';
      id: number;
      message: string;
      dataError?: { detail: string; file: string; line?: number };
    };
