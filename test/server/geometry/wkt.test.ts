// WKT reading and writing, compared with GeoJSON written out by hand.
import { describe, expect, it } from 'vitest';
import { formatWkt, GeometryError, parseWkt, readWkt, type Geometry } from '../../../server/geometry';

const PAIRS: Array<[string, Geometry]> = [
  ['POINT (1 2)', { type: 'Point', coordinates: [1, 2] }],
  ['POINT Z (1 2 3)', { type: 'Point', coordinates: [1, 2, 3] }],
  [
    'LINESTRING (0 0, 1.5 -2.25)',
    {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [1.5, -2.25],
      ],
    },
  ],
  [
    'POLYGON ((0 0, 1 0, 1 1, 0 0), (0.2 0.1, 0.8 0.1, 0.8 0.7, 0.2 0.1))',
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
        [
          [0.2, 0.1],
          [0.8, 0.1],
          [0.8, 0.7],
          [0.2, 0.1],
        ],
      ],
    },
  ],
  [
    'MULTIPOINT ((1 2), (3 4))',
    {
      type: 'MultiPoint',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    },
  ],
  [
    'MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))',
    {
      type: 'MultiLineString',
      coordinates: [
        [
          [0, 0],
          [1, 1],
        ],
        [
          [2, 2],
          [3, 3],
        ],
      ],
    },
  ],
  [
    'MULTIPOLYGON Z (((0 0 1, 1 0 1, 1 1 1, 0 0 1)))',
    {
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [0, 0, 1],
            [1, 0, 1],
            [1, 1, 1],
            [0, 0, 1],
          ],
        ],
      ],
    },
  ],
  [
    'GEOMETRYCOLLECTION (POINT (1 2), LINESTRING (0 0, 1 1))',
    {
      type: 'GeometryCollection',
      geometries: [
        { type: 'Point', coordinates: [1, 2] },
        {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
    },
  ],
  ['MULTIPOINT EMPTY', { type: 'MultiPoint', coordinates: [] }],
  ['GEOMETRYCOLLECTION EMPTY', { type: 'GeometryCollection', geometries: [] }],
  ['POINT (-0.000001 1e-7)', { type: 'Point', coordinates: [-0.000001, 1e-7] }],
];

describe('parseWkt', () => {
  it.each(PAIRS)('parses %s', (text, geometry) => {
    expect(parseWkt(text)).toEqual(geometry);
  });

  it('accepts lower case, extra blanks, unparenthesised multipoints and exponents', () => {
    expect(parseWkt('  multipoint( 1 2 ,3 4 )  ')).toEqual({
      type: 'MultiPoint',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(parseWkt('Point z(1E2 -2.5e-1 +3)')).toEqual({ type: 'Point', coordinates: [100, -0.25, 3] });
  });

  it('parses the WKT literals of the CQL2 examples', () => {
    expect(parseWkt('POLYGON((-10.0 50.0,10.0 50.0,10.0 56.0,-10.0 56.0,-10.0 50.0))').type).toBe('Polygon');
    expect(parseWkt('LINESTRING(43.72992 -79.2998, 43.73005 -79.2991, 43.73006 -79.2984)').type).toBe(
      'LineString',
    );
  });

  it.each<[string, string]>([
    ['', 'expected one of POINT'],
    ['CIRCLE (1 2)', 'expected one of POINT'],
    ['POINT (1)', 'character 8: expected a number'],
    ['POINT (1 2', "expected ')'"],
    ['POINT (1 2) x', 'unexpected text after the geometry'],
    ['POINT EMPTY', 'an empty point has no GeoJSON form'],
    ['POINT M (1 2 3)', 'M coordinates are not supported'],
    ['POINT (1 2 3 4)', 'M coordinates are not supported'],
    ['POINT Z (1 2)', 'expected 3 coordinates per point'],
    ['LINESTRING (1 2, 3 4 5)', 'expected 2 coordinates per point'],
    ['LINESTRING (1 2)', 'a line string needs at least 2 points'],
    ['POLYGON ((0 0, 1 0, 1 1, 0 1))', 'linear ring is not closed'],
    ['POLYGON ((0 0, 1 0, 0 0))', 'a linear ring needs at least 4 points'],
    ['BBOX (0, 0, 1, 1)', 'expected one of POINT'],
  ])('throws a GeometryError for %j', (text, message) => {
    expect(() => parseWkt(text)).toThrow(GeometryError);
    expect(() => parseWkt(text)).toThrow(message);
  });
});

describe('readWkt', () => {
  it('returns the geometry and the offset where it ends inside a longer text', () => {
    const text = "S_INTERSECTS(geometry, POINT (1 2)) AND name = 'x'";
    const { geometry, end } = readWkt(text, 23);
    expect(geometry).toEqual({ type: 'Point', coordinates: [1, 2] });
    expect(text.slice(end)).toBe(") AND name = 'x'");
  });
});

describe('formatWkt', () => {
  it.each(PAIRS)('writes %s', (text, geometry) => {
    expect(formatWkt(geometry)).toBe(text);
  });

  it.each(PAIRS)('round-trips %s through parseWkt', (_text, geometry) => {
    expect(parseWkt(formatWkt(geometry))).toEqual(geometry);
  });

  it('keeps every digit of a double', () => {
    const geometry: Geometry = { type: 'Point', coordinates: [0.1 + 0.2, 52.51234567890123] };
    expect(parseWkt(formatWkt(geometry))).toEqual(geometry);
  });

  it('leaves heights out when only some positions have one', () => {
    expect(
      formatWkt({
        type: 'LineString',
        coordinates: [
          [0, 0, 5],
          [1, 1],
        ],
      }),
    ).toBe('LINESTRING (0 0, 1 1)');
  });
});

describe('readWkt on the CQL2 examples', () => {
  it('reads every WKT literal of ../shared/data/cql2/text, and each matches its CQL2-JSON twin', async () => {
    const { readdirSync, readFileSync, existsSync } = await import('node:fs');
    const { resolve, join } = await import('node:path');
    const folder = resolve('..', 'shared', 'data', 'cql2');
    const tag = /\b(MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|POINT|LINESTRING|POLYGON|GEOMETRYCOLLECTION)\b/gi;
    let literals = 0;
    let compared = 0;
    for (const name of readdirSync(join(folder, 'text')).filter((file) => file.endsWith('.txt'))) {
      const text = readFileSync(join(folder, 'text', name), 'utf8');
      const geometries: Geometry[] = [];
      let consumed = 0;
      for (const match of text.matchAll(tag)) {
        // Tags inside a collection belong to it; read only the outermost literal.
        if (match.index! < consumed) continue;
        const { geometry, end } = readWkt(text, match.index!);
        geometries.push(geometry);
        consumed = end;
        literals++;
      }
      const twin = join(folder, 'json', name.replace(/\.txt$/, '.json'));
      if (geometries.length === 0 || !existsSync(twin)) continue;
      // CQL2-JSON writes the same literals as GeoJSON objects: find them in the same order.
      const found: unknown[] = [];
      const collect = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(collect);
        else if (typeof node === 'object' && node !== null) {
          const record = node as Record<string, unknown>;
          if (typeof record['type'] === 'string' && ('coordinates' in record || 'geometries' in record))
            found.push(node);
          else Object.values(record).forEach(collect);
        }
      };
      collect(JSON.parse(readFileSync(twin, 'utf8')));
      expect(geometries, name).toEqual(found);
      compared++;
    }
    expect(literals).toBeGreaterThanOrEqual(15);
    expect(compared).toBeGreaterThanOrEqual(10);
  });
});
