// Properties every correct DE-9IM implementation has, checked on many generated geometries with integer coordinates
// on a small grid, where shared vertices, collinear edges and touching corners are the rule rather than the exception.
import { describe, expect, it } from 'vitest';
import {
  contains,
  crosses,
  disjoint,
  equals,
  intersects,
  overlaps,
  relate,
  relatePattern,
  touches,
  within,
  type Geometry,
  type Position,
} from '../../../server/geometry';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function generate(random: () => number): Geometry {
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
  switch (integer(6)) {
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

function transposed(matrix: string): string {
  return [0, 3, 6, 1, 4, 7, 2, 5, 8].map((index) => matrix[index]).join('');
}

describe('DE-9IM properties on generated geometries', () => {
  const random = createRandom(20_261_126);
  const pairs = Array.from({ length: 800 }, () => [generate(random), generate(random)] as const);

  it('returns transposed matrices for swapped arguments', () => {
    for (const [a, b] of pairs) expect(relate(b, a), JSON.stringify([a, b])).toBe(transposed(relate(a, b)));
  });

  it('keeps the predicates consistent with each other and with their matrix patterns', () => {
    for (const [a, b] of pairs) {
      const context = JSON.stringify([a, b]);
      expect(intersects(a, b), context).toBe(!disjoint(a, b));
      expect(intersects(a, b), context).toBe(intersects(b, a));
      expect(within(a, b), context).toBe(contains(b, a));
      expect(within(a, b), context).toBe(relatePattern(a, b, 'T*F**F***'));
      expect(disjoint(a, b), context).toBe(relatePattern(a, b, 'FF*FF****'));
      expect(touches(a, b), context).toBe(touches(b, a));
      expect(overlaps(a, b), context).toBe(overlaps(b, a));
      expect(crosses(a, b), context).toBe(crosses(b, a));
      expect(equals(a, b), context).toBe(within(a, b) && within(b, a));
      // Exactly one of: disjoint, touches, or interiors meet.
      const interiorsMeet = relatePattern(a, b, 'T********');
      expect([disjoint(a, b), touches(a, b), interiorsMeet].filter(Boolean).length, context).toBe(1);
    }
  });

  it('finds every geometry equal to itself and within itself', () => {
    for (const [a] of pairs) {
      const copy = JSON.parse(JSON.stringify(a)) as Geometry;
      expect(equals(a, copy), JSON.stringify(a)).toBe(true);
      expect(relate(a, copy)[8]).toBe('2');
    }
  });
});
