import { describe, expect, it } from 'vitest';
import { geodeticToEcef } from '../../../../server/tiler/crs';
import {
  MaterialTable,
  triangulateObject,
  triangulatePolygon,
} from '../../../../server/tiler/stages/triangulate';
import type { CityObjectRecord } from '../../../../server/tiler/model';

function triangleArea(positions: Float64Array, indices: Uint32Array): number {
  let area = 0;
  for (let index = 0; index < indices.length; index += 3) {
    const [a, b, c] = [indices[index] * 3, indices[index + 1] * 3, indices[index + 2] * 3];
    const u = [
      positions[b] - positions[a],
      positions[b + 1] - positions[a + 1],
      positions[b + 2] - positions[a + 2],
    ];
    const v = [
      positions[c] - positions[a],
      positions[c + 1] - positions[a + 1],
      positions[c + 2] - positions[a + 2],
    ];
    area += Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]) / 2;
  }
  return area;
}

/** A ring given in local metres east/north/up around 8.4°E 49.1°N, placed in ECEF. */
function ring(points: Array<[number, number, number]>): Float64Array {
  const out = new Float64Array(points.length * 3);
  const metresPerDegreeLatitude = 111_200;
  const metresPerDegreeLongitude = metresPerDegreeLatitude * Math.cos((49.1 * Math.PI) / 180);
  points.forEach(([east, north, up], index) =>
    geodeticToEcef(
      8.4 + east / metresPerDegreeLongitude,
      49.1 + north / metresPerDegreeLatitude,
      100 + up,
      out,
      index * 3,
    ),
  );
  return out;
}

