// Rows and filters shared by the SQLite and PostGIS equivalence tests of toSql: the hand-made features plus rows that
// vary every column over tricky values (NULLs, GLOB characters, accents, open intervals).
import type { Cql2Feature } from '../../../server/cql2';
import { FEATURES } from './features';

export const COLUMNS = [
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

export type Row = Record<(typeof COLUMNS)[number] | 'id' | 'geom', unknown>;

/** The three hand-made features plus rows that vary every column over tricky values (NULLs, GLOB characters …). */
export function buildRows(): Row[] {
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

export function featureOf(row: Row): Cql2Feature & { id: number } {
  const properties: Record<string, unknown> = {};
  for (const column of COLUMNS) properties[column] = row[column];
  // What a GeoPackage provider hands out: booleans for BOOLEAN columns, arrays decoded.
  properties.pool = row.pool === null ? null : row.pool === 1;
  properties.tags = row.tags === null ? null : JSON.parse(row.tags as string);
  return { id: row.id as number, properties, geometry: row.geom ? JSON.parse(row.geom as string) : null };
}

// Filters whose SQL translation (plus residual) must select exactly what the evaluator selects.
export const FILTERS = [
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
  "'b' > name",
  "built >= '2014-01-01' AND built < '2015-06-01T12:00:00Z'",
  "built IN ('2012-06-05', '2014-01-01')",
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
  'S_WITHIN(geometry, GEOMETRYCOLLECTION(POLYGON((7 51, 7.02 51, 7.02 51.02, 7 51.02, 7 51)), POINT(7.03 51.03)))',
  'S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(7.012 51.012), LINESTRING(7.03 51, 7.03 51.04)))',
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
