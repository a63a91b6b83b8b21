// Runs the FeatureProvider contract over PostGIS: a real PostgreSQL 15 + PostGIS 3 (test/setup/postgres.ts) holding
// the fixture places in a GiST-indexed table.
import { afterAll, beforeAll } from 'vitest';
import { PostGisProvider } from '../../server/providers/postgis';
import { startTestPostgres, type TestPostgres } from '../setup/postgres';
import { PLACES } from '../server/ogc/fixtures';
import { runFeatureProviderContract } from './feature-provider-contract';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
  await postgres.query(`CREATE TABLE places (id integer PRIMARY KEY, name text, category text, height double precision,
    visits integer, open boolean, observed timestamptz, geom geometry(Geometry, 4326))`);
  await postgres.query('CREATE INDEX places_geom ON places USING gist (geom)');
  for (const place of PLACES) {
    await postgres.query(
      'INSERT INTO places VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::text IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromGeoJSON($8), 4326) END)',
      [
        place.id,
        place.name,
        place.category,
        place.height,
        place.visits,
        place.open,
        place.observed,
        place.geometry ? JSON.stringify(place.geometry) : null,
      ],
    );
  }
}, 90_000);
afterAll(async () => {
  await postgres?.stop();
});

runFeatureProviderContract(
  'PostGIS',
  async () => new PostGisProvider({ connectionString: postgres.connectionString, table: 'places' }),
);
