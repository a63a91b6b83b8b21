// DE-9IM matrices and predicates; every expectation is derived by hand from the OGC Simple Features definitions.
import { describe, expect, it } from 'vitest';
import {
  contains,
  crosses,
  disjoint,
  equals,
  intersects,
  locate,
  overlaps,
  parseWkt,
  relate,
  relatePattern,
  touches,
  within,
  type Geometry,
} from '../../../server/geometry';

const SQUARE_0_2 = 'POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))';
const HOLED = 'POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (4 4, 4 6, 6 6, 6 4, 4 4))';

/** [name, a, b, matrix of (a, b) worked out by hand]. */
const MATRICES: Array<[string, string, string, string]> = [
  ['overlapping squares', SQUARE_0_2, 'POLYGON ((1 1, 3 1, 3 3, 1 3, 1 1))', '212101212'],
  [
    'squares sharing an edge',
    'POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))',
    'POLYGON ((1 0, 2 0, 2 1, 1 1, 1 0))',
    'FF2F11212',
  ],
  [
    'squares meeting at a corner',
    'POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))',
    'POLYGON ((1 1, 2 1, 2 2, 1 2, 1 1))',
    'FF2F01212',
  ],
  [
    'square strictly inside another',
    'POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))',
    'POLYGON ((1 1, 2 1, 2 2, 1 2, 1 1))',
    '212FF1FF2',
  ],
  [
    'the same square, other start and winding',
    'POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))',
    'POLYGON ((4 4, 0 4, 0 0, 4 0, 4 4))',
    '2FFF1FFF2',
  ],
  ['square inside another sharing two edges', SQUARE_0_2, 'POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))', '212F11FF2'],
  ['triangle touching an edge with a vertex', SQUARE_0_2, 'POLYGON ((1 2, 2 3, 0 3, 1 2))', 'FF2F01212'],
  ['square filling a hole exactly', 'POLYGON ((4 4, 6 4, 6 6, 4 6, 4 4))', HOLED, 'FF2F1F212'],
  ['square over a hole', 'POLYGON ((3 3, 7 3, 7 7, 3 7, 3 3))', HOLED, '2121FF212'],
  ['square inside a hole', 'POLYGON ((4.5 4.5, 5.5 4.5, 5.5 5.5, 4.5 5.5, 4.5 4.5))', HOLED, 'FF2FF1212'],
  [
    'multipolygon bridged by a polygon along shared bottom edges',
    'MULTIPOLYGON (((0 0, 1 0, 1 1, 0 1, 0 0)), ((2 0, 3 0, 3 1, 2 1, 2 0)))',
    'POLYGON ((0.5 0, 2.5 0, 2.5 1, 0.5 1, 0.5 0))',
    '212111212',
  ],
  ['point inside a polygon', 'POINT (1 1)', HOLED, '0FFFFF212'],
  ['point in a hole', 'POINT (5 5)', HOLED, 'FF0FFF212'],
  ['point on the hole boundary', 'POINT (4 5)', HOLED, 'F0FFFF212'],
  ['point on a shell vertex', 'POINT (10 10)', HOLED, 'F0FFFF212'],
  ['crossing lines', 'LINESTRING (0 0, 2 2)', 'LINESTRING (0 2, 2 0)', '0F1FF0102'],
  ['lines meeting at their ends', 'LINESTRING (0 0, 1 1)', 'LINESTRING (1 1, 2 0)', 'FF1F00102'],
  ['collinear overlapping lines', 'LINESTRING (0 0, 2 0)', 'LINESTRING (1 0, 3 0)', '1010F0102'],
  ['line end on the inside of another line', 'LINESTRING (1 0, 1 1)', 'LINESTRING (0 0, 2 0)', 'FF10F0102'],
  ['line crossing a polygon', 'LINESTRING (-1 1, 3 1)', SQUARE_0_2, '101FF0212'],
  ['line inside a polygon from its boundary', 'LINESTRING (0 1, 1 1)', SQUARE_0_2, '1FF00F212'],
  ['line along a polygon edge', 'LINESTRING (0 0, 1 0)', SQUARE_0_2, 'F1FF0F212'],
  ['line touching a polygon corner from outside', 'LINESTRING (1 3, 3 1)', SQUARE_0_2, 'F01FF0212'],
  ['point on a closed line string', 'POINT (0 0)', 'LINESTRING (0 0, 1 0, 1 1, 0 0)', '0FFFFF1F2'],
  ['point at a line end', 'POINT (0 0)', 'LINESTRING (0 0, 2 0)', 'F0FFFF102'],
  [
    'point where two parts of a multilinestring meet (mod-2 rule)',
    'POINT (1 0)',
    'MULTILINESTRING ((0 0, 1 0), (1 0, 2 0))',
    '0FFFFF102',
  ],
  ['multipoint partly inside', 'MULTIPOINT ((1 1), (5 5))', SQUARE_0_2, '0F0FFF212'],
  ['equal points', 'POINT (1 2)', 'POINT (1 2)', '0FFFFFFF2'],
  ['different points', 'POINT (1 2)', 'POINT (2 1)', 'FF0FFF0F2'],
  ['multipoint containing a point', 'MULTIPOINT ((1 2), (3 4))', 'POINT (3 4)', '0F0FFFFF2'],
  ['far apart squares', SQUARE_0_2, 'POLYGON ((5 5, 6 5, 6 6, 5 6, 5 5))', 'FF2FF1212'],
  [
    'collection of a point and a line against a square',
    'GEOMETRYCOLLECTION (POINT (5 5), LINESTRING (0 0, 1 1))',
    SQUARE_0_2,
    '1F000F212',
  ],
];

