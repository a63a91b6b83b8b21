import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { TilerWorkerPool } from '../../../../server/tiler/parallel/worker-pool';
import { gridCity } from '../helpers/grid-city';

const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-pool-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

describe('TilerWorkerPool', () => {
  it('converts units in workers, each into its own spill file, and answers a failure instead of hanging', async () => {
    const file = path.join(temporary, 'city.gml');
    writeFileSync(file, gridCity({ count: 30 }));
    const spills = [path.join(temporary, 'a.spill'), path.join(temporary, 'b.spill')];
    const pool = await TilerWorkerPool.start(2, spills, { heightOffset: 0 });
    try {
      expect(pool.size).toBe(2);
      const [first, second] = await Promise.all([
        pool.run<'unit-done'>({ type: 'unit', unit: { index: 0, file, fileIndex: 0 } }),
        pool.run<'unit-done'>({ type: 'unit', unit: { index: 1, file, fileIndex: 0 } }),
      ]);
      expect(first.result.entries.length).toBe(30);
      expect(second.result.entries.length).toBe(30);
      // Two idle workers took one unit each: one object list per store.
      expect(new Set([...first.result.entries.stores, ...second.result.entries.stores])).toEqual(
        new Set([0, 1]),
      );
      expect(spills.every((spill) => existsSync(spill))).toBe(true);

      // A file that does not exist is bad data: a warning in the unit's result, not a failure.
      const missing = await pool.run<'unit-done'>({
        type: 'unit',
        unit: { index: 2, file: path.join(temporary, 'missing.gml'), fileIndex: 1 },
      });
      expect(missing.result.entries.length).toBe(0);
      expect(missing.result.warnings[0].message).toMatch(/cannot read the file/);

      // A request the worker cannot serve is answered with an error.
      await expect(
        pool.run({ type: 'tile', task: { uri: 'tiles/x.glb', leaf: true, entries: [] } }),
      ).rejects.toThrow(/tile before tile-setup/);
      // The pool still works afterwards.
      const sealed = await pool.run<'sealed'>({ type: 'seal' }, { slot: 1 });
      expect(sealed.materials.names.length).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
    await expect(pool.run({ type: 'seal' })).rejects.toThrow(/closed/);
  });

  it('fails the request in flight, and every later one, when a worker stops', async () => {
    const file = path.join(temporary, 'stop.gml');
    writeFileSync(file, gridCity({ count: 200 }));
    const pool = await TilerWorkerPool.start(1, [path.join(temporary, 'stop.spill')], { heightOffset: 0 });
    try {
      const running = pool.run({ type: 'unit', unit: { index: 0, file, fileIndex: 0 } });
      // What an out-of-memory kill or a crash looks like from the pool's side.
      const { slots } = pool as unknown as { slots: Array<{ worker: Worker }> };
      await slots[0].worker.terminate();
      await expect(running).rejects.toThrow(/conversion worker stopped/);
      await expect(pool.run({ type: 'seal' })).rejects.toThrow(/conversion worker stopped/);
    } finally {
      await pool.close();
    }
  });
});
