import { describe, expect, it } from 'vitest';
import { collectGarbage, createCollector } from '../../../server/tiler/memory';

describe('memory', () => {
  it('returns the heap of dropped objects when collectGarbage() runs', () => {
    let garbage: number[][] | undefined = Array.from({ length: 200 }, () =>
      new Array<number>(50_000).fill(1.5),
    );
    expect(garbage.length).toBe(200);
    garbage = undefined;
    const before = process.memoryUsage().heapUsed;
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    // 200 × 50 000 doubles = 80 MB were unreachable.
    expect(before - after).toBeGreaterThan(40e6);
  });

  it('collects when the running count crosses the threshold', () => {
    const collect = createCollector(100);
    collect(50);
    const heapBefore = process.memoryUsage().heapUsed;
    let garbage: number[] | undefined = new Array<number>(5_000_000).fill(2.5);
    expect(garbage.length).toBe(5_000_000);
    garbage = undefined;
    collect(150);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(20e6);
  });
});
