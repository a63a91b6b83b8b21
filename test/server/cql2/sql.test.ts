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
import { FEATURES } from './features';

const COLUMNS = [
  'name',
  'height',
  'floors',
  'built',
  'owner',
  'open_from',
  'open_to',
  'pool',
  'tags',
] as const;

type Row = Record<(typeof COLUMNS)[number] | 'id' | 'geom', unknown>;

/** The three hand-made features plus rows that vary every column over tricky values (NULLs, GLOB characters …). */
function buildRows(): Row[] {
  const rows = FEATURES.map((feature) => ({
    id: typeof feature.id === 'number' ? feature.id : 2,
    ...Object.fromEntries(COLUMNS.map((column) => [column, feature.properties?.[column] ?? null])),
    pool: feature.properties?.pool === undefined ? null : feature.properties.pool ? 1 : 0,
    tags: feature.properties?.tags ? JSON.stringify(feature.properties.tags) : null,
    geom: feature.geometry ? JSON.stringify(feature.geometry) : null,
  })) as Row[];
  const names = [
    'Alpha',
    'alpha',
    'ÄLPHA',
    'Straße',
    'STRASSE',
    'a_b',
    'a%b',
    'x*y',
    'q?r',
    '[z]',
    'émile',
    'Emile',
    null,
  ];
  const heights = [null, 0, -3.5, 12.5, 100, 7.25];
  const floors = [null, 0, 2, 4, 10, -1, 7];
  const built = [
    null,
    '2012-06-05',
    '2015-06-01T12:00:00Z',
    '2020-02-29T23:59:59.5Z',
    'not a date',
    '2014-01-01',
  ];
  const opening: [string | null, string | null][] = [
    [null, null],
    ['2020-01-01T08:00:00Z', '2020-01-01T18:00:00Z'],
    ['2020-01-01T06:00:00Z', '2020-01-01T08:00:00Z'],
    ['2019-12-31', '2020-01-02'],
    ['2020-01-01T18:00:00Z', null],
  ];
  for (let index = 0; index < 64; index++) {
    const [from, to] = opening[index % opening.length];
    const x = 7 + (index % 8) * 0.005;
    const y = 51 + Math.floor(index / 8) * 0.005;
    rows.push({
      id: 100 + index,
      name: names[index % names.length],
      height: heights[(index * 5) % heights.length],
      floors: floors[(index * 3) % floors.length],
      built: built[(index * 7) % built.length],
      owner: ['Beyoncé', 'beyonce', 'BEYONCE', null][index % 4],
      open_from: from,
      open_to: to,
      pool: [null, 0, 1][index % 3],
      tags: index % 4 === 0 ? null : JSON.stringify(['school', 'park', 'zoo'].slice(index % 3)),
      geom:
        index % 9 === 0
          ? null
          : JSON.stringify(
              index % 2 === 0
                ? { type: 'Point', coordinates: [x, y] }
                : {
                    type: 'Polygon',
                    coordinates: [
                      [
                        [x, y],
                        [x + 0.004, y],
                        [x + 0.004, y + 0.004],
                        [x, y + 0.004],
                        [x, y],
                      ],
                    ],
                  },
            ),
    });
  }
  return rows;
}

function featureOf(row: Row): Cql2Feature & { id: number } {
  const properties: Record<string, unknown> = {};
  for (const column of COLUMNS) properties[column] = row[column];
  // What a GeoPackage provider hands out: booleans for BOOLEAN columns, arrays decoded.
  properties.pool = row.pool === null ? null : row.pool === 1;
  properties.tags = row.tags === null ? null : JSON.parse(row.tags as string);
  return { id: row.id as number, properties, geometry: row.geom ? JSON.parse(row.geom as string) : null };
}

