// Upserting a collection into a broker: batches within the limit, entities the broker refuses reported one by one,
// periodic runs, and bad batch sizes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleUpsert, upsertCollection, type UpsertResult } from '../../../server/facade';
import { GeoJsonFileProvider } from '../../../server/providers/geojson';
import { startFacadeTestServer, type FacadeTestServer } from './server';

let server: FacadeTestServer;
let directory: string;

/** A GeoJSON provider over `count` points with ids p0…; `badId` adds a feature whose id is no valid URI part. */
function pointsProvider(name: string, count: number, badId?: string): GeoJsonFileProvider {
  const features = Array.from({ length: count }, (_, index) => ({
    type: 'Feature',
    id: `p${index}`,
    geometry: { type: 'Point', coordinates: [13 + index / 100, 52] },
    properties: { rank: index },
  }));
  if (badId) features.push({ type: 'Feature', id: badId, geometry: null as never, properties: { rank: -1 } });
  const path = join(directory, `${name}.geojson`);
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', features }));
  return new GeoJsonFileProvider({ path });
}

async function brokerCount(type: string): Promise<number> {
  const response = await fetch(`${server.broker}/entities?type=${type}&count=true&limit=0`, {
    headers: {
      link: `<${server.origin}/ngsi-ld/facade/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"`,
    },
  });
  return Number(response.headers.get('ngsild-results-count'));
}

beforeAll(async () => {
  server = await startFacadeTestServer();
  directory = mkdtempSync(join(tmpdir(), 'plaza-facade-upsert-'));
}, 30_000);

afterAll(async () => {
  await server?.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('facade upsert', () => {
  it('sends 250 features in batches of 100 and the broker then holds all of them', async () => {
    const provider = pointsProvider('kiosks', 250);
    const result = await upsertCollection({ collectionId: 'kiosks', provider, brokerUrl: server.broker });
    // 250 = 100 + 100 + 50.
    expect(result).toEqual({ upserted: 250, batches: 3, errors: [] });
    expect(await brokerCount('kiosks')).toBe(250);
    // Upserting again replaces rather than duplicates.
    await upsertCollection({ collectionId: 'kiosks', provider, brokerUrl: server.broker, batchSize: 1000 });
    expect(await brokerCount('kiosks')).toBe(250);
    await provider.close();
  });

  it('reports the entities the broker refuses and keeps the others', async () => {
    const provider = pointsProvider('trees', 3, 'not a uri');
    const result = await upsertCollection({ collectionId: 'trees', provider, brokerUrl: server.broker });
    expect(result.upserted).toBe(3);
    expect(result.errors.map((error) => error.entityId)).toEqual(['urn:ngsi-ld:trees:not a uri']);
    expect(await brokerCount('trees')).toBe(3);
    await provider.close();
  });

  it('runs periodically until stopped', async () => {
    const provider = pointsProvider('periodic', 2);
    const results: Array<UpsertResult | Error> = [];
    const stop = scheduleUpsert(
      { collectionId: 'kiosks', provider, brokerUrl: server.broker },
      0.1,
      (result) => results.push(result),
    );
    const deadline = Date.now() + 5_000;
    while (results.length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    stop();
    expect(results.length).toBeGreaterThanOrEqual(2);
    for (const result of results) expect(result).toEqual({ upserted: 2, batches: 1, errors: [] });
    const settled = results.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(results.length).toBeLessThanOrEqual(settled + 1);
    await provider.close();
  });

  it('refuses batch sizes outside 1-1000 and says so when the broker is down', async () => {
    const provider = pointsProvider('sizes', 1);
    for (const batchSize of [0, 1001, 2.5])
      await expect(
        upsertCollection({ collectionId: 'kiosks', provider, brokerUrl: server.broker, batchSize }),
      ).rejects.toThrow(RangeError);
    await expect(
      upsertCollection({ collectionId: 'kiosks', provider, brokerUrl: 'http://127.0.0.1:9/ngsi-ld/v1' }),
    ).rejects.toThrow(/did not answer/);
    await provider.close();
  });
});