describe('triangulatePolygon', () => {
  it('returns triangles covering the ring minus its hole when the polygon has a hole', () => {
    const problems: string[] = [];
    const surface = triangulatePolygon(
      [
        ring([
          [0, 0, 0],
          [10, 0, 0],
          [10, 10, 0],
          [0, 10, 0],
        ]),
        ring([
          [4, 4, 0],
          [4, 6, 0],
          [6, 6, 0],
          [6, 4, 0],
        ]),
      ],
      (message) => problems.push(message),
    );
    expect(problems).toEqual([]);
    // 100 m² minus 4 m², within the small scale error of the hand-made east/north approximation.
    expect(triangleArea(surface!.positions, surface!.indices)).toBeCloseTo(96, 0);
  });

  it('returns the same triangles for a polygon whatever larger or smaller polygons were triangulated before', () => {
    // A 700-vertex star (more plane coordinates than the first scratch size) with a square hole, and a plain square.
    const star = ring(
      Array.from({ length: 700 }, (_, index): [number, number, number] => {
        const angle = (index / 700) * 2 * Math.PI;
        const radius = index % 2 === 0 ? 50 : 40;
        return [radius * Math.cos(angle), radius * Math.sin(angle), 0];
      }),
    );
    const hole = ring([
      [-5, -5, 0],
      [-5, 5, 0],
      [5, 5, 0],
      [5, -5, 0],
    ]);
    const square = ring([
      [0, 0, 0],
      [3, 0, 0],
      [3, 3, 0],
      [0, 3, 0],
    ]);
    // An L of area 6: concave, so earcut triangulates it (the square is a fan) from the plane coordinates of its own
    // six vertices only, not from what a larger polygon left in the scratch array.
    const concave = ring([
      [0, 0, 0],
      [4, 0, 0],
      [4, 1, 0],
      [1, 1, 0],
      [1, 3, 0],
      [0, 3, 0],
    ]);
    const noProblem = (message: string) => expect.fail(message);
    const first = triangulatePolygon([square], noProblem)!;
    const concaveFirst = triangulatePolygon([concave], noProblem)!;
    const large = triangulatePolygon([star, hole], noProblem)!;
    const second = triangulatePolygon([square], noProblem)!;
    const concaveSecond = triangulatePolygon([concave], noProblem)!;
    expect(concaveSecond.indices.length / 3).toBe(4);
    expect(triangleArea(concaveSecond.positions, concaveSecond.indices)).toBeCloseTo(6, 1);
    expect(concaveSecond.indices).toEqual(concaveFirst.indices);
    const largeAgain = triangulatePolygon([star, hole], noProblem)!;
    // n + 2h - 2 triangles for n vertices and h holes (Euler), 2 for a quad.
    expect(large.indices.length / 3).toBe(704 + 2 - 2);
    expect(first.indices.length / 3).toBe(2);
    expect(triangleArea(first.positions, first.indices)).toBeCloseTo(9, 1);
    expect(second.indices).toEqual(first.indices);
    expect(largeAgain.indices).toEqual(large.indices);
    expect(largeAgain.positions).toEqual(large.positions);
  });

  it('returns triangles facing along the Newell normal, for a vertical wall in either winding', () => {
    for (const points of [
      [
        [0, 0, 0],
        [10, 0, 0],
        [10, 0, 5],
        [0, 0, 5],
      ],
      [
        [0, 0, 0],
        [0, 0, 5],
        [10, 0, 5],
        [10, 0, 0],
      ],
    ] as Array<Array<[number, number, number]>>) {
      const surface = triangulatePolygon([ring(points)], () => undefined)!;
      const { positions, indices, normal } = surface;
      expect(Math.hypot(...normal)).toBeCloseTo(1, 6);
      for (let index = 0; index < indices.length; index += 3) {
        const [a, b, c] = [indices[index] * 3, indices[index + 1] * 3, indices[index + 2] * 3];
        const u = [
          positions[b] - positions[a],
          positions[b + 1] - positions[a + 1],
          positions[b + 2] - positions[a + 2],
        ];
        const v = [
          positions[c] - positions[a],
          positions[c + 1] - positions[a + 1],
          positions[c + 2] - positions[a + 2],
        ];
        const cross = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
        expect(cross[0] * normal[0] + cross[1] * normal[1] + cross[2] * normal[2]).toBeGreaterThan(0);
      }
      expect(triangleArea(positions, indices)).toBeCloseTo(50, 0);
    }
  });

  it('returns undefined and reports the problem when the ring is degenerate', () => {
    const problems: string[] = [];
    expect(
      triangulatePolygon(
        [
          ring([
            [0, 0, 0],
            [5, 0, 0],
            [10, 0, 0],
          ]),
        ],
        (message) => problems.push(message),
      ),
    ).toBeUndefined();
    expect(
      triangulatePolygon(
        [
          ring([
            [0, 0, 0],
            [5, 0, 0],
          ]),
        ],
        (message) => problems.push(message),
      ),
    ).toBeUndefined();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/degenerate/);
  });

  it('skips a degenerate hole but keeps the polygon', () => {
    const problems: string[] = [];
    const surface = triangulatePolygon(
      [
        ring([
          [0, 0, 0],
          [10, 0, 0],
          [10, 10, 0],
          [0, 10, 0],
        ]),
        ring([
          [1, 1, 0],
          [2, 2, 0],
        ]),
      ],
      (message) => problems.push(message),
    );
    expect(surface).toBeDefined();
    expect(problems).toEqual(['degenerate interior ring (fewer than 3 points)']);
  });
});

