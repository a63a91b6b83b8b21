// Bounding boxes and box polygons.
import { describe, expect, it } from 'vitest';
import {
  boundingBox,
  boundingBoxToPolygon,
  GeometryError,
  intersects,
  parseWkt,
} from '../../../server/geometry';

describe('boundingBox', () => {
  it('returns west, south, east, north over every part of a collection', () => {
    const geometry = parseWkt(
      'GEOMETRYCOLLECTION (POINT (5 -3), POLYGON ((0 0, 2 0, 2 7, 0 0)), LINESTRING (-4 1, 1 1))',
    );
    expect(boundingBox(geometry)).toEqual([-4, -3, 5, 7]);
  });

  it('returns the point itself for a point, ignoring heights', () => {
    expect(boundingBox(parseWkt('POINT Z (13.4 52.5 40)'))).toEqual([13.4, 52.5, 13.4, 52.5]);
  });

  it('throws a GeometryError for an empty geometry', () => {
    expect(() => boundingBox(parseWkt('MULTIPOINT EMPTY'))).toThrow(GeometryError);
  });
});

describe('boundingBoxToPolygon', () => {
  it('returns a counter-clockwise ring from the south-west corner', () => {
    expect(boundingBoxToPolygon([1, 2, 3, 4])).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [1, 2],
          [3, 2],
          [3, 4],
          [1, 4],
          [1, 2],
        ],
      ],
    });
  });

  it('returns two halves when the box crosses the antimeridian', () => {
    const box = boundingBoxToPolygon([177, 65, -177, 70]);
    expect(box.type).toBe('MultiPolygon');
    expect(intersects(box, parseWkt('POINT (179 66)'))).toBe(true);
    expect(intersects(box, parseWkt('POINT (-179 66)'))).toBe(true);
    expect(intersects(box, parseWkt('POINT (0 66)'))).toBe(false);
  });

  it('returns a point or a line for a box without area, and rejects south above north', () => {
    expect(boundingBoxToPolygon([1, 2, 1, 2])).toEqual({ type: 'Point', coordinates: [1, 2] });
    expect(boundingBoxToPolygon([1, 2, 3, 2]).type).toBe('LineString');
    expect(() => boundingBoxToPolygon([0, 5, 1, 4])).toThrow(/south 5 is greater than north 4/);
  });
});
