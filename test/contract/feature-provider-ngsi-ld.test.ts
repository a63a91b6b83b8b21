// Runs the FeatureProvider contract over NGSI-LD: the fixture places as entities of type Place in Plaza's embedded
// broker (started with startPlaza), read back over HTTP with a page limit of 3 to exercise broker paging.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config';
import { startPlaza, type RunningPlaza } from '../../server/start';
import { NgsiLdProvider } from '../../server/providers/ngsi-ld';
import { PLACES } from '../server/ogc/fixtures';
import { runFeatureProviderContract } from './feature-provider-contract';

let plaza: RunningPlaza;
let directory: string;
const entityId = (number: number) => `urn:ngsi-ld:Place:${number}`;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'plaza-ngsi-ld-contract-'));
  plaza = await startPlaza(
    parseConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: directory,
      TILESETS_DIR: join(directory, 'tilesets'),
      APP_DIR: join(directory, 'app'),
      PLAZA_SIMULATOR: 'off',
      LOG_LEVEL: 'silent',
    }),
    { logger: false },
  );
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
});
