import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CityJsonVertexStore } from '../../../../server/tiler/stages/cityjson-vertices';

const VERTICES = 100_000;
const vertexOf = (index: number) => [index, 1 - index * 2, index % 7];

// A private temporary folder (os.tmpdir() follows TMPDIR), so spill files of other tests running meanwhile do not count.
const previousTemporary = process.env.TMPDIR;
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-vertex-store-'));
beforeAll(() => {
  process.env.TMPDIR = temporary;
});
afterAll(() => {
  if (previousTemporary === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTemporary;
  rmSync(temporary, { recursive: true, force: true });
});

describe('CityJsonVertexStore', () => {
  it('returns every vertex from memory, in any order, and undefined outside the array', () => {
    const store = new CityJsonVertexStore(true);
    for (let index = 0; index < VERTICES; index++)
      store.add(...(vertexOf(index) as [number, number, number]));
    expect(store.count).toBe(VERTICES);
    expect(store.spilled).toBe(false);
    for (const index of [0, 32_767, 32_768, 99_999, 5, 65_536])
      expect(Array.from(store.lookup(index)!)).toEqual(vertexOf(index));
    for (const index of [-1, VERTICES, 1.5, Number.NaN]) expect(store.lookup(index)).toBeUndefined();
    store.close();
  });

  it('returns the same vertices once spilled to a temporary file, and removes the file on close', () => {
    expect(tmpdir()).toBe(temporary);
    // 1 byte: every complete page (32 768 vertices) goes to disk.
    const store = new CityJsonVertexStore(true, 1);
    for (let index = 0; index < VERTICES; index++)
      store.add(...(vertexOf(index) as [number, number, number]));
    expect(store.spilled).toBe(true);
    const created = readdirSync(temporary);
    expect(created).toHaveLength(1);
    // Jumping between pages, backwards and forwards, exercises the page cache.
    for (let step = 0; step < 2_000; step++) {
      const index = (step * 7_919 * 13) % VERTICES;
      expect(Array.from(store.lookup(index)!)).toEqual(vertexOf(index));
    }
    store.close();
    expect(created[0]).toMatch(/^plaza-cityjson-vertices-/);
    expect(existsSync(path.join(temporary, created[0]))).toBe(false);
  });

  it('switches to Float64 when a value is not a 32-bit integer, in memory and spilled', () => {
    for (const spillBytes of [1 << 30, 1]) {
      const store = new CityJsonVertexStore(true, spillBytes);
      // 100 000 vertices: three full pages (spilled in the second round) before the first non-integer.
      for (let index = 0; index < VERTICES; index++) store.add(index, index + 1, index + 2);
      expect(store.integerStorage).toBe(true);
      store.add(0.5, 3e9, -1.25);
      expect(store.integerStorage).toBe(false);
      expect(Array.from(store.lookup(VERTICES)!)).toEqual([0.5, 3e9, -1.25]);
      for (const index of [0, 12, 32_767, 32_768, 65_535, 65_536, 98_303, 98_304, VERTICES - 1])
        expect(Array.from(store.lookup(index)!)).toEqual([index, index + 1, index + 2]);
      store.close();
    }
  });
});
