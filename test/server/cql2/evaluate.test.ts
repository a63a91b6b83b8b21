import { describe, expect, it } from 'vitest';
import { Cql2Error, evaluateCql2, parseCql2Json, parseCql2Text } from '../../../server/cql2';
import { FEATURES } from './features';

function matching(filter: string): (string | number)[] {
  const expression = parseCql2Text(filter);
  return FEATURES.filter((feature) => evaluateCql2(expression, feature)).map((feature) => feature.id);
}

// [filter, ids expected] — each derived by hand from the facts in features.ts.
const TRUTH_TABLE: [string, (string | number)[]][] = [
  // Comparisons and three-valued logic: b2's height is null, feature 3 has none.
  ['floors > 3', [1, 'b2']],
  ['height > 10', [1]],
  ['NOT (height > 10)', []],
  ['height > 10 OR floors > 5', [1, 'b2']],
  ['height IS NULL', ['b2', 3]],
  ['height IS NOT NULL', [1]],
  ['height < 20 AND floors = 10', []],
  ['NOT (height < 20 AND floors = 10)', [1, 3]],
  ['height > floors', [1]],
  ['pool = TRUE', [1]],
  ['pool <> TRUE', ['b2']],
  ['name = 5', []],
  ["id = 'b2'", ['b2']],
  ['TRUE', [1, 'b2', 3]],
  ["name >= 'S' AND name < 'T'", [1, 'b2']],
  // LIKE is case-sensitive; CASEI folds ß to ss; escapes make % and _ literal.
  ["name LIKE 'Stra%'", [1]],
  ["CASEI(name) LIKE CASEI('strasse%')", [1, 'b2']],
  ["CASEI(name) = CASEI('straße 5')", ['b2']],
  ["name LIKE '100\\% pure\\_%'", [3]],
  ["name LIKE '100\\%_pure%'", [3]],
  ["name LIKE '100\\_%'", []],
  ["name NOT LIKE '%a%'", ['b2', 3]],
  ["name LIKE '_______ 5'", ['b2']],
  ["name LIKE '%-%' OR name LIKE '%/%' OR name LIKE '%{%'", []],
  // ACCENTI strips é; with CASEI both owners match.
  ["ACCENTI(owner) = ACCENTI('Beyonce')", [1]],
  ["CASEI(ACCENTI(owner)) = CASEI(ACCENTI('BEYONCÉ'))", [1, 'b2']],
  ["ACCENTI(owner) LIKE ACCENTI('Bey%ce')", [1]],
  // BETWEEN and IN follow SQL: a NULL operand is unknown.
  ['floors BETWEEN 2 AND 4', [1, 3]],
  ['height NOT BETWEEN 0 AND 10', [1]],
  ['floors IN (4, 2)', [1, 3]],
  ["name NOT IN ('x', 'y')", [1, 'b2', 3]],
  ['height IN (12.5, 99)', [1]],
  ['NOT height IN (1, 2)', [1]],
  // Temporal: a date is its day's 00:00Z; open_from/open_to are 08:00–18:00 on 2020-01-01 for feature 1 only.
  ["T_AFTER(built, DATE('2014-01-01'))", [1]],
  ["built > TIMESTAMP('2012-06-05T09:00:00Z')", [1, 'b2']],
  ["T_EQUALS(built, DATE('2012-06-05'))", []],
  ["T_EQUALS(built, DATE('2015-06-01'))", [1]],
  ["T_BEFORE(built, TIMESTAMP('2012-06-05T10:00:00.001Z'))", ['b2']],
  ["T_DURING(INTERVAL(open_from, open_to), INTERVAL('2020-01-01', '2020-01-02'))", [1]],
  ["T_INTERSECTS(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T18:00:00Z', '..'))", [1]],
  ["T_MEETS(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T18:00:00Z', '..'))", [1]],
  ["T_METBY(INTERVAL('2020-01-01T18:00:00Z', '..'), INTERVAL(open_from, open_to))", [1]],
  ["T_BEFORE(INTERVAL(open_from, open_to), TIMESTAMP('2020-01-01T18:00:00Z'))", []],
  ["T_DISJOINT(INTERVAL('..', '2000-01-01'), INTERVAL(open_from, open_to))", [1]],
  ["T_OVERLAPS(INTERVAL('2020-01-01T06:00:00Z', '2020-01-01T10:00:00Z'), INTERVAL(open_from, open_to))", [1]],
  [
    "T_OVERLAPPEDBY(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T06:00:00Z', '2020-01-01T10:00:00Z'))",
    [1],
  ],
  ["T_OVERLAPS(INTERVAL('2020-01-01T06:00:00Z', '2020-01-01T20:00:00Z'), INTERVAL(open_from, open_to))", []],
  ["T_STARTS(INTERVAL('2020-01-01T08:00:00Z', '2020-01-01T09:00:00Z'), INTERVAL(open_from, open_to))", [1]],
  [
    "T_STARTEDBY(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T08:00:00Z', '2020-01-01T09:00:00Z'))",
    [1],
  ],
  ["T_FINISHES(INTERVAL('2020-01-01T12:00:00Z', '2020-01-01T18:00:00Z'), INTERVAL(open_from, open_to))", [1]],
  [
    "T_FINISHEDBY(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T12:00:00Z', '2020-01-01T18:00:00Z'))",
    [1],
  ],
  ["T_CONTAINS(INTERVAL('2020-01-01', '2020-01-02'), INTERVAL(open_from, open_to))", [1]],
  ['T_CONTAINS(INTERVAL(open_from, open_to), INTERVAL(open_from, open_to))', []],
  ["T_EQUALS(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T08:00:00Z', '2020-01-01T18:00:00Z'))", [1]],
  // Spatial: feature 1 is a point inside b2's square; 3 has no geometry.
  ['S_INTERSECTS(geometry, BBOX(7.005, 51.005, 7.015, 51.015))', [1, 'b2']],
  ['S_WITHIN(geometry, BBOX(7.005, 51.005, 7.015, 51.015))', [1]],
  ['S_CONTAINS(geometry, POINT(7.015 51.015))', ['b2']],
  ['S_DISJOINT(geometry, POINT(8 52))', [1, 'b2']],
  ['S_TOUCHES(geometry, POINT(7 51.01))', ['b2']],
  ['S_CROSSES(geometry, LINESTRING(6.9 51.01, 7.1 51.01))', ['b2']],
  ['S_OVERLAPS(geometry, POLYGON((7.01 51.01, 7.03 51.01, 7.03 51.03, 7.01 51.03, 7.01 51.01)))', ['b2']],
  ['S_EQUALS(geometry, POINT(7.01 51.01))', [1]],
  ['S_INTERSECTS(geometry, BBOX(7.001, 50.9, 0, 7.03, 51.1, 100))', [1, 'b2']],
  ['NOT S_INTERSECTS(geometry, POINT(7.01 51.01))', []],
  // Arrays are sets (CQL2 /req/array-functions/array-predicates B): no order, duplicates do not count.
  ["A_CONTAINS(tags, ('school'))", [1, 'b2']],
  ["A_CONTAINEDBY(tags, ('school', 'park', 'zoo'))", [1, 'b2']],
  ["A_EQUALS(tags, ('park', 'school'))", [1]],
  ["A_EQUALS(tags, ('school', 'park', 'school'))", [1]],
  ["A_EQUALS(tags, ('school', 'zoo'))", []],
  ["A_EQUALS(tags, ('school'))", ['b2']],
  ["A_OVERLAPS(tags, ('park', 'x'))", [1]],
  // Arithmetic: / is not integer division; div truncates; % keeps the remainder.
  ['floors * 3 > 11', [1, 'b2']],
  ['floors % 3 = 1', [1, 'b2']],
  ['floors div 3 = 1', [1]],
  ['floors / 4 = 2.5', ['b2']],
  ['2 ^ floors = 16', [1]],
  ['height - 2.5 = 10', [1]],
  ['-floors < -5', ['b2']],
  ['floors / 0 > 1 OR floors / 0 IS NULL', [1, 'b2', 3]],
];

