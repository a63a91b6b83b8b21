// Geodesic distances against PROJ's `geod` (Debian proj-bin; Karney's algorithm on WGS84) and hand-computed values.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  distanceMeters,
  geodesicMeters,
  GeometryError,
  haversineMeters,
  MEAN_EARTH_RADIUS_METERS,
  parseWkt,
} from '../../../server/geometry';

/** Distance in metres between two lon/lat positions on WGS84, computed by `geod -I`. */
function geod(a: [number, number], b: [number, number]): number {
  const output = execFileSync('geod', ['-I', '+ellps=WGS84', '-f', '%.6f'], {
    input: `${a[1]} ${a[0]} ${b[1]} ${b[0]}\n`,
    encoding: 'utf8',
  });
  return Number(output.trim().split(/\s+/)[2]);
}

describe('geodesicMeters', () => {
  it.each<[[number, number], [number, number]]>([
    [
      [13.377704, 52.516275],
      [13.369545, 52.520008],
    ],
    [
      [7.1, 51.45],
      [7.1, 51.46],
    ],
    [
      [0, 0],
      [1, 0],
    ],
    [
      [-73.9857, 40.7484],
      [2.2945, 48.8584],
    ],
    [
      [151.2153, -33.8568],
      [-0.1276, 51.5072],
    ],
    [
      [10, 89.9],
      [-170, 89.9],
    ],
    [
      [0, 0],
      [0, 0.000001],
    ],
  ])('agrees with geod within a millimetre from %j to %j', (a, b) => {
    expect(Math.abs(geodesicMeters(a, b) - geod(a, b))).toBeLessThan(0.001);
  });

  it('returns 0 for the same position', () => {
    expect(geodesicMeters([13.4, 52.5], [13.4, 52.5])).toBe(0);
  });

  it('still answers for antipodal positions, where the iteration does not converge', () => {
    // Half the mean great circle, within the haversine fallback's 0.5 % of the true ellipsoidal distance.
    expect(geodesicMeters([0, 0], [180, 0])).toBeCloseTo(Math.PI * MEAN_EARTH_RADIUS_METERS, -5);
  });
});

describe('haversineMeters', () => {
  it('returns one degree of the mean great circle for one degree of latitude', () => {
    expect(haversineMeters([0, 10], [0, 11])).toBeCloseTo((Math.PI / 180) * 6371008.8, 3);
  });
});

describe('distanceMeters', () => {
  it('returns the geodesic distance between two points', () => {
    const expected = geod([13.377704, 52.516275], [13.369545, 52.520008]);
    expect(
      distanceMeters(parseWkt('POINT (13.377704 52.516275)'), parseWkt('POINT (13.369545 52.520008)')),
    ).toBeCloseTo(expected, 3);
  });

  it('returns the distance to the foot of the perpendicular on an equator segment', () => {
    // The equator is a geodesic and meridians meet it at right angles: the closest point to (0.5, 0.01) is (0.5, 0).
    const distance = distanceMeters(parseWkt('POINT (0.5 0.01)'), parseWkt('LINESTRING (0 0, 1 0)'));
    expect(distance).toBeCloseTo(geod([0.5, 0.01], [0.5, 0]), 2);
  });

  it('returns the distance to the end point when the perpendicular falls outside the segment', () => {
    const distance = distanceMeters(parseWkt('POINT (1.5 0.01)'), parseWkt('LINESTRING (0 0, 1 0)'));
    expect(distance).toBeCloseTo(geod([1.5, 0.01], [1, 0]), 2);
  });

  it('returns the distance between the closest corners of two squares on either side of a meridian gap', () => {
    // Parallels shorten towards the pole, so the gap between lon 1 and lon 2 is narrowest at the top edge (lat 1).
    const a = parseWkt('POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))');
    const b = parseWkt('POLYGON ((2 0, 3 0, 3 1, 2 1, 2 0))');
    expect(distanceMeters(a, b)).toBeCloseTo(geod([1, 1], [2, 1]), 2);
    expect(distanceMeters(b, a)).toBeCloseTo(geod([1, 1], [2, 1]), 2);
  });

  it('returns 0 when the geometries intersect, a point inside a polygon included', () => {
    const square = parseWkt('POLYGON ((13 52, 14 52, 14 53, 13 53, 13 52))');
    expect(distanceMeters(parseWkt('POINT (13.5 52.5)'), square)).toBe(0);
    expect(distanceMeters(parseWkt('LINESTRING (12 52.5, 15 52.5)'), square)).toBe(0);
  });

  it('returns the distance from a point in a hole to the hole boundary', () => {
    const holed = parseWkt('POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (4 4, 4 6, 6 6, 6 4, 4 4))');
    // (5, 4.5) lies 0.5° north of the hole's bottom edge on the meridian lon 5, the nearest part of the boundary.
    expect(distanceMeters(parseWkt('POINT (5 4.5)'), holed)).toBeCloseTo(geod([5, 4.5], [5, 4]), 0);
  });

  it('throws a GeometryError for an empty geometry', () => {
    expect(() => distanceMeters(parseWkt('MULTIPOINT EMPTY'), parseWkt('POINT (0 0)'))).toThrow(
      GeometryError,
    );
  });
});
