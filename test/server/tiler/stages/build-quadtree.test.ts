import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildQuadtree } from '../../../../server/tiler/stages/build-quadtree';
import { FeatureIndex } from '../../../../server/tiler/stages/feature-store';
import { writeTileset } from '../../../../server/tiler/stages/write-tileset';
import type { TilePlan } from '../../../../server/tiler/stages/write-tileset';

const directory = mkdtempSync(path.join(tmpdir(), 'plaza-quadtree-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Objects without extent on the ground, on the equator (so an object's diagonal is its height), at (at, at) degrees. */
function objectsAt(objects: Array<[string, string, number, number, string | undefined]>): FeatureIndex {
  const index = new FeatureIndex();
  objects.forEach(([id, type, at, height, parentId], number) =>
    index.push({
      id,
      type,
      parentId,
      bounds: { west: at, south: at, east: at, north: at, minimumHeight: 0, maximumHeight: height },
      vertexCount: 10,
      triangleCount: 8,
      store: 0,
      offset: number * 64,
      length: 64,
    }),
  );
  return index;
}

/** Four objects (see objectsAt): 0 and 2 north-east of the centre, 1 and 3 south-west of it. */
function fourObjects(): FeatureIndex {
  return objectsAt([
    ['B0', 'Building', 1, 10, undefined],
    ['P1', 'BuildingPart', -1, 20, 'B9'],
    ['P2', 'BuildingPart', 1, 10, 'B0'],
    ['P3', 'BuildingPart', -1, 5, 'B9'],
  ]);
}

describe('buildQuadtree', () => {
  it('returns leaves that keep their objects in feature-number order when objects of two quadrants alternate', () => {
    const root = buildQuadtree(fourObjects(), { maximumLeafFeatures: 2 });
    expect(root.features).toEqual(new Int32Array(0));
    expect([...root.subtreeFeatures].sort()).toEqual([0, 1, 2, 3]);
    expect(root.children.map((child) => [child.level, child.x, child.y, [...child.features]])).toEqual([
      [1, 0, 0, [1, 3]],
      [1, 1, 1, [0, 2]],
    ]);
    expect(root.bounds).toEqual({
      west: -1,
      south: -1,
      east: 1,
      north: 1,
      minimumHeight: 0,
      maximumHeight: 20,
    });
    expect(root.children[0].bounds).toEqual({
      west: -1,
      south: -1,
      east: -1,
      north: -1,
      minimumHeight: 0,
      maximumHeight: 20,
    });
    // The largest object below is 20 m high; leaves have no error.
    expect(root.geometricError).toBeCloseTo(20, 9);
    expect(root.children.map((child) => child.geometricError)).toEqual([0, 0]);
  });

  it('returns one leaf with every object when they fit the budgets', () => {
    const root = buildQuadtree(fourObjects());
    expect(root.children).toEqual([]);
    expect([...root.features]).toEqual([0, 1, 2, 3]);
  });
});

describe('writeTileset', () => {
  it('plans parents with the largest objects first (equal ones by feature number) and lists parents without geometry', async () => {
    const entries = fourObjects();
    const root = buildQuadtree(entries, { maximumLeafFeatures: 2 });
    const plans: TilePlan[] = [];
    const outDirectory = path.join(directory, 'plans');
    await writeTileset(root, {
      outDirectory,
      entries,
      maximumParentFeatures: 3,
      runTiles: (planned) => {
        plans.push(...planned);
        return Promise.resolve(0);
      },
    });
    expect(plans.map((plan) => [plan.uri, plan.leaf, [...plan.features]])).toEqual([
      // Heights 20, 10, 10, 5: the 5 m object is left out, the two 10 m ones keep their order.
      ['tiles/0-0-0.glb', false, [1, 0, 2]],
      ['tiles/1-0-0.glb', true, [1, 3]],
      ['tiles/1-1-1.glb', true, [0, 2]],
    ]);
    const ids = JSON.parse(readFileSync(path.join(outDirectory, 'ids.json'), 'utf8')) as {
      features: Record<string, { tile: string; feature?: number; parts?: string[]; region: number[] }>;
    };
    // B0 is an object itself (no second record); B9 is found through its parts P1 and P3 only.
    expect(Object.keys(ids.features)).toEqual(['B0', 'P1', 'P2', 'P3', 'B9']);
    expect(ids.features.P3).toMatchObject({ tile: 'tiles/1-0-0.glb', feature: 1 });
    expect(ids.features.B9).toEqual({
      tile: 'tiles/1-0-0.glb',
      type: 'Building',
      region: [-1, -1, -1, -1, 0, 20],
      parts: ['P1', 'P3'],
    });
  });

  it('writes an id index with every record whole when its records span several 64 KB chunks', async () => {
    const index = new FeatureIndex();
    // 1 000 ids of 200 characters: over 200 KB of records, so the index is written in at least four pieces.
    for (let number = 0; number < 1_000; number++)
      index.push({
        id: `${String(number).padStart(4, '0')}-${'x'.repeat(195)}`,
        type: 'Building',
        bounds: { west: 0, south: 0, east: 0, north: 0, minimumHeight: 0, maximumHeight: 1 },
        vertexCount: 1,
        triangleCount: 1,
        store: 0,
        offset: number * 8,
        length: 8,
      });
    const outDirectory = path.join(directory, 'chunks');
    // One leaf: all 1 000 objects share one point and fit the default leaf budget.
    await writeTileset(buildQuadtree(index), {
      outDirectory,
      entries: index,
      runTiles: () => Promise.resolve(0),
    });
    const ids = JSON.parse(readFileSync(path.join(outDirectory, 'ids.json'), 'utf8')) as {
      features: Record<string, { tile: string; feature: number }>;
    };
    const keys = Object.keys(ids.features);
    expect(keys.length).toBe(1_000);
    expect(keys[999]).toBe(`0999-${'x'.repeat(195)}`);
    expect(ids.features[keys[500]]).toEqual({
      tile: 'tiles/0-0-0.glb',
      feature: 500,
      type: 'Building',
      region: [0, 0, 0, 0, 0, 1],
    });
  });

  it('plans a parent with the largest objects when objects of equal size are on both sides of the cut', async () => {
    // Diagonals 10, 20, 10, 10, 5; three objects north-east, two south-west.
    const index = objectsAt([
      ['O0', 'Building', 1, 10, undefined],
      ['O1', 'Building', -1, 20, undefined],
      ['O2', 'Building', 1, 10, undefined],
      ['O3', 'Building', -1, 10, undefined],
      ['O4', 'Building', 1, 5, undefined],
    ]);
    const plans: TilePlan[] = [];
    await writeTileset(buildQuadtree(index, { maximumLeafFeatures: 3 }), {
      outDirectory: path.join(directory, 'cut'),
      entries: index,
      maximumParentFeatures: 2,
      runTiles: (planned) => {
        plans.push(...planned);
        return Promise.resolve(0);
      },
    });
    // The 20 m object, then of the three 10 m ones the first by number; its bounds travel with the plan.
    expect([...plans[0].features]).toEqual([1, 0]);
    expect(plans[0].leaf).toBe(false);
    expect([...plans[0].bounds!]).toEqual([-1, -1, -1, -1, 0, 20, 1, 1, 1, 1, 0, 10]);
  });
});
