// Strict GeoJSON validation: every RFC 7946 rule gives an error that names the offending member.
import { describe, expect, it } from 'vitest';
import { GeometryError, validateGeometry } from '../../../server/geometry';

describe('validateGeometry', () => {
  it.each([
    { type: 'Point', coordinates: [13.4, 52.5] },
    { type: 'Point', coordinates: [13.4, 52.5, 34] },
    { type: 'MultiPoint', coordinates: [] },
    {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [1, 1],
      ],
    },
    {
      type: 'MultiLineString',
      coordinates: [
        [
          [0, 0],
          [1, 1],
        ],
      ],
    },
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    },
    {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [0, 1],
          [1, 1],
          [0, 0],
        ],
      ],
      bbox: [0, 0, 1, 1],
    },
    {
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      ],
    },
    { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }] },
    { type: 'GeometryCollection', geometries: [{ type: 'GeometryCollection', geometries: [] }] },
  ])('returns the geometry when it is valid: %j', (geometry) => {
    expect(validateGeometry(geometry)).toBe(geometry);
  });

  it.each<[unknown, string]>([
    [null, 'expected a GeoJSON geometry object, got null'],
    [[1, 2], 'expected a GeoJSON geometry object, got an array'],
    [{ coordinates: [1, 2] }, 'type: missing'],
    [{ type: 'Feature', geometry: null }, "type: unknown 'Feature'"],
    [{ type: 'point', coordinates: [1, 2] }, "type: unknown 'point'"],
    [{ type: 'Point' }, 'coordinates: missing'],
    [{ type: 'Point', coordinates: [1] }, 'coordinates: a position has 2 or 3 numbers'],
    [{ type: 'Point', coordinates: [1, 2, 3, 4] }, 'coordinates: a position has 2 or 3 numbers'],
    [{ type: 'Point', coordinates: ['1', 2] }, "coordinates[0]: expected a finite number, got '1'"],
    [{ type: 'Point', coordinates: [1, null] }, 'coordinates[1]: expected a finite number, got null'],
    [{ type: 'Point', coordinates: [181, 0] }, 'coordinates: longitude 181 is outside [-180, 180]'],
    [{ type: 'Point', coordinates: [0, -90.5] }, 'coordinates: latitude -90.5 is outside [-90, 90]'],
    [{ type: 'MultiPoint', coordinates: [[0, 0], 5] }, 'coordinates[1]: expected a position'],
    [
      { type: 'LineString', coordinates: [[0, 0]] },
      'coordinates: a line string needs at least 2 positions, got 1',
    ],
    [
      {
        type: 'MultiLineString',
        coordinates: [
          [
            [0, 0],
            [1, 1],
          ],
          [[0, 0]],
        ],
      },
      'coordinates[1]: a line string needs',
    ],
    [{ type: 'Polygon', coordinates: [] }, 'coordinates: a polygon needs an exterior ring'],
    [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [0, 0],
          ],
        ],
      },
      'coordinates[0]: a linear ring needs at least 4',
    ],
    [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      'coordinates[0][3]: ring is not closed',
    ],
    [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [2, 0],
            [0, 0],
          ],
        ],
      },
      'coordinates[0]: ring encloses no area',
    ],
    [
      {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 0],
            ],
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [1, 0],
            ],
          ],
        ],
      },
      'coordinates[0][1][3]: ring is not closed',
    ],
    [{ type: 'GeometryCollection' }, 'geometries: missing'],
    [
      { type: 'GeometryCollection', geometries: [], coordinates: [] },
      'coordinates: not allowed in a GeometryCollection',
    ],
    [{ type: 'Point', coordinates: [0, 0], geometries: [] }, 'geometries: not allowed in a Point'],
    [
      { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [0, 0] }, { type: 'Line' }] },
      "geometries[1].type: unknown 'Line'",
    ],
    [{ type: 'Point', coordinates: [0, 0], bbox: [0, 0, 1] }, 'bbox: a bbox has 4 or 6 numbers, got 3'],
    [{ type: 'Point', coordinates: [Number.NaN, 0] }, 'coordinates[0]: expected a finite number, got NaN'],
  ])('throws a GeometryError naming the problem for %j', (value, message) => {
    expect(() => validateGeometry(value)).toThrow(GeometryError);
    expect(() => validateGeometry(value)).toThrow(message);
  });
});
