import { describe, expect, it } from 'vitest';
import { SchemaCollector } from '../../../../server/tiler/stages/metadata-schema';
import type { TriangulatedObject } from '../../../../server/tiler/stages/triangulate';
import { writeGlb } from '../../../../server/tiler/stages/write-glb';
import { decodePrimitives, parseGlb, readPropertyTable } from '../helpers/decode-glb';
import type { Rgba } from '../../../../server/tiler/model';

/** A 10 m × 10 m horizontal square at ECEF (x0, y0, z0) + (0..10, 0..10, 0), normal given unnormalised. */
function square(
  id: string,
  attributes: TriangulatedObject['attributes'],
  x0: number,
  normal: [number, number, number],
): TriangulatedObject {
  const positions = new Float64Array([
    x0,
    600_000,
    4_900_000,
    x0 + 10,
    600_000,
    4_900_000,
    x0 + 10,
    600_010,
    4_900_000,
    x0,
    600_010,
    4_900_000,
  ]);
  return {
    id,
    type: 'Building',
    lod: 2,
    attributes,
    surfaces: [{ material: 0, positions, normal, indices: new Uint32Array([0, 1, 2, 0, 2, 3]) }],
    bounds: { west: 8, south: 49, east: 8.001, north: 49.001, minimumHeight: 0, maximumHeight: 0 },
    vertexCount: 4,
    triangleCount: 2,
  };
}

function encode(objects: TriangulatedObject[]) {
  const collector = new SchemaCollector();
  for (const object of objects) collector.observe(object.attributes);
  const result = writeGlb(objects, {
    schema: collector.build(),
    materials: [[0.5, 0.5, 0.5, 1]],
    compress: false,
  });
  return parseGlb(result.glb);
}

