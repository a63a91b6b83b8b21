import { describe, expect, it } from 'vitest';
import { geodeticToEcef } from '../../../../server/tiler/crs';
import { triangulatePolygon } from '../../../../server/tiler/stages/triangulate';

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
    const noProblem = (message: string) => expect.fail(message);
    const first = triangulatePolygon([square], noProblem)!;
    const large = triangulatePolygon([star, hole], noProblem)!;
    const second = triangulatePolygon([square], noProblem)!;
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