// Filters whose SQL translation (plus residual) must select exactly what the evaluator selects.
const FILTERS = [
  'floors > 3',
  'height > 10',
  'NOT (height > 10)',
  'height > 10 OR floors > 5',
  'height IS NULL',
  'height IS NOT NULL',
  'height < 20 AND floors = 10',
  'NOT (height < 20 AND floors = 10)',
  'height > floors',
  'pool = TRUE',
  'pool <> TRUE',
  'NOT pool = FALSE',
  'id = 2',
  'TRUE',
  'FALSE OR floors = 0',
  "name >= 'S' AND name < 'T'",
  "name < 'a'",
  "name LIKE 'Stra%'",
  "name LIKE '%a%'",
  "name NOT LIKE '%a%'",
  "name LIKE 'a\\_b'",
  "name LIKE 'a\\%b'",
  "name LIKE 'a_b'",
  "name LIKE 'x*%'",
  "name LIKE 'q?r'",
  "name LIKE '[z%'",
  "name LIKE '_LPHA'",
  "name LIKE CASEI('ALPHA')",
  "CASEI(name) LIKE CASEI('strasse%')",
  "CASEI(name) = CASEI('ALPHA')",
  "CASEI(name) IN (CASEI('straße'), CASEI('Alpha'))",
  "ACCENTI(owner) = ACCENTI('Beyonce')",
  "CASEI(ACCENTI(owner)) = CASEI(ACCENTI('BEYONCÉ'))",
  "ACCENTI(name) LIKE ACCENTI('émile')",
  'floors BETWEEN 2 AND 4',
  'height NOT BETWEEN 0 AND 10',
  'floors BETWEEN height AND 10',
  'floors IN (4, 2)',
  "name NOT IN ('Alpha', 'a_b')",
  'height IN (12.5, 99)',
  'NOT height IN (1, 2)',
  "T_AFTER(built, DATE('2014-01-01'))",
  "built > TIMESTAMP('2012-06-05T09:00:00Z')",
  "built = DATE('2012-06-05')",
  "built IN (DATE('2012-06-05'), DATE('2014-01-01'))",
  "T_EQUALS(built, DATE('2012-06-05'))",
  "T_EQUALS(built, DATE('2015-06-01'))",
  "T_BEFORE(built, TIMESTAMP('2020-02-29T23:59:59.6Z'))",
  "T_DURING(INTERVAL(open_from, open_to), INTERVAL('2020-01-01', '2020-01-02'))",
  "T_INTERSECTS(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T18:00:00Z', '..'))",
  "T_MEETS(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T18:00:00Z', '..'))",
  "T_METBY(INTERVAL('2020-01-01T08:00:00Z', '..'), INTERVAL(open_from, open_to))",
  "T_BEFORE(INTERVAL(open_from, open_to), TIMESTAMP('2020-01-01T18:00:00Z'))",
  "T_DISJOINT(INTERVAL('..', '2020-01-01T07:00:00Z'), INTERVAL(open_from, open_to))",
  "T_OVERLAPS(INTERVAL('2020-01-01T06:00:00Z', '2020-01-01T10:00:00Z'), INTERVAL(open_from, open_to))",
  "T_OVERLAPPEDBY(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T06:00:00Z', '2020-01-01T10:00:00Z'))",
  "T_STARTS(INTERVAL('2020-01-01T08:00:00Z', '2020-01-01T09:00:00Z'), INTERVAL(open_from, open_to))",
  "T_STARTEDBY(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T08:00:00Z', '2020-01-01T09:00:00Z'))",
  "T_FINISHES(INTERVAL('2020-01-01T12:00:00Z', '2020-01-01T18:00:00Z'), INTERVAL(open_from, open_to))",
  "T_FINISHEDBY(INTERVAL(open_from, open_to), INTERVAL('2020-01-01T12:00:00Z', '2020-01-01T18:00:00Z'))",
  "T_CONTAINS(INTERVAL('2019-12-31', '2020-01-02'), INTERVAL(open_from, open_to))",
  "T_EQUALS(INTERVAL(open_from, open_to), INTERVAL('2019-12-31', '2020-01-02'))",
  "T_INTERSECTS(built, INTERVAL(open_from, '..'))",
  'S_INTERSECTS(geometry, BBOX(7.005, 51.005, 7.015, 51.015))',
  'S_WITHIN(geometry, BBOX(7.005, 51.005, 7.02, 51.02))',
  'S_CONTAINS(geometry, POINT(7.012 51.012))',
  'S_DISJOINT(geometry, BBOX(7, 51, 7.01, 51.01))',
  'S_TOUCHES(geometry, POINT(7.005 51.01))',
  'S_INTERSECTS(geometry, BBOX(7.005, 51.005, 7.015, 51.015)) AND floors > 2',
  'S_INTERSECTS(geometry, POINT(7.01 51.01)) OR height > 50',
  "A_CONTAINS(tags, ('school'))",
  "A_OVERLAPS(tags, ('zoo', 'x')) AND pool = TRUE",
  'floors * 3 > 11',
  'floors % 3 = 1',
  'height % 2 = 1.5',
  'floors div 3 = 1',
  'height div 2 = -1',
  'floors / 4 = 2.5',
  'height / floors > 1',
  '2 ^ floors = 16',
  'height - 2.5 = 10',
  '-floors < -5',
  'floors / 0 > 1 OR floors / 0 IS NULL',
  '(floors > 2) = TRUE',
];

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
      where: '($3::timestamptz < $4::timestamptz) AND ("name" < $5::text COLLATE "C")',
      params: ['infinity', '-infinity', 'x'],
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
