// A small pool of conversion workers (worker_threads running the bundled tiler). Requests go to the first idle
// worker, or to one given worker (`seal`, `tile-setup`); a worker that dies fails its request and the pool, so a
// conversion never hangs.
import { Worker } from 'node:worker_threads';
import { ensureTilerBundle } from '../bundle.mjs';
import { DataError } from '../errors';
import type { UnitSettings } from '../stages/convert-unit';
import type { TilerWorkerData, WorkerReply, WorkerRequest } from './protocol';

type Reply<T extends WorkerReply['type']> = Extract<WorkerReply, { type: T }>;

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
  onProgress?: (features: number, bytes: number) => void;
}

interface Slot {
  worker: Worker;
  index: number;
  busy: boolean;
  current?: Pending & { id: number };
}

/** Requests without their id (the pool numbers them). */
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class TilerWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<{ request: Request; pending: Pending; slot?: number }> = [];
  private nextId = 1;
  private failure: Error | undefined;

  private constructor() {}

  /** Starts `count` workers; worker i writes its objects to `spillPaths[i]`. */
  static async start(count: number, spillPaths: string[], settings: UnitSettings): Promise<TilerWorkerPool> {
    const bundle = await ensureTilerBundle();
    const pool = new TilerWorkerPool();
    for (let index = 0; index < count; index++) {
      const data: TilerWorkerData = {
        plazaTilerWorker: true,
        storeIndex: index,
        spillPath: spillPaths[index],
        settings,
      };
      const worker = new Worker(bundle, { workerData: data, stdout: false, stderr: false });
      const slot: Slot = { worker, index, busy: false };
      worker.on('message', (reply: WorkerReply) => pool.onReply(slot, reply));
      worker.on('error', (error) => pool.fail(new Error(`a conversion worker failed: ${error.message}`)));
      // A worker that stops while the pool runs (whatever its exit code) fails the pool: nothing waits forever.
      worker.on('exit', (code) => pool.fail(new Error(`a conversion worker stopped (exit code ${code})`)));
      pool.slots.push(slot);
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Sends a request to the first idle worker (or to worker `slot`); resolves with its reply. */
  run<T extends WorkerReply['type']>(
    request: Request,
    options: { slot?: number; onProgress?: (features: number, bytes: number) => void } = {},
  ): Promise<Reply<T>> {
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiting.push({
        request,
        pending: { resolve, reject, onProgress: options.onProgress },
        slot: options.slot,
      });
      this.dispatch();
    }) as Promise<Reply<T>>;
  }

  private dispatch(): void {
    for (let position = 0; position < this.waiting.length; position++) {
      const item = this.waiting[position];
      const slot =
        item.slot !== undefined
          ? this.slots[item.slot].busy
            ? undefined
            : this.slots[item.slot]
          : this.slots.find((candidate) => !candidate.busy);
      if (!slot) continue;
      this.waiting.splice(position--, 1);
      const id = this.nextId++;
      slot.busy = true;
      slot.current = { ...item.pending, id };
      slot.worker.postMessage({ ...item.request, id } as WorkerRequest);
    }
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const current = slot.current;
    if (!current || current.id !== reply.id) return;
    if (reply.type === 'progress') {
      current.onProgress?.(reply.features, reply.bytes);
      return;
    }
    slot.busy = false;
    slot.current = undefined;
    if (reply.type === 'failed') {
      current.reject(
        reply.dataError
          ? new DataError(reply.dataError.detail, reply.dataError.file, reply.dataError.line)
          : new Error(`conversion worker: ${reply.message}`),
      );
    } else current.resolve(reply);
    this.dispatch();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const slot of this.slots) slot.current?.reject(error);
    for (const item of this.waiting.splice(0)) item.pending.reject(error);
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.failure ??= new Error('the worker pool is closed');
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
