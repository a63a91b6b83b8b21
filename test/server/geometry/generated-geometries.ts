// Test helper: deterministic generated geometries with integer coordinates on a small grid, where shared vertices,
// collinear edges and touching corners are the rule rather than the exception.
import type { Geometry, Position } from '../../../server/geometry';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function generateGeometry(random: () => number): Geometry {
  const integer = (maximum: number) => Math.floor(random() * (maximum + 1));
  const position = (): Position => [integer(6), integer(6)];
  const rectangle = (): Position[] => {
    const [x, y] = [integer(5), integer(5)];
    const [w, h] = [1 + integer(5 - x), 1 + integer(5 - y)];
    return [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
      [x, y],
    ];
  };
  switch (integer(7)) {
    case 0:
      return { type: 'Point', coordinates: position() };
    case 1:
      return { type: 'MultiPoint', coordinates: [position(), position()] };
    case 2:
      return {
        type: 'LineString',
        coordinates: [position(), position(), position()]
          .filter((p, i, all) => i === 0 || p[0] !== all[i - 1]![0] || p[1] !== all[i - 1]![1])
          .concat([[7, 7]]),
      };
    case 3:
      return {
        type: 'MultiLineString',
        coordinates: [
          [position(), [7, 6]],
          [[0, 7], position()],
        ],
      };
    case 4:
      return { type: 'Polygon', coordinates: [rectangle()] };
    case 5: {
      // A triangle, counter-clockwise or not.
      const [a, b, c] = [position(), position(), position()];
      const area = (b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!);
      if (area === 0) return { type: 'Polygon', coordinates: [rectangle()] };
      return { type: 'Polygon', coordinates: [[a, b, c, a]] };
    }
    case 6: {
      // A square with a hole: a square inside, or a triangle touching the shell at one point (both valid).
      const [x, y] = [integer(2), integer(2)];
      const hole: Position[] =
        integer(1) === 0
          ? [
              [x, y + 2],
              [x + 3, y + 3],
              [x + 3, y + 1],
              [x, y + 2],
            ]
          : [
              [x + 1, y + 1],
              [x + 1, y + 3],
              [x + 3, y + 3],
              [x + 3, y + 1],
              [x + 1, y + 1],
            ];
      return {
        type: 'Polygon',
        coordinates: [
          [
            [x, y],
            [x + 4, y],
            [x + 4, y + 4],
            [x, y + 4],
            [x, y],
          ],
          hole,
        ],
      };
    }
    default: {
      // Two disjoint rectangles: one in the lower left, one in the upper right.
      const [x, y] = [integer(2), integer(2)];
      return {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [x, y],
              [x + 1, y],
              [x + 1, y + 1],
              [x, y + 1],
              [x, y],
            ],
          ],
          [
            [
              [4, 4],
              [6, 4],
              [6, 6 - integer(1)],
              [4, 6],
              [4, 4],
            ],
          ],
        ],
      };
    }
  }
}

/** `count` pairs of generated geometries from a seed. */
export function generatePairs(seed: number, count: number): Array<readonly [Geometry, Geometry]> {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => [generateGeometry(random), generateGeometry(random)] as const);
}