describe('writeGlb', () => {
  it('returns the string properties of each row when some rows hold non-ASCII text', () => {
    const names = ['plain', 'Straße', '東京タワー 🏠', ''];
    const gltf = encode(
      names.map((name, index) => square(`b-${index}`, { name }, 4_000_000 + index * 20, [0, 0, 1])),
    );
    const rows = readPropertyTable(gltf);
    expect(rows.map((row) => row.name)).toEqual(names);
    expect(rows.map((row) => row.id)).toEqual(['b-0', 'b-1', 'b-2', 'b-3']);
  });

  it('returns the string properties of each row when all text is ASCII', () => {
    const gltf = encode([
      square('a', { code: 'x1' }, 4_000_000, [0, 0, 1]),
      square('bb', { code: '' }, 4_000_020, [0, 0, 1]),
    ]);
    expect(readPropertyTable(gltf).map((row) => [row.id, row.code])).toEqual([
      ['a', 'x1'],
      ['bb', ''],
    ]);
  });

  it('returns unit y-up normals and the vertices when the surface normal is not normalised', () => {
    // (0, 3, 4) has length 5: every vertex must carry (0, 0.6, 0.8) once turned back to z-up.
    const gltf = encode([square('a', {}, 4_000_000, [0, 3, 4])]);
    const [primitive] = decodePrimitives(gltf);
    for (let vertex = 0; vertex < 4; vertex++) {
      const normal = Array.from(primitive.normals.subarray(vertex * 3, vertex * 3 + 3));
      expect(Math.hypot(normal[0], normal[1], normal[2])).toBeCloseTo(1, 6);
      // glTF is y-up: ECEF (0, 0.6, 0.8) is stored as (x, z, -y).
      expect(normal[0]).toBeCloseTo(0, 6);
      expect(normal[1]).toBeCloseTo(0.8, 6);
      expect(normal[2]).toBeCloseTo(-0.6, 6);
    }
    const ecef = Array.from(primitive.ecef);
    expect(ecef[0]).toBeCloseTo(4_000_000, 3);
    expect(ecef[7]).toBeCloseTo(600_010, 3);
    expect(ecef[11]).toBeCloseTo(4_900_000, 3);
  });

  it('returns one primitive per material with each vertex carrying its object as feature id when objects mix materials', () => {
    const first = square('a', {}, 4_000_000, [0, 0, 1]);
    const second = square('b', {}, 4_000_020, [0, 0, 1]);
    // The second object's surface uses material 1, then material 0 again: two primitives, material 0 first.
    second.surfaces = [
      { ...second.surfaces[0], material: 1 },
      { ...second.surfaces[0], material: 0 },
    ];
    const collector = new SchemaCollector();
    const result = writeGlb([first, second], {
      schema: collector.build(),
      materials: [
        [0.5, 0.5, 0.5, 1],
        [1, 0, 0, 1],
      ],
      compress: false,
    });
    const primitives = decodePrimitives(parseGlb(result.glb));
    expect(primitives.map((primitive) => primitive.baseColor)).toEqual([
      [0.5, 0.5, 0.5, 1],
      [1, 0, 0, 1],
    ]);
    expect(Array.from(primitives[0].featureIds)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(primitives[1].featureIds)).toEqual([1, 1, 1, 1]);
    // The second square's indices follow the first square's four vertices.
    expect(Array.from(primitives[0].indices)).toEqual([0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7]);
    expect(result.vertexCount).toBe(12);
    expect(result.triangleCount).toBe(6);
  });

  it('returns quantized positions spanning 0 to 65535 along the widest axis when compressing', () => {
    const collector = new SchemaCollector();
    const result = writeGlb([square('a', {}, 4_000_000, [0, 0, 1])], {
      schema: collector.build(),
      materials: [[0.5, 0.5, 0.5, 1]],
    });
    const gltf = parseGlb(result.glb);
    // The helper's accessor type leaves out min and max, which the POSITION accessor must have.
    const position = gltf.json.accessors[gltf.json.meshes[0].primitives[0].attributes.POSITION] as {
      min?: number[];
      max?: number[];
    };
    // 10 m along ECEF x (glTF x) and y (glTF -z), nothing along z (glTF y): one step is 10 / 65535 m.
    expect(position.min).toEqual([0, 0, 0]);
    expect(position.max).toEqual([65535, 0, 65535]);
    const ecef = Array.from(decodePrimitives(gltf)[0].ecef);
    expect(ecef[3]).toBeCloseTo(4_000_010, 3);
    expect(ecef[7]).toBeCloseTo(600_010, 3);
  });

  it('returns integer and float columns with no-data values when some objects lack the attribute', () => {
    const gltf = encode([
      square('a', { storeys: 3, height: 12.5 }, 4_000_000, [0, 0, 1]),
      square('b', { height: 7 }, 4_000_020, [0, 0, 1]),
      square('c', { storeys: 'many' }, 4_000_040, [0, 0, 1]),
    ]);
    const rows = readPropertyTable(gltf);
    // storeys holds a string once, so it is a STRING column; height is FLOAT64 (12.5 is not an integer).
    expect(rows.map((row) => row.storeys)).toEqual(['3', '', 'many']);
    expect(rows.map((row) => row.height)).toEqual([12.5, 7, -1e38]);
    expect(rows.map((row) => row.lod)).toEqual([2, 2, 2]);
    // No object has a parent: the column is left out.
    expect(rows[0]).not.toHaveProperty('parentId');
  });

  it('returns the same bytes for a tile whether it is written first or after larger and smaller tiles', () => {
    // Tiles' packed arrays share scratch memory that grows; stale bytes of an earlier tile must never show.
    const grid = (count: number, material: (index: number) => number) =>
      Array.from({ length: count }, (_, index) => {
        const object = square(`g-${index}`, { storeys: index % 7 }, 4_000_000 + index * 20, [0, 0, 1]);
        object.surfaces[0].material = material(index);
        return object;
      });
    const options = {
      schema: new SchemaCollector().build(),
      materials: [
        [0.5, 0.5, 0.5, 1],
        [1, 0, 0, 1],
        [0, 0, 1, 1],
      ] satisfies Rgba[],
    };
    const small = grid(3, () => 0);
    const first = writeGlb(small, options).glb;
    // 60 000 squares × 4 vertices in three materials: the scratch memory grows while this tile is packed.
    const large = writeGlb(
      grid(60_000, (index) => index % 3),
      options,
    );
    const again = writeGlb(small, options).glb;
    expect(again.equals(first)).toBe(true);
    const gltf = parseGlb(large.glb);
    const primitives = decodePrimitives(gltf);
    expect(primitives.map((primitive) => primitive.featureIds.length)).toEqual([80_000, 80_000, 80_000]);
    // Material 2 holds objects 2, 5, 8, …: its last vertex belongs to object 59 999.
    expect(primitives[2].featureIds[79_999]).toBe(59_999);
    expect(Array.from(primitives[1].indices.subarray(0, 12))).toEqual([0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7]);
    // Quantized positions are padded to 4 uint16 per vertex: every fourth value must be 0.
    const view =
      gltf.json.bufferViews[
        gltf.json.accessors[gltf.json.meshes[0].primitives[0].attributes.POSITION].bufferView
      ];
    const start = view.byteOffset ?? 0;
    const padded = new Uint16Array(gltf.binary.slice(start, start + view.byteLength).buffer);
    expect(padded.filter((_, index) => index % 4 === 3).some((value) => value !== 0)).toBe(false);
  });
});
