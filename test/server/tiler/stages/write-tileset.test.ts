import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { geodeticToEcef } from '../../../../server/tiler/crs';
import { FeatureIndex, FeatureStore, SpillReader } from '../../../../server/tiler/stages/feature-store';
import type { FeatureIndexEntry } from '../../../../server/tiler/stages/feature-store';
import { SchemaCollector } from '../../../../server/tiler/stages/metadata-schema';
import { MaterialTable } from '../../../../server/tiler/stages/triangulate';
import type {
  GeographicBounds,
  SurfaceColumns,
  TriangulatedObject,
} from '../../../../server/tiler/stages/triangulate';
import { writeGlb } from '../../../../server/tiler/stages/write-glb';
import { TileWriter, prismColumnsOf, prismEntriesOf } from '../../../../server/tiler/stages/write-tileset';

const directory = mkdtempSync(path.join(tmpdir(), 'plaza-write-tileset-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function entry(id: string, bounds: GeographicBounds, parentId?: string): FeatureIndexEntry {
  return {
    id,
    parentId,
    type: 'Building',
    bounds,
    vertexCount: 8,
    triangleCount: 4,
    store: 0,
    offset: 0,
    length: 8,
  };
}

function normalOf(columns: SurfaceColumns, surface: number): number[] {
  return Array.from(columns.normals.subarray(surface * 3, surface * 3 + 3));
}

function positionsOf(columns: SurfaceColumns, surface: number): number[] {
  const start = columns.positionStarts[surface];
  return Array.from(columns.positions.subarray(start, start + columns.vertexCounts[surface] * 3));
}

/** Close to 5e-5: a face's normal over a 0.001° box tilts by up to half its angle (~9e-6 rad) from the axis. */
function expectCloseTo(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, index) => expect(value).toBeCloseTo(expected[index], 4));
}

