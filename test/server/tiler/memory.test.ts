import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectGarbage, createCollector, isSmallConversionWork } from '../../../server/tiler/memory';

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

  describe('isSmallConversionWork', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'plaza-small-work-'));
    afterAll(() => rmSync(directory, { recursive: true, force: true }));
    /** A (sparse) file of `bytes` bytes. */
    const fileOf = (name: string, bytes: number) => {
      const file = path.join(directory, name);
      writeFileSync(file, '');
      truncateSync(file, bytes);
      return file;
    };

    it('returns true when CityGML adds up to exactly 2 MB', () => {
      expect(isSmallConversionWork([fileOf('a.gml', 700_000), fileOf('b.xml', (2 << 20) - 700_000)])).toBe(
        true,
      );
    });

    it('returns false when CityGML is one byte over 2 MB', () => {
      expect(isSmallConversionWork([fileOf('big.gml', (2 << 20) + 1)])).toBe(false);
    });

    it('returns true when CityJSON is 256 KB (counted eight times) and false one byte over', () => {
      expect(isSmallConversionWork([fileOf('c.city.json', 256 << 10)])).toBe(true);
      expect(isSmallConversionWork([fileOf('d.jsonl', (256 << 10) + 1)])).toBe(false);
    });

    it('returns true when 1 MB of CityGML and 128 KB of CityJSON make 2 MB of work', () => {
      expect(isSmallConversionWork([fileOf('e.GML', 1 << 20), fileOf('f.json', 128 << 10)])).toBe(true);
    });

    it('returns false when a file has another name (counted as CityJSON), 300 KB', () => {
      expect(isSmallConversionWork([fileOf('g.txt', 300_000)])).toBe(false);
    });

    it('returns false when an input is compressed, a folder or missing, however small', () => {
      expect(isSmallConversionWork([fileOf('h.gml.gz', 10)])).toBe(false);
      const folder = path.join(directory, 'folder');
      mkdirSync(folder);
      expect(isSmallConversionWork([folder])).toBe(false);
      expect(isSmallConversionWork([path.join(directory, 'missing.gml')])).toBe(false);
    });
  });
});
