// Runs the FeatureProvider contract over NGSI-LD: the fixture places as entities of type Place in Plaza's embedded
// broker (started with startPlaza), read back over HTTP with a page limit of 3 to exercise broker paging, and read
// in process from the broker's store (what Plaza's own OGC collections do over the embedded broker).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../server/config';
import { startPlaza, type RunningPlaza } from '../../server/start';
import { NgsiLdProvider } from '../../server/providers/ngsi-ld';
import { InProcessReader, type EmbeddedBrokerServices } from '../../server/ngsi-ld/broker/in-process';
import { PLACES } from '../server/ogc/fixtures';
import { runFeatureProviderContract } from './feature-provider-contract';

let plaza: RunningPlaza;
let directory: string;
const entityId = (number: number) => `urn:ngsi-ld:Place:${number}`;

function configIn(folder: string, environment: Record<string, string> = {}) {
  return parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: folder,
    TILESETS_DIR: join(folder, 'tilesets'),
    APP_DIR: join(folder, 'app'),
    PLAZA_SIMULATOR: 'off',
    LOG_LEVEL: 'silent',
    ...environment,
  });
}

/** The embedded broker's services of a running Plaza. */
function brokerServices(running: RunningPlaza): EmbeddedBrokerServices {
  const broker = running.modules.find((module) => module.name === 'ngsi-ld-broker') as
    { services(): EmbeddedBrokerServices | undefined } | undefined;
  const services = broker?.services();
  if (!services) throw new Error('no embedded broker');
  return services;
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'plaza-ngsi-ld-contract-'));
  plaza = await startPlaza(configIn(directory), { logger: false });
  for (const place of PLACES) {
    const entity: Record<string, unknown> = { id: entityId(place.id), type: 'Place' };
    for (const name of ['name', 'category', 'height', 'visits', 'open', 'observed'] as const) {
      if (place[name] !== null) entity[name] = { type: 'Property', value: place[name] };
    }
    if (place.geometry) entity.location = { type: 'GeoProperty', value: place.geometry };
    const response = await fetch(`${plaza.url}/ngsi-ld/v1/entities`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(entity),
    });
    if (response.status !== 201)
      throw new Error(`broker refused ${entity.id}: ${response.status} ${await response.text()}`);
  }
}, 60_000);
afterAll(async () => {
  await plaza?.close();
  rmSync(directory, { recursive: true, force: true });
});

runFeatureProviderContract(
  'NGSI-LD (embedded broker)',
  async () => new NgsiLdProvider({ brokerUrl: `${plaza.url}/ngsi-ld/v1`, entityType: 'Place', pageLimit: 3 }),
  { toNumber: (id) => Number(String(id).split(':').pop()), fromNumber: entityId },
);

runFeatureProviderContract(
  'NGSI-LD (embedded broker, in process)',
  async () =>
    new NgsiLdProvider({
      brokerUrl: `${plaza.url}/ngsi-ld/v1`,
      entityType: 'Place',
      pageLimit: 3,
      inProcess: () => brokerServices(plaza),
    }),
  { toNumber: (id) => Number(String(id).split(':').pop()), fromNumber: entityId },
);

describe('NGSI-LD entity types as OGC collections', () => {
  it('serves a type created after start as a collection, with its entities as features', async () => {
    // Type listings caused by requests are throttled to one a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const list = (await (await fetch(`${plaza.url}/ogc/collections`)).json()) as {
      collections: { id: string }[];
    };
    expect(list.collections.map((collection) => collection.id)).toContain('Place');
    const response = await fetch(
      `${plaza.url}/ogc/collections/Place/items?limit=3&bbox=8.645,49.865,8.675,49.895`,
    );
    const body = (await response.json()) as {
      numberMatched: number;
      features: { id: string }[];
      links: { rel: string; href: string }[];
    };
    expect(body.numberMatched).toBe(4);
    expect(body.features.map((feature) => feature.id)).toEqual([entityId(1), entityId(2), entityId(3)]);
    const next = body.links.find((link) => link.rel === 'next');
    const rest = (await (await fetch(next!.href)).json()) as { features: { id: string }[] };
    expect(rest.features.map((feature) => feature.id)).toEqual([entityId(10)]);
    const one = await fetch(`${plaza.url}/ogc/collections/Place/items/${encodeURIComponent(entityId(4))}`);
    expect(((await one.json()) as { properties: { name: string } }).properties.name).toBe('Delta');
  });

  describe('over the embedded broker', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('reads the store in process with the standard profile', async () => {
      const read = vi.spyOn(InProcessReader.prototype, 'queryEntitiesGeoJsonPage');
      const response = await fetch(`${plaza.url}/ogc/collections/Place/items?limit=2`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { features: unknown[] }).features).toHaveLength(2);
      expect(read).toHaveBeenCalled();
    });

    it('reads over HTTP when a compatibility profile imitates another broker', async () => {
      const folder = mkdtempSync(join(tmpdir(), 'plaza-ngsi-ld-profile-'));
      const scorpio = await startPlaza(configIn(folder, { NGSI_LD_PROFILE: 'scorpio' }), { logger: false });
      try {
        const created = await fetch(`${scorpio.url}/ngsi-ld/v1/entities`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            id: entityId(1),
            type: 'Place',
            location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [8.65, 49.87] } },
          }),
        });
        expect(created.status).toBe(201);
        const read = vi.spyOn(InProcessReader.prototype, 'queryEntitiesGeoJsonPage');
        // The type is listed on start (none yet) and then at most once a second on request.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        await (await fetch(`${scorpio.url}/ogc/collections`)).body?.cancel();
        const response = await fetch(`${scorpio.url}/ogc/collections/Place/items`);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { features: Array<{ id: string }> }).features[0].id).toBe(
          entityId(1),
        );
        expect(read).not.toHaveBeenCalled();
      } finally {
        await scorpio.close();
        rmSync(folder, { recursive: true, force: true });
      }
    });
  });
});
