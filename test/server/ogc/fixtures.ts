// Shared fixtures of the OGC API tests: ten hand-made features (the expected answers in the tests are worked out by
// hand from this table), written as a Plaza GeoPackage, a GeoJSON file and GDAL-written GeoPackages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Geometry } from 'geojson';
import { writeGeoPackage } from '../../../server/providers/geopackage-writer';

/** One fixture feature. */
export interface FixturePlace {
  id: number;
  name: string;
  category: string;
  height: number | null;
  visits: number;
  open: boolean;
  observed: string | null;
  geometry: Geometry | null;
}

/**
 * The fixture table. Facts used by the tests:
 * - Darmstadt points 1 (8.65,49.87), 2 (8.66,49.88), 3 (8.67,49.89), 4 (8.68,49.90), 10 (8.655,49.875);
 * - 5 is the square 8.69..8.70 x 49.91..49.92; 6 is the line along latitude 49.86 from 8.64 to 8.72;
 * - 7 (179.5, 66) and 8 (-179.5, 67) lie on either side of the antimeridian; 9 has no geometry.
 */
export const PLACES: FixturePlace[] = [
  {
    id: 1,
    name: 'Alpha',
    category: 'park',
    height: 12.5,
    visits: 3,
    open: true,
    observed: '2024-01-15T10:00:00Z',
    geometry: point(8.65, 49.87),
  },
  {
    id: 2,
    name: 'Beta',
    category: 'shop',
    height: 20,
    visits: 7,
    open: false,
    observed: '2024-02-20T12:00:00Z',
    geometry: point(8.66, 49.88),
  },
  {
    id: 3,
    name: 'Gamma',
    category: 'park',
    height: 5.25,
    visits: 1,
    open: true,
    observed: '2024-03-05T08:30:00Z',
    geometry: point(8.67, 49.89),
  },
  {
    id: 4,
    name: 'Delta',
    category: 'school',
    height: 30,
    visits: 12,
    open: false,
    observed: '2024-03-31T23:59:59Z',
    geometry: point(8.68, 49.9),
  },
  {
    id: 5,
    name: 'Epsilon',
    category: 'shop',
    height: 8,
    visits: 4,
    open: true,
    observed: '2024-05-01T00:00:00Z',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [8.69, 49.91],
          [8.7, 49.91],
          [8.7, 49.92],
          [8.69, 49.92],
          [8.69, 49.91],
        ],
      ],
    },
  },
  {
    id: 6,
    name: 'Zeta',
    category: 'park',
    height: 15,
    visits: 2,
    open: false,
    observed: null,
    geometry: {
      type: 'LineString',
      coordinates: [
        [8.64, 49.86],
        [8.72, 49.86],
      ],
    },
  },
  {
    id: 7,
    name: 'Eta',
    category: 'shop',
    height: null,
    visits: 9,
    open: true,
    observed: '2024-07-04T16:00:00Z',
    geometry: point(179.5, 66),
  },
  {
    id: 8,
    name: 'Theta',
    category: 'park',
    height: 3,
    visits: 0,
    open: false,
    observed: '2024-08-15T09:00:00Z',
    geometry: point(-179.5, 67),
  },
  {
    id: 9,
    name: 'Iota',
    category: 'school',
    height: 40,
    visits: 20,
    open: true,
    observed: '2024-09-09T09:09:09Z',
    geometry: null,
  },
  {
    id: 10,
    name: 'Kappa',
    category: 'café',
    height: 11,
    visits: 5,
    open: true,
    observed: '2024-12-31T12:00:00Z',
    geometry: point(8.655, 49.875),
  },
];

function point(longitude: number, latitude: number): Geometry {
  return { type: 'Point', coordinates: [longitude, latitude] };
}

/** Paths of the written fixtures. */
export interface FixtureFiles {
  directory: string;
  /** Written by Plaza's GeoPackage writer, table `places`. */
  geoPackage: string;
  /** GeoJSON FeatureCollection with integer ids. */
  geoJson: string;
  /** Written by GDAL's ogr2ogr from the GeoJSON, table `places`, EPSG:4326. */
  gdalGeoPackage: string;
  /** Written by ogr2ogr, features 1-6 and 10 reprojected to EPSG:25832, table `places_utm`. */
  gdalUtmGeoPackage: string;
  remove(): void;
}

/** Writes every fixture into a new temporary folder. */
export function writeFixtures(): FixtureFiles {
  const directory = mkdtempSync(join(tmpdir(), 'plaza-ogc-'));
  const geoPackage = join(directory, 'places.gpkg');
  writeGeoPackage(geoPackage, [
    {
      name: 'places',
      title: 'Places',
      geometryType: 'GEOMETRY',
      columns: [
        { name: 'name', type: 'TEXT' },
        { name: 'category', type: 'TEXT' },
        { name: 'height', type: 'REAL' },
        { name: 'visits', type: 'INTEGER' },
        { name: 'open', type: 'BOOLEAN' },
        { name: 'observed', type: 'DATETIME' },
      ],
      features: PLACES.map(({ geometry, id: _id, ...properties }) => ({ geometry, properties })),
    },
  ]);
  const geoJson = join(directory, 'places.geojson');
  writeFileSync(
    geoJson,
    JSON.stringify({
      type: 'FeatureCollection',
      features: PLACES.map(({ geometry, id, ...properties }) => ({
        type: 'Feature',
        id,
        geometry,
        properties,
      })),
    }),
  );
  const gdalGeoPackage = join(directory, 'places-gdal.gpkg');
  execFileSync('ogr2ogr', ['-f', 'GPKG', '-preserve_fid', '-nln', 'places', gdalGeoPackage, geoJson], {
    stdio: 'pipe',
  });
  const gdalUtmGeoPackage = join(directory, 'places-utm.gpkg');
  execFileSync(
    'ogr2ogr',
    [
      '-f',
      'GPKG',
      '-preserve_fid',
      '-nln',
      'places_utm',
      '-t_srs',
      'EPSG:25832',
      '-where',
      'visits NOT IN (9, 0, 20)',
      gdalUtmGeoPackage,
      geoJson,
    ],
    { stdio: 'pipe' },
  );
  return {
    directory,
    geoPackage,
    geoJson,
    gdalGeoPackage,
    gdalUtmGeoPackage,
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** Sorted ids of features. */
export function idsOf(features: { id?: string | number }[]): number[] {
  return features.map((feature) => Number(feature.id)).sort((a, b) => a - b);
}
