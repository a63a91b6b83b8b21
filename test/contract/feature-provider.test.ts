// Runs the FeatureProvider contract over every file-based backend.
import { afterAll } from 'vitest';
import { GeoPackageProvider } from '../../server/providers/geopackage';
import { GeoJsonFileProvider } from '../../server/providers/geojson';
import { writeFixtures } from '../server/ogc/fixtures';
import { runFeatureProviderContract } from './feature-provider-contract';

const fixtures = writeFixtures();
afterAll(() => fixtures.remove());

runFeatureProviderContract(
  'GeoPackage written by Plaza',
  async () => new GeoPackageProvider({ path: fixtures.geoPackage, table: 'places' }),
);
runFeatureProviderContract(
  'GeoPackage written by GDAL',
  async () => new GeoPackageProvider({ path: fixtures.gdalGeoPackage, table: 'places' }),
);
runFeatureProviderContract('GeoJSON file', async () => new GeoJsonFileProvider({ path: fixtures.geoJson }));
