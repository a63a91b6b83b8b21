import { describe, expect, it } from 'vitest';
import { Cql2Error, parseCql2, parseCql2Text } from '../../../server/cql2';
import { TEXT_EXAMPLES } from './examples';

function errorOf(action: () => unknown): Cql2Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Cql2Error) return error;
    throw error;
  }
  throw new Error('expected a Cql2Error');
}

describe('cql2/parse-text', () => {
  it('reads all 120 text examples of the standard', () => {
    expect(TEXT_EXAMPLES).toHaveLength(120);
    for (const example of TEXT_EXAMPLES) {
      expect(() => parseCql2Text(example.text), example.name).not.toThrow();
    }
  });

  it('returns the same tree for each -alt01 spelling as for its base example', () => {
    const alternatives = TEXT_EXAMPLES.filter((example) => example.name.endsWith('-alt01'));
    expect(alternatives).toHaveLength(11);
    for (const alternative of alternatives) {
      const base = TEXT_EXAMPLES.find((example) => example.name === alternative.name.replace('-alt01', ''))!;
      expect(parseCql2Text(alternative.text), alternative.name).toEqual(parseCql2Text(base.text));
    }
  });

  it('returns the operator tree of a comparison, LIKE, BETWEEN, IN and IS NULL', () => {
    expect(parseCql2Text("city='Toronto'")).toEqual({ op: '=', args: [{ property: 'city' }, 'Toronto'] });
    expect(parseCql2Text('depth BETWEEN 100.0 and 150.0')).toEqual({
      op: 'between',
      args: [{ property: 'depth' }, 100, 150],
    });
    expect(parseCql2Text('category NOT IN (1,2,3,4)')).toEqual({
      op: 'not',
      args: [{ op: 'in', args: [{ property: 'category' }, [1, 2, 3, 4]] }],
    });
    expect(parseCql2Text('geometry IS NOT NULL')).toEqual({
      op: 'not',
      args: [{ op: 'isNull', args: [{ property: 'geometry' }] }],
    });
    expect(parseCql2Text("name LIKE 'it''s \\'x\\' %'")).toEqual({
      op: 'like',
      args: [{ property: 'name' }, "it's 'x' %"],
    });
  });

  it('gives AND precedence over OR and keeps parenthesised groups', () => {
    expect(parseCql2Text('a=1 OR b=2 AND c=3')).toEqual({
      op: 'or',
      args: [
        { op: '=', args: [{ property: 'a' }, 1] },
        {
          op: 'and',
          args: [
            { op: '=', args: [{ property: 'b' }, 2] },
            { op: '=', args: [{ property: 'c' }, 3] },
          ],
        },
      ],
    });
    expect(parseCql2Text('(a=1 OR b=2) AND c=3')).toMatchObject({
      op: 'and',
      args: [{ op: 'or' }, { op: '=' }],
    });
  });

  it('reads arithmetic with * before + and unary minus as multiplication by -1', () => {
    expect(parseCql2Text('x = 1 + 2 * -y ^ 2')).toEqual({
      op: '=',
      args: [
        { property: 'x' },
        {
          op: '+',
          args: [
            1,
            { op: '*', args: [2, { op: '^', args: [{ op: '*', args: [-1, { property: 'y' }] }, 2] }] },
          ],
        },
      ],
    });
    expect(parseCql2Text('balance-150.0 > 0')).toEqual({
      op: '>',
      args: [{ op: '-', args: [{ property: 'balance' }, 150] }, 0],
    });
  });

  it('reads temporal, spatial and array literals', () => {
    expect(parseCql2Text("T_AFTER(built, DATE('2012-06-05'))")).toEqual({
      op: 't_after',
      args: [{ property: 'built' }, { date: '2012-06-05' }],
    });
    expect(parseCql2Text("T_STARTS(INTERVAL(a, b), INTERVAL('1991-10-07T08:21:06.390Z', '..'))")).toEqual({
      op: 't_starts',
      args: [
        { interval: [{ property: 'a' }, { property: 'b' }] },
        { interval: ['1991-10-07T08:21:06.39Z', '..'] },
      ],
    });
    expect(parseCql2Text('S_INTERSECTS(geometry, BBOX(-118, 33.8, -117.9, 34))')).toEqual({
      op: 's_intersects',
      args: [{ property: 'geometry' }, { bbox: [-118, 33.8, -117.9, 34] }],
    });
    expect(parseCql2Text('S_WITHIN(geometry, MULTIPOINT (1 2, 3 4))')).toEqual({
      op: 's_within',
      args: [
        { property: 'geometry' },
        {
          type: 'MultiPoint',
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    });
    expect(parseCql2Text("A_CONTAINS(tags, ('a'))")).toEqual({
      op: 'a_contains',
      args: [{ property: 'tags' }, ['a']],
    });
    expect(parseCql2Text('A_OVERLAPS(tags, ())')).toEqual({
      op: 'a_overlaps',
      args: [{ property: 'tags' }, []],
    });
  });

  it('reads identifiers with colons, dots and non-Latin letters, and keywords in any case', () => {
    expect(parseCql2Text('eo:cloud_cover < 0.1 and Straße.höhe >= 1e2')).toEqual({
      op: 'and',
      args: [
        { op: '<', args: [{ property: 'eo:cloud_cover' }, 0.1] },
        { op: '>=', args: [{ property: 'Straße.höhe' }, 100] },
      ],
    });
    expect(parseCql2Text('s_intersects(g, point(1 2))')).toEqual({
      op: 's_intersects',
      args: [{ property: 'g' }, { type: 'Point', coordinates: [1, 2] }],
    });
  });

  // Each malformed filter: the expected message fragment and the position of the offending token.
  const MALFORMED: [string, RegExp, number][] = [
    ['', /end of input at position 0: expected a filter expression/, 0],
    ['name =', /end of input at position 6/, 6],
    ["name = 'abc", /Unterminated string starting at position 7/, 7],
    ['name = "abc', /Unterminated quoted property name starting at position 7/, 7],
    ['a = 1 b = 2', /Unexpected 'b' at position 6: expected an operator or the end/, 6],
    ['a = = 1', /Unexpected '=' at position 4/, 4],
    ['a = 1 AND', /end of input at position 9/, 9],
    ['(a = 1', /end of input at position 6: expected ',' or '\)'/, 6],
    ['a = 1)', /Unexpected '\)' at position 5/, 5],
    ['a # 1', /Unexpected character '#' at position 2/, 2],
    ['a = 12abc', /Malformed number '12a' at position 4/, 4],
    ['a IN ()', /Unexpected '\)' at position 6: expected at least one value in the IN list/, 6],
    ['a NOT 5', /Unexpected '5' at position 6: expected 'LIKE', 'BETWEEN' or 'IN' after 'NOT'/, 6],
    ['a BETWEEN 1 OR 2', /Unexpected 'OR' at position 12: expected 'AND'/, 12],
    ['a IS 5', /Unexpected '5' at position 5: expected 'NULL'/, 5],
    ["t = DATE('2020-02-30')", /Invalid date '2020-02-30' at position 9/, 9],
    ["t = TIMESTAMP('2020-01-01 10:00:00')", /Invalid timestamp '2020-01-01 10:00:00' at position 14/, 14],
    ["T_AFTER(t, INTERVAL('yesterday', '..'))", /Invalid interval bound 'yesterday' at position 20/, 20],
    ['S_INTERSECTS(g, BBOX(1, 2, 3))', /BBOX at position 20 has 3 numbers: expected 4 or 6/, 20],
    ['S_INTERSECTS(g, POLYGON((0 0, 1 0, 1 1, 0 1)))', /Polygon ring at position 24 is not closed/, 24],
    ['S_INTERSECTS(g, POINT(1))', /Unexpected '\)' at position 23: expected a number/, 23],
    ['S_INTERSECTS(g)', /Unexpected '\)' at position 14: expected ',' between the two arguments/, 14],
    ['name LIKE 5', /like expects a string pattern .* at position 5/, 5],
    [
      "S_INTERSECTS(g, 'abc')",
      /s_intersects expects a geometry as argument 2, got string "abc" at position 0/,
      0,
    ],
    ["'a' = 1", /= compares string "a" with number 1: the kinds differ at position 4/, 4],
    ["a IN (1, 'x')", /in compares number 1 with string "x": the kinds differ at position 2/, 2],
    ['x + 1', /A filter must be a boolean expression/, 0],
    ['NOT 5', /not expects a boolean expression, got number 5 at position 0/, 0],
    ['a = 1 AND 2', /and expects a boolean expression as argument 2, got number 2 at position 6/, 6],
    ["a + 'x' > 1", /\+ expects a number as argument 2, got string "x" at position 2/, 2],
    ['T_BEFORE(t, 5)', /t_before expects an instant or interval as argument 2/, 0],
    ['A_CONTAINS(t, 5)', /a_contains expects an array as argument 2/, 0],
    ['LIKE = 1', /Unexpected 'LIKE' at position 0: expected a value, property or function/, 0],
    [
      'S_INTERSECTS(g, GEOMETRYCOLLECTION (GEOMETRYCOLLECTION (POINT (1 2))))',
      /expected a geometry inside GEOMETRYCOLLECTION/,
      36,
    ],
  ];

  it.each(MALFORMED)(
    'throws a Cql2Error naming the problem and position for %j',
    (filter, message, position) => {
      const error = errorOf(() => parseCql2Text(filter));
      expect(error.message).toMatch(message);
      expect(error.position).toBe(position);
    },
  );

  it('accepts ILIKE and unprefixed spatial functions only for filter-lang cql-text', () => {
    expect(parseCql2("name ILIKE 'bldg%'", 'cql-text')).toEqual({
      op: 'like',
      args: [
        { op: 'casei', args: [{ property: 'name' }] },
        { op: 'casei', args: ['bldg%'] },
      ],
    });
    expect(parseCql2('INTERSECTS(geometry, POINT(1 2))', 'cql-text')).toEqual({
      op: 's_intersects',
      args: [{ property: 'geometry' }, { type: 'Point', coordinates: [1, 2] }],
    });
    // What GDAL 3.6 writes for `-where "name = 'bldg 3' AND height > 10"`.
    expect(parseCql2("(name = 'bldg 3') AND (height > 10)", 'cql-text')).toEqual({
      op: 'and',
      args: [
        { op: '=', args: [{ property: 'name' }, 'bldg 3'] },
        { op: '>', args: [{ property: 'height' }, 10] },
      ],
    });
    expect(errorOf(() => parseCql2("name ILIKE 'bldg%'")).message).toMatch(
      /Unexpected 'ILIKE' at position 5/,
    );
  });

  it('throws a Cql2Error naming an unknown filter-lang', () => {
    expect(errorOf(() => parseCql2('a = 1', 'sql')).message).toMatch(/Unsupported filter-lang 'sql'/);
  });
});