describe('cql2/evaluate', () => {
  it.each(TRUTH_TABLE)('selects the hand-derived features for %s', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });

  it('returns true across the antimeridian for a BBOX with west > east', () => {
    const filter = parseCql2Text('S_INTERSECTS(geometry, BBOX(179, -1, -179, 1))');
    const at = (x: number) => ({ properties: {}, geometry: { type: 'Point' as const, coordinates: [x, 0] } });
    expect([179.5, -179.5, 0].map((x) => evaluateCql2(filter, at(x)))).toEqual([true, true, false]);
  });

  it('returns false, not an error, for malformed geometries in the data', () => {
    const filter = parseCql2Text(
      'S_INTERSECTS(footprint, POINT(7 51)) OR NOT S_INTERSECTS(footprint, POINT(7 51))',
    );
    const feature = { properties: { footprint: { type: 'LineString', coordinates: null } }, geometry: null };
    expect(evaluateCql2(filter, feature as never)).toBe(false);
  });

  it('reads the geometry under the configured geometry property name', () => {
    const filter = parseCql2Text('S_INTERSECTS(footprint, POINT(7.01 51.01))');
    expect(evaluateCql2(filter, FEATURES[0])).toBe(false);
    expect(evaluateCql2(filter, FEATURES[0], { geometryProperty: 'footprint' })).toBe(true);
  });

  it('compares Date objects and DATE literals as instants', () => {
    const filter = parseCql2Json({ op: '>=', args: [{ property: 'updated' }, { date: '1970-01-01' }] });
    expect(
      evaluateCql2(filter, { properties: { updated: new Date('1970-01-01T00:00:00Z') }, geometry: null }),
    ).toBe(true);
    expect(
      evaluateCql2(filter, { properties: { updated: new Date('1969-12-31T23:59:59Z') }, geometry: null }),
    ).toBe(false);
  });

  it('throws a Cql2Error naming an unimplemented custom function', () => {
    expect(() => evaluateCql2(parseCql2Text('avg(windSpeed) < 4'), FEATURES[0])).toThrow(Cql2Error);
    expect(() => evaluateCql2(parseCql2Text('avg(windSpeed) < 4'), FEATURES[0])).toThrow(/'avg'/);
  });
});