describe('triangulatePolygon slivers', () => {
  /**
   * A w × 100 m rectangle in a plane of constant z (perimeter 200 + 2w, area 100 w), near the origin so that widths a
   * few parts in 1e13 apart are different rings.
   */
  function rectangle(width: number): Float64Array {
    const [x, y, z] = [0.3, 0.7, 0.1];
    return new Float64Array([x, y, z, x + 100, y, z, x + 100, y + width, z, x, y + width, z]);
  }

  it('keeps a thin ring just above 1e-6 × perimeter² and skips one just below', () => {
    // The limit: 100 w = 1e-6 × (200 + 2w)², w ≈ 0.40032 mm.
    const problems: string[] = [];
    expect(triangulatePolygon([rectangle(0.00041)], (message) => problems.push(message))).toBeDefined();
    expect(problems).toEqual([]);
    expect(triangulatePolygon([rectangle(0.00039)], (message) => problems.push(message))).toBeUndefined();
    expect(problems).toEqual(['degenerate ring (zero area or collinear points)']);
  });

  it('decides as the perimeter summed with Math.hypot does when a ring sits on the limit', () => {
    // Solve 100 w = 4e-6 (100 + w)² for the smaller root (in the form without cancellation), then step a few parts in
    // 1e13 either side of it: both decisions occur.
    const a = 4e-6;
    const b = 8e-4 - 100;
    const c = 4e-2;
    const limit = (2 * c) / (-b + Math.sqrt(b * b - 4 * a * c));
    const decisions = new Set<boolean>();
    for (let step = -20; step <= 20; step++) {
      const ring = rectangle(limit * (1 + step * 1e-13));
      // The reference: Newell's area and the hypot perimeter on coordinates relative to the first vertex.
      let [nx, ny, nz, perimeter] = [0, 0, 0, 0];
      for (let index = 0; index < 4; index++) {
        const next = (index + 1) % 4;
        const [ax, ay, az] = [0, 1, 2].map((axis) => ring[index * 3 + axis] - ring[axis]);
        const [bx, by, bz] = [0, 1, 2].map((axis) => ring[next * 3 + axis] - ring[axis]);
        nx += (ay - by) * (az + bz);
        ny += (az - bz) * (ax + bx);
        nz += (ax - bx) * (ay + by);
        perimeter += Math.hypot(bx - ax, by - ay, bz - az);
      }
      const area = Math.hypot(nx, ny, nz) / 2;
      const kept = area > 1e-6 * perimeter * perimeter;
      expect(triangulatePolygon([ring], () => undefined) !== undefined).toBe(kept);
      decisions.add(kept);
    }
    expect(decisions).toEqual(new Set([true, false]));
  });
});