function transposed(matrix: string): string {
  return [0, 3, 6, 1, 4, 7, 2, 5, 8].map((index) => matrix[index]).join('');
}

describe('relate', () => {
  it.each(MATRICES)('returns the hand-derived matrix for %s', (_name, a, b, matrix) => {
    expect(relate(parseWkt(a), parseWkt(b))).toBe(matrix);
  });

  it.each(MATRICES)(
    'returns the transposed matrix for %s with the arguments swapped',
    (_name, a, b, matrix) => {
      expect(relate(parseWkt(b), parseWkt(a))).toBe(transposed(matrix));
    },
  );

  it('matches patterns with T, F, * and dimensions', () => {
    const a = parseWkt(SQUARE_0_2);
    const b = parseWkt('POLYGON ((1 1, 3 1, 3 3, 1 3, 1 1))');
    expect(relatePattern(a, b, 'T*T***T**')).toBe(true);
    expect(relatePattern(a, b, '2********')).toBe(true);
    expect(relatePattern(a, b, '1********')).toBe(false);
    expect(relatePattern(a, b, 'F********')).toBe(false);
    expect(() => relatePattern(a, b, 'T*T')).toThrow(/pattern/);
  });
});

type PredicateName =
  'intersects' | 'disjoint' | 'equals' | 'within' | 'contains' | 'touches' | 'crosses' | 'overlaps';
const PREDICATES: Record<PredicateName, (a: Geometry, b: Geometry) => boolean> = {
  intersects,
  disjoint,
  equals,
  within,
  contains,
  touches,
  crosses,
  overlaps,
};

