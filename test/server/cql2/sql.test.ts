import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Cql2Error,
  evaluateCql2,
  parseCql2Text,
  registerSqliteFunctions,
  spatialPrefilterBbox,
  toSql,
  type Cql2Feature,
} from '../../../server/cql2';
import { COLUMNS, FILTERS, buildRows, featureOf, type Row } from './rows';

describe('cql2/sql', () => {
  let database: Database.Database;
  let rows: Row[];
  let features: (Cql2Feature & { id: number })[];

  beforeAll(() => {
    database = new Database(':memory:');
    registerSqliteFunctions(database);
    database.exec(`CREATE TABLE "places" (id INTEGER PRIMARY KEY, name TEXT, height REAL, floors INTEGER, built TEXT,
      owner TEXT, open_from TEXT, open_to TEXT, pool BOOLEAN, tags TEXT, geom TEXT)`);
    rows = buildRows();
    const insert = database.prepare(
      `INSERT INTO "places" VALUES (@id, @name, @height, @floors, @built, @owner, @open_from, @open_to, @pool, @tags, @geom)`,
    );
    for (const row of rows) insert.run(row);
    features = rows.map(featureOf);
  });

  afterAll(() => database.close());

  const column = (property: string) =>
    property === 'id' || (COLUMNS as readonly string[]).includes(property) ? `"${property}"` : undefined;

  function selectWithSql(filter: string, sqliteFunctions: boolean): { ids: number[]; residual: boolean } {
    const expression = parseCql2Text(filter);
    const { where, params, residual } = toSql(expression, {
      dialect: 'sqlite',
      column,
      geometryColumn: '"geom"',
      sqliteFunctions,
    });
    const found = database
      .prepare(`SELECT * FROM "places" WHERE ${where} ORDER BY id`)
      .all(...params) as Row[];
    const ids = found
      .map(featureOf)
      .filter((feature) => residual === undefined || evaluateCql2(residual, feature))
      .map((feature) => feature.id);
    return { ids, residual: residual !== undefined };
  }

  it.each(FILTERS)('selects the rows the evaluator selects for %s', (filter) => {
    const expression = parseCql2Text(filter);
    const expected = features
      .filter((feature) => evaluateCql2(expression, feature))
      .map((feature) => feature.id);
    const plain = selectWithSql(filter, false);
    const withFunctions = selectWithSql(filter, true);
    expect(plain.ids).toEqual(expected);
    expect(withFunctions.ids).toEqual(expected);
    // Only what SQLite cannot compute exactly is left to JavaScript.
    expect(plain.residual).toBe(/S_|A_|(CASEI|ACCENTI)\([A-Za-z]/.test(filter));
    expect(withFunctions.residual).toBe(/S_|A_/.test(filter));
  });

  it('selects a non-trivial share of the rows for most filters', () => {
    // Guards the equivalence test against filters that match nothing (or everything) everywhere.
    const sizes = FILTERS.map((filter) => {
      const expression = parseCql2Text(filter);
      return features.filter((feature) => evaluateCql2(expression, feature)).length;
    });
    const informative = sizes.filter((size) => size > 0 && size < features.length);
    expect(informative.length).toBeGreaterThan(FILTERS.length * 0.85);
  });

  it('pushes comparisons, LIKE, temporal functions and arithmetic down without a residual', () => {
    for (const filter of [
      "name LIKE 'a\\_b'",
      'height NOT BETWEEN 0 AND 10',
      "T_DURING(INTERVAL(open_from, open_to), INTERVAL('2020-01-01', '..'))",
      'floors div 3 = 1',
    ]) {
      expect(selectWithSql(filter, false).residual, filter).toBe(false);
    }
  });

  it('leaves spatial, array and (without registered functions) CASEI terms residual, but keeps other AND terms in SQL', () => {
    const result = toSql(
      parseCql2Text("S_INTERSECTS(geometry, POINT(1 2)) AND floors > 2 AND CASEI(name) = 'x'"),
      {
        dialect: 'sqlite',
        column,
        geometryColumn: '"geom"',
      },
    );
    expect(result.where).toBe('("floors" > ?)');
    expect(result.params).toEqual([2]);
    expect(result.residual).toEqual({
      op: 'and',
      args: [
        { op: 's_intersects', args: [{ property: 'geometry' }, { type: 'Point', coordinates: [1, 2] }] },
        { op: '=', args: [{ op: 'casei', args: [{ property: 'name' }] }, 'x'] },
      ],
    });
    const withFunctions = toSql(parseCql2Text("CASEI(name) = 'x'"), {
      dialect: 'sqlite',
      column,
      geometryColumn: '"geom"',
      sqliteFunctions: true,
    });
    expect(withFunctions).toEqual({ where: '(cql2_casei("name") = ?)', params: ['x'] });
  });

  it('binds every value instead of writing it into the SQL', () => {
    const { where, params } = toSql(parseCql2Text("name = 'x''; DROP TABLE places; --' OR floors = 3"), {
      dialect: 'sqlite',
      column,
      geometryColumn: '"geom"',
    });
    expect(where).toBe('(("name" = ?) OR ("floors" = ?))');
    expect(params).toEqual(["x'; DROP TABLE places; --", 3]);
  });

  it('throws a Cql2Error for an unknown property and for a custom function', () => {
    const options = { dialect: 'sqlite' as const, column, geometryColumn: '"geom"' };
    expect(() => toSql(parseCql2Text('colour = 1'), options)).toThrow(Cql2Error);
    expect(() => toSql(parseCql2Text('colour = 1'), options)).toThrow(/Unknown property 'colour'/);
    expect(() => toSql(parseCql2Text('avg(height) > 1'), options)).toThrow(/Unsupported function 'avg'/);
  });

  it('writes PostGIS SQL with typed $n placeholders, ST_* functions and a transform to the storage SRID', () => {
    const options = {
      dialect: 'postgis' as const,
      column: (property: string) => `"${property}"`,
      geometryColumn: '"geom"',
      storageSrid: 25832,
      firstParameter: 3,
    };
    expect(
      toSql(parseCql2Text("S_INTERSECTS(geometry, POINT(7 51)) AND CASEI(name) LIKE CASEI('a%')"), options),
    ).toEqual({
      where:
        'ST_Intersects("geom", ST_Transform(ST_GeomFromText($3::text, 4326), 25832)) AND (lower("name") LIKE lower($4::text))',
      params: ['POINT (7 51)', 'a%'],
    });
    expect(toSql(parseCql2Text("T_AFTER(built, DATE('2014-01-01')) AND height / 2 > 1"), options)).toEqual({
      where:
        '(("built")::timestamptz > $3::timestamptz) AND ((("height")::double precision / NULLIF($4::double precision, 0)) > $5::double precision)',
      params: ['2014-01-01T00:00:00.000Z', 2, 1],
    });
    expect(
      toSql(parseCql2Text("T_BEFORE(INTERVAL(a, '..'), INTERVAL('..', b)) AND name < 'x'"), options),
    ).toEqual({
      // e1 < s2 with e1 = +infinity and s2 = -infinity: false whatever the columns hold, as in the evaluator.
      where: '($3::timestamptz < $4::timestamptz) AND ("name" < $5)',
      params: ['infinity', '-infinity', 'x'],
    });
  });

  it('orders string literals by code point in PostGIS unless a column gives their type', () => {
    const options = {
      dialect: 'postgis' as const,
      column: (property: string) => `"${property}"`,
      geometryColumn: 'g',
    };
    expect(toSql(parseCql2Text("CASEI(name) < 'b' AND built > '2020-01-01'"), options)).toEqual({
      where: '(lower("name") < $1::text COLLATE "C") AND ("built" > $2)',
      params: ['b', '2020-01-01'],
    });
  });

  it('leaves ACCENTI residual in PostGIS unless unaccent is available', () => {
    const filter = parseCql2Text("ACCENTI(owner) = ACCENTI('Beyoncé')");
    const base = {
      dialect: 'postgis' as const,
      column: (property: string) => `"${property}"`,
      geometryColumn: '"geom"',
    };
    expect(toSql(filter, base)).toEqual({ where: 'TRUE', params: [], residual: filter });
    expect(toSql(filter, { ...base, unaccent: true })).toEqual({
      where: '(unaccent("owner") = unaccent($1::text))',
      params: ['Beyoncé'],
    });
  });
});

describe('cql2/sql spatialPrefilterBbox', () => {
  const box = (filter: string) => spatialPrefilterBbox(parseCql2Text(filter));

  it('returns the literal box of an intersecting predicate on the geometry, in either argument order', () => {
    expect(box('S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))')).toEqual([1, 2, 3, 4]);
    expect(box('S_WITHIN(POLYGON((0 0, 2 0, 2 5, 0 0)), geometry)')).toEqual([0, 0, 2, 5]);
    expect(box('S_CONTAINS(geometry, POINT(5 6)) AND floors > 1')).toEqual([5, 6, 5, 6]);
  });

  it('returns the smallest box of an AND and the union of an OR', () => {
    expect(
      box('S_INTERSECTS(geometry, BBOX(0, 0, 10, 10)) AND S_WITHIN(geometry, BBOX(1, 1, 2, 2))'),
    ).toEqual([1, 1, 2, 2]);
    expect(
      box('S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR S_INTERSECTS(geometry, BBOX(5, 5, 6, 7))'),
    ).toEqual([0, 0, 6, 7]);
  });

  it('returns undefined where the filter does not imply an intersection', () => {
    expect(box('S_DISJOINT(geometry, BBOX(0, 0, 1, 1))')).toBeUndefined();
    expect(box('NOT S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))')).toBeUndefined();
    expect(box('S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) OR floors > 1')).toBeUndefined();
    expect(box('S_INTERSECTS(other, BBOX(0, 0, 1, 1))')).toBeUndefined();
    expect(box('floors > 1')).toBeUndefined();
  });

  it('returns the whole longitude range for a BBOX across the antimeridian', () => {
    expect(box('S_INTERSECTS(geometry, BBOX(170, -10, -170, 10))')).toEqual([-180, -10, 180, 10]);
  });
});
