// Test support for the facade: hand-written fixture collections (a GeoJSON file and a GeoPackage) and a real Plaza
// app on 127.0.0.1:0 with the embedded broker, the OGC API and the facade mounted.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../../server/config';
import { createApp } from '../../../server/http/app';
import { createNgsiLdBrokerModule } from '../../../server/ngsi-ld';
import { createOgcModule } from '../../../server/ogc/module';
import { createFacadeModule } from '../../../server/facade';
import { writeGeoPackage } from '../../../server/providers/geopackage-writer';

/**
 * Kiosks around Alexanderplatz (GeoJSON). Distances from k1 [13.40, 52.52]: k2 is 0.01° east (about 677 m at this
 * latitude), k3 0.01° north (about 1 112 m), k4 0.1° east (about 6.8 km); k5 has no geometry; k4 and k5 have no `open`.
 */
export const KIOSKS = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      id: 'k1',
      geometry: { type: 'Point', coordinates: [13.4, 52.52] },
      properties: { name: 'Alex', height: 4, open: true, category: 'food' },
    },
    {
      type: 'Feature',
      id: 'k2',
      geometry: { type: 'Point', coordinates: [13.41, 52.52] },
      properties: { name: 'Brandt', height: 12.5, open: false, category: 'news' },
    },
    {
      type: 'Feature',
      id: 'k3',
      geometry: { type: 'Point', coordinates: [13.4, 52.53] },
      properties: { name: 'Curie', height: 8, open: true, category: 'food' },
    },
    {
      type: 'Feature',
      id: 'k4',
      geometry: { type: 'Point', coordinates: [13.5, 52.52] },
      properties: { name: 'Dorn', height: 20, category: 'news' },
    },
    { type: 'Feature', id: 'k5', geometry: null, properties: { name: 'Ghost', height: 1, category: 'food' } },
  ],
};

/** Trees (GeoPackage table `trees`, fids 1..3 in insertion order). */
export const TREES = [
  {
    geometry: { type: 'Point' as const, coordinates: [13.38, 52.51] },
    properties: { species: 'Tilia', girth: 120 },
  },
  {
    geometry: { type: 'Point' as const, coordinates: [13.381, 52.511] },
    properties: { species: 'Quercus', girth: 310 },
  },
  {
    geometry: { type: 'Point' as const, coordinates: [13.382, 52.512] },
    properties: { species: 'Acer', girth: 95 },
  },
];

export interface FacadeTestServer {
  app: FastifyInstance;
  origin: string;
  /** The facade's base URL. */
  facade: string;
  /** The embedded broker's base URL. */
  broker: string;
  close(): Promise<void>;
}

/** Writes the fixtures and starts broker + OGC + facade; `remotes` go to PLAZA_FACADE_REMOTES. */
export async function startFacadeTestServer(options: { remotes?: string[] } = {}): Promise<FacadeTestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'plaza-facade-'));
  writeFileSync(join(directory, 'kiosks.geojson'), JSON.stringify(KIOSKS));
  writeGeoPackage(join(directory, 'trees.gpkg'), [
    {
      name: 'trees',
      geometryType: 'POINT',
      columns: [
        { name: 'species', type: 'TEXT' },
        { name: 'girth', type: 'INTEGER' },
      ],
      features: TREES,
    },
  ]);
  const collectionsFile = join(directory, 'collections.json');
  writeFileSync(
    collectionsFile,
    JSON.stringify({
      demoLayers: false,
      tilesets: false,
      ngsiLdTypes: false,
      collections: [
        { id: 'kiosks', title: 'Kiosks', provider: { type: 'geojson', path: 'kiosks.geojson' } },
        { id: 'trees', title: 'Trees', provider: { type: 'geopackage', path: 'trees.gpkg', table: 'trees' } },
      ],
    }),
  );
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: join(directory, 'data'),
    TILESETS_DIR: join(directory, 'tilesets'),
    PLAZA_COLLECTIONS: collectionsFile,
    PLAZA_SIMULATOR: 'off',
    PLAZA_FACADE_REMOTES: (options.remotes ?? []).join(','),
    LOG_LEVEL: 'silent',
  });
  const modules = [
    createNgsiLdBrokerModule(config, { directory: join(directory, 'data', 'ngsi-ld') }),
    createOgcModule(config),
    createFacadeModule(config),
  ];
  const app = await createApp(config, { modules, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const module of modules) await module.start?.(origin);
  return {
    app,
    origin,
    facade: `${origin}/ngsi-ld/facade/v1`,
    broker: `${origin}/ngsi-ld/v1`,
    async close() {
      await app.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