/** [a, b, the predicates that hold for (a, b)]; every other predicate must be false. */
const TRUTH_TABLE: Array<[string, string, PredicateName[]]> = [
  [SQUARE_0_2, 'POLYGON ((1 1, 3 1, 3 3, 1 3, 1 1))', ['intersects', 'overlaps']],
  ['POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))', 'POLYGON ((1 0, 2 0, 2 1, 1 1, 1 0))', ['intersects', 'touches']],
  ['POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))', 'POLYGON ((1 1, 2 1, 2 2, 1 2, 1 1))', ['intersects', 'touches']],
  ['POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))', 'POLYGON ((1 1, 2 1, 2 2, 1 2, 1 1))', ['intersects', 'contains']],
  ['POLYGON ((1 1, 2 1, 2 2, 1 2, 1 1))', 'POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))', ['intersects', 'within']],
  [
    'POLYGON ((0 0, 4 0, 4 4, 0 4, 0 0))',
    'POLYGON ((4 4, 0 4, 0 0, 4 0, 4 4))',
    ['intersects', 'equals', 'within', 'contains'],
  ],
  [SQUARE_0_2, 'POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))', ['intersects', 'contains']],
  ['POLYGON ((4 4, 6 4, 6 6, 4 6, 4 4))', HOLED, ['intersects', 'touches']],
  ['POLYGON ((3 3, 7 3, 7 7, 3 7, 3 3))', HOLED, ['intersects', 'overlaps']],
  ['POLYGON ((4.5 4.5, 5.5 4.5, 5.5 5.5, 4.5 5.5, 4.5 4.5))', HOLED, ['disjoint']],
  ['POINT (1 1)', HOLED, ['intersects', 'within']],
  ['POINT (5 5)', HOLED, ['disjoint']],
  ['POINT (4 5)', HOLED, ['intersects', 'touches']],
  ['POINT (2 1)', SQUARE_0_2, ['intersects', 'touches']],
  ['POINT (2 2)', SQUARE_0_2, ['intersects', 'touches']],
  ['LINESTRING (0 0, 2 2)', 'LINESTRING (0 2, 2 0)', ['intersects', 'crosses']],
  ['LINESTRING (0 0, 1 1)', 'LINESTRING (1 1, 2 0)', ['intersects', 'touches']],
  ['LINESTRING (0 0, 2 0)', 'LINESTRING (1 0, 3 0)', ['intersects', 'overlaps']],
  ['LINESTRING (0 0, 1 0)', 'LINESTRING (0 0, 2 0)', ['intersects', 'within']],
  ['LINESTRING (0 0, 2 0)', 'LINESTRING (2 0, 0 0)', ['intersects', 'equals', 'within', 'contains']],
  ['LINESTRING (1 0, 1 1)', 'LINESTRING (0 0, 2 0)', ['intersects', 'touches']],
  ['LINESTRING (-1 1, 3 1)', SQUARE_0_2, ['intersects', 'crosses']],
  ['LINESTRING (3 3, 1 1)', SQUARE_0_2, ['intersects', 'crosses']],
  ['LINESTRING (0 1, 1 1)', SQUARE_0_2, ['intersects', 'within']],
  ['LINESTRING (0 0, 1 0)', SQUARE_0_2, ['intersects', 'touches']],
  ['LINESTRING (1 3, 3 1)', SQUARE_0_2, ['intersects', 'touches']],
  ['POINT (1 0)', 'LINESTRING (0 0, 2 0)', ['intersects', 'within']],
  ['POINT (0 0)', 'LINESTRING (0 0, 2 0)', ['intersects', 'touches']],
  ['POINT (0 0)', 'LINESTRING (0 0, 1 0, 1 1, 0 0)', ['intersects', 'within']],
  ['POINT (1 0)', 'MULTILINESTRING ((0 0, 1 0), (1 0, 2 0))', ['intersects', 'within']],
  ['MULTIPOINT ((1 1), (5 5))', SQUARE_0_2, ['intersects', 'crosses']],
  ['MULTIPOINT ((1 1), (1.5 1.5))', SQUARE_0_2, ['intersects', 'within']],
  ['MULTIPOINT ((1 2), (3 4))', 'MULTIPOINT ((3 4), (5 6))', ['intersects', 'overlaps']],
  ['POINT (1 2)', 'POINT (1 2)', ['intersects', 'equals', 'within', 'contains']],
  ['POINT (1 2)', 'POINT (2 1)', ['disjoint']],
  [SQUARE_0_2, 'POLYGON ((5 5, 6 5, 6 6, 5 6, 5 5))', ['disjoint']],
  [
    'MULTIPOLYGON (((0 0, 1 0, 1 1, 0 1, 0 0)), ((2 0, 3 0, 3 1, 2 1, 2 0)))',
    'MULTIPOINT ((0.5 0.5), (2.5 0.5))',
    ['intersects', 'contains'],
  ],
  ['GEOMETRYCOLLECTION (POINT (1 1), LINESTRING (0 0, 1 1))', SQUARE_0_2, ['intersects', 'within']],
  [
    'GEOMETRYCOLLECTION (POINT (5 5), POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0)))',
    'POINT (5 5)',
    ['intersects', 'contains'],
  ],
  ['GEOMETRYCOLLECTION EMPTY', SQUARE_0_2, ['disjoint']],
];

describe('predicates', () => {
  it.each(TRUTH_TABLE)('answers every predicate as derived by hand for %s and %s', (a, b, holding) => {
    const geometryA = parseWkt(a);
    const geometryB = parseWkt(b);
    const answers = Object.fromEntries(
      Object.entries(PREDICATES).map(([name, predicate]) => [name, predicate(geometryA, geometryB)]),
    );
    const expected = Object.fromEntries(
      Object.keys(PREDICATES).map((name) => [name, holding.includes(name as PredicateName)]),
    );
    expect(answers).toEqual(expected);
  });

  it('finds a vertex exactly on an edge whose coordinates are not representable in binary', () => {
    // 0.1, 0.2, 0.3 are not exact in binary, but 0.2 is the rounded midpoint of the rounded ends on y = x.
    const line = parseWkt('LINESTRING (0.1 0.1, 0.3 0.3)');
    expect(touches(parseWkt('POINT (0.1 0.1)'), line)).toBe(true);
    expect(within(parseWkt('POINT (0.2 0.2)'), line)).toBe(true);
    // An odd multiple of 2^-52 off the line can never be on it.
    expect(intersects(parseWkt(`POINT (0.2 ${0.2 + 2 ** -52})`), line)).toBe(false);
  });

  it('keeps a point just outside a long diagonal edge outside', () => {
    // Edge from (0,0) to (3,1); (1.5, 0.5) is exactly on it, the next double above is not.
    const triangle = parseWkt('POLYGON ((0 0, 3 1, 0 1, 0 0))');
    expect(locate([1.5, 0.5], triangle)).toBe('boundary');
    expect(locate([1.5, 0.5 + 2 ** -53], triangle)).toBe('interior');
    expect(locate([1.5, 0.5 - 2 ** -53], triangle)).toBe('exterior');
  });
});
