// Starts a real Plaza HTTP server with only the OGC module over the fixture files, on 127.0.0.1 and a free port.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../../server/config';
import { createApp } from '../../../server/http/app';
import { createOgcModule, type OgcModuleOptions } from '../../../server/ogc/module';
import { writeFixtures, type FixtureFiles } from './fixtures';

/** The internal-collection token the test server accepts. */
export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

/** A running test server. */
export interface OgcTestServer {
  app: FastifyInstance;
  /** Server root, e.g. http://127.0.0.1:1234 */
  origin: string;
  /** OGC API landing page: origin + /ogc */
  base: string;
  fixtures: FixtureFiles;
  close(): Promise<void>;
}

/**
 * Starts the server. Collections: `places` (Plaza GeoPackage), `places-gdal` (GDAL GeoPackage), `places-geojson`,
 * `places-utm` (GDAL GeoPackage in EPSG:25832), `secret` (internal GeoJSON); demo layers when asked.
 */
export async function startOgcTestServer(
  options: { demoLayers?: boolean; tilesets?: boolean; module?: OgcModuleOptions } = {},
): Promise<OgcTestServer> {
  const fixtures = writeFixtures();
  const dataDirectory = mkdtempSync(join(tmpdir(), 'plaza-ogc-data-'));
  if (options.tilesets) writeTilesetFixture(join(dataDirectory, 'tilesets'));
  const configFile = join(fixtures.directory, 'collections.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      demoLayers: options.demoLayers ?? false,
      tilesets: options.tilesets ?? false,
      ngsiLdTypes: false,
      collections: [
        {
          id: 'places',
          title: 'Places',
          description: 'Fixture places <b>escaped</b>',
          provider: { type: 'geopackage', path: 'places.gpkg', table: 'places' },
        },
        {
          id: 'places-gdal',
          title: 'Places (GDAL)',
          provider: { type: 'geopackage', path: 'places-gdal.gpkg', table: 'places' },
        },
        {
          id: 'places-geojson',
          title: 'Places (GeoJSON)',
          provider: { type: 'geojson', path: 'places.geojson' },
        },
        {
          id: 'places-utm',
          title: 'Places (UTM)',
          provider: { type: 'geopackage', path: 'places-utm.gpkg', table: 'places_utm' },
        },
        {
          id: 'secret',
          title: 'Secret places',
          visibility: 'internal',
          provider: { type: 'geojson', path: 'places.geojson' },
        },
      ],
    }),
  );
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDirectory,
    TILESETS_DIR: join(dataDirectory, 'tilesets'),
    APP_DIR: join(dataDirectory, 'app'),
    PLAZA_COLLECTIONS: configFile,
    PLAZA_INTERNAL_TOKEN: INTERNAL_TOKEN,
    PLAZA_SIMULATOR: 'off',
    LOG_LEVEL: 'silent',
  });
  const app = await createApp(config, { modules: [createOgcModule(config, options.module)], logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    origin,
    base: `${origin}/ogc`,
    fixtures,
    async close() {
      await app.close();
      fixtures.remove();
      rmSync(dataDirectory, { recursive: true, force: true });
    },
  };
}

/** The region of the fixture tileset: west, south, east, north in radians, heights in metres. */
export const TILESET_REGION = [0.15, 0.87, 0.151, 0.871, 100, 150];

/**
 * Writes the tileset fixture `district/`: tileset.json (region root), content.b3dm (bytes 0..255), nested/child.json
 * with a pre-gzipped twin, and a file outside the tileset (`secret.txt`) that must never be served.
 */
export function writeTilesetFixture(tilesetsDirectory: string): void {
  const directory = join(tilesetsDirectory, 'district');
  mkdirSync(join(directory, 'nested'), { recursive: true });
  writeFileSync(
    join(directory, 'tileset.json'),
    JSON.stringify({
      asset: { version: '1.1' },
      geometricError: 100,
      root: {
        boundingVolume: { region: TILESET_REGION },
        geometricError: 10,
        refine: 'REPLACE',
        content: { uri: 'content.b3dm' },
      },
    }),
  );
  writeFileSync(
    join(directory, 'content.b3dm'),
    Buffer.from(Array.from({ length: 256 }, (_, index) => index)),
  );
  const child = JSON.stringify({ asset: { version: '1.1' }, padding: 'x'.repeat(2000) });
  writeFileSync(join(directory, 'nested', 'child.json'), child);
  writeFileSync(join(directory, 'nested', 'child.json.gz'), gzipSync(child));
  writeFileSync(join(tilesetsDirectory, 'secret.txt'), 'not for the web');
}