describe('write-tileset', () => {
  it('returns a roof and four outward walls per object when prisms have a footprint and a height', () => {
    const materials = new MaterialTable();
    const roof = materials.intern('roof', undefined);
    const wall = materials.intern('wall', undefined);
    // A 0.001° box at longitude 0, latitude 0: ECEF x points up, y east and z north there.
    const box = { west: 0, south: 0, east: 0.001, north: 0.001, minimumHeight: 10, maximumHeight: 30 };
    const columns = prismColumnsOf([entry('a', box), entry('b', box, 'a')], materials);
    expect(columns.objects).toEqual([
      { id: 'a', type: 'Building', lod: 1, attributes: {} },
      { id: 'b', parentId: 'a', type: 'Building', lod: 1, attributes: {} },
    ]);
    expect(columns.surfaceCount).toBe(10);
    expect(Array.from(columns.features.subarray(0, 10))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(columns.materials.subarray(0, 5))).toEqual([roof, wall, wall, wall, wall]);
    expect(Array.from(columns.vertexCounts.subarray(0, 10))).toEqual(Array(10).fill(4));
    // Roof up, then the south, east, north and west walls facing away from the box.
    const outward = [
      [1, 0, 0],
      [0, 0, -1],
      [0, 1, 0],
      [0, 0, 1],
      [0, -1, 0],
    ];
    outward.forEach((normal, face) => {
      expectCloseTo(normalOf(columns, face), normal);
      expectCloseTo(normalOf(columns, face + 5), normal);
    });
    // The roof's corners: the footprint counter-clockwise from south-west at the top height.
    const corner = (longitude: number, latitude: number, height: number) => {
      const ecef = new Float64Array(3);
      geodeticToEcef(longitude, latitude, height, ecef, 0);
      return Array.from(ecef);
    };
    expect(positionsOf(columns, 0)).toEqual([
      ...corner(0, 0, 30),
      ...corner(0.001, 0, 30),
      ...corner(0.001, 0.001, 30),
      ...corner(0, 0.001, 30),
    ]);
    // The south wall: bottom south-west, bottom south-east, top south-east, top south-west.
    expect(positionsOf(columns, 1)).toEqual([
      ...corner(0, 0, 10),
      ...corner(0.001, 0, 10),
      ...corner(0.001, 0, 30),
      ...corner(0, 0, 30),
    ]);
    const indices = Array.from(
      columns.indices.subarray(columns.indexStarts[7], columns.indexStarts[7] + columns.indexCounts[7]),
    );
    expect(indices).toEqual([0, 1, 2, 0, 2, 3]);
    expect(Array.from(columns.uvStarts.subarray(0, 10))).toEqual(Array(10).fill(-1));
  });

  it('returns only the faces with an area when a prism is flat or has no width', () => {
    const materials = new MaterialTable();
    const flat = { west: 0, south: 0, east: 0.001, north: 0.001, minimumHeight: 10, maximumHeight: 10 };
    const line = { west: 0, south: 0, east: 0, north: 0.001, minimumHeight: 10, maximumHeight: 30 };
    const columns = prismColumnsOf([entry('flat', flat), entry('line', line)], materials);
    // The flat box keeps its roof; the box without width keeps its east and west walls (which coincide).
    expect(columns.surfaceCount).toBe(3);
    expect(Array.from(columns.features.subarray(0, 3))).toEqual([0, 1, 1]);
    expectCloseTo(normalOf(columns, 0), [1, 0, 0]);
    expectCloseTo(normalOf(columns, 1), [0, 1, 0]);
    expectCloseTo(normalOf(columns, 2), [0, -1, 0]);
    // Each kept face's positions follow the previous kept face's.
    expect(columns.positionStarts[2] - columns.positionStarts[1]).toBe(12);
  });

  it('writes each tile file with the bytes writeGlb returns for the same content, leaf or parent', () => {
    const materials = new MaterialTable();
    const wall = materials.intern('wall', undefined);
    const box = { west: 8, south: 49, east: 8.0001, north: 49.0001, minimumHeight: 100, maximumHeight: 110 };
    // Three triangles of 3, 5 and 7 vertices' worth of coordinates: buffer views of lengths that are not multiples
    // of 8, so the GLB has zeros between its parts.
    const object = (id: string, vertices: number, name: string): TriangulatedObject => ({
      id,
      type: 'Building',
      lod: 2,
      attributes: { name },
      surfaces: [
        {
          material: wall,
          positions: Float64Array.from({ length: vertices * 3 }, (_, k) => 4_100_000 + (k % 3) * 600_000 + k),
          normal: [0, 0, 1],
          indices: new Uint32Array([0, 1, 2]),
        },
      ],
      bounds: box,
      vertexCount: vertices,
      triangleCount: 1,
    });
    const objects = [object('a', 3, 'Straße'), object('b', 5, 'x'), object('c', 7, '')];
    const store = new FeatureStore(path.join(directory, 'tiles.spill'));
    const entries = objects.map((item) => store.add(item));
    store.flush();
    const schema = new SchemaCollector();
    for (const item of objects) schema.observe(item.attributes);
    const setup = {
      outDirectory: directory,
      materials: materials.snapshot(),
      remaps: [new Int32Array([0])],
      schema: schema.build(),
      compress: true,
      spillPaths: [store.path],
      // The writer's tile buffer is made this size at once; the reader below grows its own as it reads.
      largestLeafBytes: entries.reduce((sum, item) => sum + item.length, 0),
    };
    const writer = new TileWriter(setup);
    const leafBytes = writer.write({ uri: 'leaf.glb', leaf: true, entries });
    const parentBytes = writer.write({ uri: 'parent.glb', leaf: false, entries });
    writer.close();
    const options = { schema: setup.schema, materials: materials.colors };
    const reader = new SpillReader([store.path]);
    const leaf = writeGlb(reader.readTile(entries, setup.remaps), options).glb;
    reader.close();
    const parent = writeGlb(prismColumnsOf(entries, materials), options).glb;
    expect(readFileSync(path.join(directory, 'leaf.glb')).equals(leaf)).toBe(true);
    expect(readFileSync(path.join(directory, 'parent.glb')).equals(parent)).toBe(true);
    expect([leafBytes, parentBytes]).toEqual([leaf.length, parent.length]);
    // The GLB header's total length is the file's.
    expect(leaf.readUInt32LE(8)).toBe(leaf.length);
    store.dispose();
  });

  it('returns the prism entries of a parent plan with bounds from the plan and ids, types and parents from the index', () => {
    const index = new FeatureIndex();
    const box = { west: 1, south: 2, east: 3, north: 4, minimumHeight: 5, maximumHeight: 6 };
    index.push(entry('a', box));
    index.push(entry('b', box, 'a'));
    index.push(entry('c', box));
    // The index's own bounds are gone by the time parents are written: the plan's are the ones that count.
    index.releasePlanningFields();
    const plan = {
      uri: 'tiles/0-0-0.glb',
      leaf: false,
      features: new Int32Array([1, 2]),
      bounds: new Float64Array([10, 20, 11, 21, 100, 130, 12, 22, 13, 23, 0, 5]),
    };
    expect(prismEntriesOf(plan, index)).toEqual([
      {
        id: 'b',
        type: 'Building',
        parentId: 'a',
        bounds: { west: 10, south: 20, east: 11, north: 21, minimumHeight: 100, maximumHeight: 130 },
      },
      {
        id: 'c',
        type: 'Building',
        bounds: { west: 12, south: 22, east: 13, north: 23, minimumHeight: 0, maximumHeight: 5 },
      },
    ]);
  });
});