describe('triangulateObject', () => {
  // A plain linear "projection" (metres to degrees around 8.4°E 49.1°N) that counts its calls and tells -0 from 0.
  function countingTransform() {
    const calls: Array<[number, number]> = [];
    const transform = (x: number, y: number, out: Float64Array) => {
      calls.push([x, y]);
      out[0] = 8.4 + x / 72_800 + (Object.is(x, -0) ? 1e-6 : 0);
      out[1] = 49.1 + y / 111_200;
    };
    return { calls, transform };
  }
  /** Where a vertex must land: the same projection then geodeticToEcef, computed here vertex by vertex. */
  function expectedEcef(
    points: number[],
    transform: (x: number, y: number, out: Float64Array) => void,
  ): number[] {
    const out: number[] = [];
    const lonLat = new Float64Array(2);
    const ecef = new Float64Array(3);
    for (let index = 0; index < points.length; index += 3) {
      transform(points[index], points[index + 1], lonLat);
      geodeticToEcef(lonLat[0], lonLat[1], points[index + 2], ecef, 0);
      out.push(...ecef);
    }
    return out;
  }

  it('projects each corner column once and places every vertex as a projection per vertex would', () => {
    // A 10 × 6 m box: ground, roof and four walls share the four (x, y) corner columns.
    const corners: Array<[number, number]> = [
      [100, 200],
      [110, 200],
      [110, 206],
      [100, 206],
    ];
    const at = (corner: number, z: number) => [...corners[corner % 4], z];
    const walls = [0, 1, 2, 3].map((corner) => [
      ...at(corner, 0),
      ...at(corner + 1, 0),
      ...at(corner + 1, 5),
      ...at(corner, 5),
    ]);
    const rings = [
      [0, 3, 2, 1].flatMap((corner) => at(corner, 0)),
      [0, 1, 2, 3].flatMap((corner) => at(corner, 5)),
      ...walls,
    ];
    const record: CityObjectRecord = {
      id: 'box',
      type: 'Building',
      lod: 2,
      attributes: {},
      polygons: rings.map((ring) => ({ rings: [ring], kind: 'wall' as const })),
      file: 'box.gml',
    };
    const { calls, transform } = countingTransform();
    const object = triangulateObject(record, transform, { offset: 0 }, new MaterialTable(), (warning) =>
      expect.fail(warning.message),
    )!;
    expect(calls).toHaveLength(4);
    const reference = countingTransform().transform;
    object.surfaces.forEach((surface, index) => {
      const expected = expectedEcef(rings[index], reference);
      expect(Array.from(surface.positions)).toEqual(expected);
    });
  });

  it('projects a zero coordinate every time, so that 0 and -0 keep their own results', () => {
    const ring = [0, 0, 0, 10, 0, 0, 10, 10, 0, -0, 10, 0, 0, 10, 3];
    const record: CityObjectRecord = {
      id: 'zero',
      type: 'Building',
      lod: 1,
      attributes: {},
      polygons: [{ rings: [ring], kind: 'ground' }],
      file: 'zero.gml',
    };
    const { calls, transform } = countingTransform();
    const object = triangulateObject(record, transform, { offset: 0 }, new MaterialTable(), () => undefined);
    expect(calls).toHaveLength(5);
    expect(Array.from(object!.surfaces[0].positions)).toEqual(
      expectedEcef(ring, countingTransform().transform),
    );
  });

  it('returns each polygon at its own place when a polygon before it is skipped and another object follows', () => {
    const square = (x0: number) => [x0, 0, 0, x0 + 10, 0, 0, x0 + 10, 10, 0, x0, 10, 0];
    const broken = [100, 0, 0, 110, 0, Number.NaN, 110, 10, 0];
    const record = (id: string, x0: number): CityObjectRecord => ({
      id,
      type: 'Building',
      lod: 1,
      attributes: {},
      polygons: [
        { rings: [square(x0)], kind: 'ground' },
        { rings: [broken], kind: 'wall' },
        { rings: [square(x0 + 20)], kind: 'roof' },
      ],
      file: 'two.gml',
    });
    const { transform } = countingTransform();
    const warnings: string[] = [];
    const materials = new MaterialTable();
    const first = triangulateObject(record('a', 0), transform, { offset: 0 }, materials, (warning) =>
      warnings.push(warning.message),
    )!;
    const second = triangulateObject(record('b', 40), transform, { offset: 0 }, materials, () => undefined)!;
    expect(warnings).toEqual([
      'Building a: 1 polygon(s) skipped (first: coordinates outside the valid range of the CRS)',
    ]);
    const reference = countingTransform().transform;
    expect(first.surfaces.map((surface) => Array.from(surface.positions))).toEqual([
      expectedEcef(square(0), reference),
      expectedEcef(square(20), reference),
    ]);
    expect(second.surfaces.map((surface) => Array.from(surface.positions))).toEqual([
      expectedEcef(square(40), reference),
      expectedEcef(square(60), reference),
    ]);
    expect(first.vertexCount).toBe(8);
  });

  it('returns objects whose positions stay intact while later objects fill and outgrow the shared coordinate chunks', () => {
    // Rings of 1 000 to 1 039 vertices (3 000+ coordinates each, 65 536 per chunk) cross several chunk ends at varying
    // points, and a 22 000-vertex ring (66 000 coordinates) needs a chunk larger than the usual one.
    const circle = (vertices: number, x0: number) =>
      Array.from({ length: vertices }, (_, index) => {
        const angle = (index / vertices) * 2 * Math.PI;
        return [x0 + 50 * Math.cos(angle), 50 * Math.sin(angle), 3];
      }).flat();
    const sizes = [...Array.from({ length: 40 }, (_, index) => 1_000 + index), 22_000, 1_000];
    const { transform } = countingTransform();
    const materials = new MaterialTable();
    const placed = sizes.map((vertices, index) => {
      const ring = circle(vertices, index * 200);
      const record: CityObjectRecord = {
        id: `circle-${index}`,
        type: 'Building',
        lod: 1,
        attributes: {},
        polygons: [{ rings: [ring], kind: 'roof' }],
        file: 'circles.gml',
      };
      const object = triangulateObject(record, transform, { offset: 0 }, materials, (warning) =>
        expect.fail(warning.message),
      )!;
      return { ring, object };
    });
    const reference = countingTransform().transform;
    for (const { ring, object } of placed)
      expect(Array.from(object.surfaces[0].positions)).toEqual(expectedEcef(ring, reference));
  });
});
