// Properties every correct DE-9IM implementation has, checked on many generated grid geometries.
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
} from '../../../server/geometry';
import { generatePairs } from './generated-geometries';

function transposed(matrix: string): string {
  return [0, 3, 6, 1, 4, 7, 2, 5, 8].map((index) => matrix[index]).join('');
}

describe('DE-9IM properties on generated geometries', () => {
  const pairs = generatePairs(20_261_126, 800);

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
