import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeatureStore, SpillReader } from '../../../../server/tiler/stages/feature-store';
import { SchemaCollector } from '../../../../server/tiler/stages/metadata-schema';
import type { TriangulatedObject } from '../../../../server/tiler/stages/triangulate';
import { writeGlb } from '../../../../server/tiler/stages/write-glb';
import type { Rgba } from '../../../../server/tiler/model';

const directory = mkdtempSync(path.join(tmpdir(), 'plaza-feature-store-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function square(id: string, attributes: TriangulatedObject['attributes'], vertices = 4): TriangulatedObject {
  const positions = new Float64Array(vertices * 3);
  for (let index = 0; index < positions.length; index++) positions[index] = 4_000_000 + index * 0.5;
  const indices = new Uint32Array((vertices - 2) * 3);
  for (let triangle = 0; triangle < vertices - 2; triangle++)
    indices.set([0, triangle + 1, triangle + 2], triangle * 3);
  return {
    id,
    type: 'Building',
    lod: 2,
    attributes,
    surfaces: [{ material: 3, positions, normal: [0, 0, 1], indices, uvs: undefined }],
    bounds: { west: 8, south: 49, east: 8.001, north: 49.001, minimumHeight: 100, maximumHeight: 112 },
    vertexCount: vertices,
    triangleCount: vertices - 2,
  };
}

describe('FeatureStore', () => {
  it('returns each object as added when ids and attributes hold multi-byte UTF-8 text', () => {
    const store = new FeatureStore(path.join(directory, 'utf8.bin'));
    // 'ß' is 2 bytes in UTF-8, '東' 3 and '🏠' 4 (a surrogate pair): the header's byte length differs from its length.
    const objects = [
      square('Straße-1', { name: 'Großes Haus', storeys: 3 }),
      square('東京-2', { name: '🏠 東京タワー', height: 333.5 }),
      square('plain-3', {}),
    ];
    const entries = objects.map((object) => store.add(object));
    for (const [index, entry] of entries.entries()) {
      const read = store.read(entry);
      expect(read.id).toBe(objects[index].id);
      expect(read.attributes).toEqual(objects[index].attributes);
      expect(read.parentId).toBeUndefined();
      expect(Array.from(read.surfaces[0].positions)).toEqual(
        Array.from(objects[index].surfaces[0].positions),
      );
      expect(Array.from(read.surfaces[0].indices)).toEqual([0, 1, 2, 0, 2, 3]);
      expect(read.surfaces[0].material).toBe(3);
      // Every object starts 8-byte aligned, so its entry length is a multiple of 8.
      expect(entry.length % 8).toBe(0);
    }
    store.dispose();
  });

  it('keeps the parent id and reads back an object larger than the write buffer', () => {
    const store = new FeatureStore(path.join(directory, 'large.bin'));
    const small = { ...square('part-1', { kind: 'part' }), parentId: 'building-1' };
    // 200 000 vertices × 24 bytes = 4.8 MB of positions alone.
    const large = square('huge', { kind: 'huge' }, 200_000);
    const first = store.add(small);
    const second = store.add(large);
    const third = store.add(small);
    expect(store.read(first).parentId).toBe('building-1');
    const read = store.read(second);
    expect(read.surfaces[0].positions.length).toBe(600_000);
    expect(read.surfaces[0].positions[599_999]).toBe(4_000_000 + 599_999 * 0.5);
    expect(read.surfaces[0].indices[read.surfaces[0].indices.length - 1]).toBe(199_999);
    expect(store.read(third).id).toBe('part-1');
    expect(third.offset).toBe(second.offset + second.length);
    store.dispose();
  });

  it('returns every object as added when the objects fill the write buffer several times over', () => {
    const store = new FeatureStore(path.join(directory, 'many.bin'));
    // 40 objects of 1 000 to 1 039 vertices, about 36 KB each: the write buffer fills and is flushed at a different
    // point of an object each time.
    const objects = Array.from({ length: 40 }, (_, index) =>
      square(`object-${index}`, { number: index }, 1_000 + index),
    );
    const entries = objects.map((object) => store.add(object));
    entries.forEach((entry, index) => {
      if (index > 0) expect(entry.offset).toBe(entries[index - 1].offset + entries[index - 1].length);
      const read = store.read(entry);
      expect(read.id).toBe(`object-${index}`);
      expect(read.attributes).toEqual({ number: index });
      const positions = read.surfaces[0].positions;
      expect(positions.length).toBe((1_000 + index) * 3);
      // square(): vertex coordinates 4 000 000 + k × 0.5.
      expect(positions[0]).toBe(4_000_000);
      expect(positions[positions.length - 1]).toBe(4_000_000 + (positions.length - 1) * 0.5);
      expect(read.surfaces[0].indices.at(-1)).toBe(1_000 + index - 1);
    });
    store.dispose();
  });
});

describe('SpillReader', () => {
  it('returns the objects of a tile in the order asked, whether they lie one after another in a spill file or not', () => {
    const stores = [0, 1].map(
      (index) => new FeatureStore(path.join(directory, `reader-${index}.bin`), index),
    );
    // Objects of different sizes in two stores: entries 0-4 follow each other in store 0, 5-7 in store 1.
    const entries = Array.from({ length: 8 }, (_, index) =>
      stores[index < 5 ? 0 : 1].add(square(`object-${index}`, { number: index }, 3 + index)),
    );
    for (const store of stores) store.flush();
    const reader = new SpillReader(stores.map((store) => store.path));
    // Runs that follow each other (0-2, 6-7), a run broken by a gap (4 after 2), a run across stores (7 then 3), a
    // repeat and reversed order.
    const order = [0, 1, 2, 4, 6, 7, 3, 5, 1, 1, 7, 6, 5];
    const read = reader.readAll(order.map((index) => entries[index]));
    expect(read.map((object) => object.id)).toEqual(order.map((index) => `object-${index}`));
    for (const [position, object] of read.entries()) {
      const index = order[position];
      expect(object.attributes).toEqual({ number: index });
      // square(): vertex coordinates 4 000 000 + k × 0.5, a fan of vertices - 2 triangles.
      expect(Array.from(object.surfaces[0].positions)).toEqual(
        Array.from({ length: (3 + index) * 3 }, (_, k) => 4_000_000 + k * 0.5),
      );
      expect(object.surfaces[0].indices.length).toBe((1 + index) * 3);
    }
    reader.close();
    for (const store of stores) store.dispose();
  });

  it('returns surface columns over the bytes read when a tile mixes stores, materials, parents and textures', () => {
    const stores = [0, 1].map(
      (index) => new FeatureStore(path.join(directory, `columns-${index}.bin`), index),
    );
    const wall = square('a', { name: 'Straße' });
    // A second, textured triangle of material 1 after the square.
    wall.surfaces.push({
      material: 1,
      positions: new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      normal: [0.6, 0.8, 0],
      indices: new Uint32Array([0, 2, 1]),
      uvs: new Float32Array([0, 0, 1, 0, 0.5, 1]),
    });
    const part = { ...square('b', { storeys: 2 }, 5), parentId: 'a' };
    const entries = [stores[0].add(wall), stores[1].add(part), stores[0].add(square('c', {}, 3))];
    for (const store of stores) store.flush();
    const reader = new SpillReader(stores.map((store) => store.path));
    // Store 0's material 3 becomes 7 and its 1 becomes 5; store 1's 3 becomes 4.
    const remaps = [new Int32Array([0, 5, 0, 7]), new Int32Array([0, 0, 0, 4])];
    const columns = reader.readTile([entries[2], entries[0], entries[1]], remaps);
    expect(columns.objects).toEqual([
      { id: 'c', type: 'Building', lod: 2, attributes: {} },
      { id: 'a', type: 'Building', lod: 2, attributes: { name: 'Straße' } },
      { id: 'b', parentId: 'a', type: 'Building', lod: 2, attributes: { storeys: 2 } },
    ]);
    expect(columns.surfaceCount).toBe(4);
    expect(Array.from(columns.features)).toEqual([0, 1, 1, 2]);
    expect(Array.from(columns.materials)).toEqual([7, 7, 5, 4]);
    expect(Array.from(columns.vertexCounts)).toEqual([3, 4, 3, 5]);
    expect(Array.from(columns.indexCounts)).toEqual([3, 6, 3, 9]);
    // Normals are stored as float32: 0.6 and 0.8 come back rounded.
    expect(Array.from(columns.normals)).toEqual([
      0,
      0,
      1,
      0,
      0,
      1,
      Math.fround(0.6),
      Math.fround(0.8),
      0,
      0,
      0,
      1,
    ]);
    const positionsOf = (surface: number) =>
      Array.from(
        columns.positions.subarray(
          columns.positionStarts[surface],
          columns.positionStarts[surface] + columns.vertexCounts[surface] * 3,
        ),
      );
    // square(): vertex coordinates 4 000 000 + k × 0.5.
    expect(positionsOf(0)).toEqual(Array.from({ length: 9 }, (_, k) => 4_000_000 + k * 0.5));
    expect(positionsOf(2)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(positionsOf(3)).toEqual(Array.from({ length: 15 }, (_, k) => 4_000_000 + k * 0.5));
    const indicesOf = (surface: number) =>
      Array.from(
        columns.indices.subarray(
          columns.indexStarts[surface],
          columns.indexStarts[surface] + columns.indexCounts[surface],
        ),
      );
    expect(indicesOf(1)).toEqual([0, 1, 2, 0, 2, 3]);
    expect(indicesOf(2)).toEqual([0, 2, 1]);
    expect(Array.from(columns.uvStarts).map((start) => start >= 0)).toEqual([false, false, true, false]);
    expect(Array.from(columns.uvs.subarray(columns.uvStarts[2], columns.uvStarts[2] + 6))).toEqual([
      0, 0, 1, 0, 0.5, 1,
    ]);
    reader.close();
    for (const store of stores) store.dispose();
  });

  it('returns the columns of each tile when tiles of different sizes are read one after another', () => {
    const store = new FeatureStore(path.join(directory, 'tiles.bin'));
    const large = [0, 1, 2].map((index) => store.add(square(`large-${index}`, { index }, 2_000)));
    const small = store.add(square('small', { index: 9 }, 5));
    store.flush();
    const reader = new SpillReader([store.path]);
    const lastPositionOf = (columns: ReturnType<SpillReader['readTile']>, surface: number) =>
      columns.positions[columns.positionStarts[surface] + columns.vertexCounts[surface] * 3 - 1];
    // Large, then small (read into the start of the same buffer), then large and small again in one tile.
    expect(lastPositionOf(reader.readTile(large), 2)).toBe(4_000_000 + 5_999 * 0.5);
    const smallTile = reader.readTile([small]);
    expect(smallTile.objects.map((object) => object.id)).toEqual(['small']);
    const start = smallTile.positionStarts[0];
    expect(Array.from(smallTile.positions.subarray(start, start + 15))).toEqual(
      Array.from({ length: 15 }, (_, k) => 4_000_000 + k * 0.5),
    );
    expect(smallTile.indices[smallTile.indexStarts[0] + 8]).toBe(4);
    const mixed = reader.readTile([small, ...large]);
    expect(mixed.objects.map((object) => object.attributes.index)).toEqual([9, 0, 1, 2]);
    expect(mixed.surfaceCount).toBe(4);
    expect(Array.from(mixed.vertexCounts.subarray(0, 4))).toEqual([5, 2_000, 2_000, 2_000]);
    expect(Array.from(mixed.features.subarray(0, 4))).toEqual([0, 1, 2, 3]);
    expect(lastPositionOf(mixed, 0)).toBe(4_000_000 + 14 * 0.5);
    expect(lastPositionOf(mixed, 3)).toBe(4_000_000 + 5_999 * 0.5);
    reader.close();
    store.dispose();
  });

  it('returns the same GLB from readTile as from readAll with the materials remapped', () => {
    const store = new FeatureStore(path.join(directory, 'glb.bin'));
    const objects = [square('a', { height: 3.5 }), { ...square('b', { height: 7 }, 6), parentId: 'a' }];
    objects[1].surfaces[0].material = 0;
    const entries = objects.map((object) => store.add(object));
    store.flush();
    const reader = new SpillReader([store.path]);
    const remaps = [new Int32Array([1, 0, 0, 0])];
    const collector = new SchemaCollector();
    for (const object of objects) collector.observe(object.attributes);
    const options = {
      schema: collector.build(),
      materials: [
        [1, 0, 0, 1],
        [0, 0, 1, 1],
      ] as Rgba[],
    };
    const fromObjects = reader.readAll(entries);
    for (const object of fromObjects)
      for (const surface of object.surfaces) surface.material = remaps[0][surface.material];
    const expected = writeGlb(fromObjects, options).glb;
    expect(writeGlb(reader.readTile(entries, remaps), options).glb.equals(expected)).toBe(true);
    reader.close();
    store.dispose();
  });
});
