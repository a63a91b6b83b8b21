// The NGSI-LD client against the real embedded broker in each compatibility profile, over HTTP: what discovery finds
// (expected values from the profile definitions and ../shared/notes/ngsi-ld.md §10, not from the client), paging
// within each broker's limits, "Too broad query", the errors above the maximum, GeoJSON shapes, pick, whole-metre
// near, batch upsert, subscriptions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgsiLdClient } from '../../../../server/ngsi-ld/client';
import { BROKER_PROFILE_NAMES, brokerProfile } from '../../../../server/ngsi-ld/profiles';
import { rejection, startProfileBroker, type ProfileBroker } from './helpers';

/** 120 sensors on a line of longitudes 8.600, 8.601, …, 8.719 at latitude 49.87, plus one without a location. */
const SENSOR_COUNT = 120;
const TYPE = 'ClientSensor';
const urn = (index: number) => `urn:ngsi-ld:${TYPE}:${index}`;

function sensor(index: number, located = true): Record<string, unknown> {
  return {
    id: urn(index),
    type: TYPE,
    value: { type: 'Property', value: index },
    ...(located
      ? {
          location: {
            type: 'GeoProperty',
            value: { type: 'Point', coordinates: [Math.round((8.6 + index / 1000) * 1000) / 1000, 49.87] },
          },
        }
      : {}),
  };
}

/** Which broker discovery should name for each profile (the standard profile is no particular broker). */
const BROKER_OF_PROFILE = {
  standard: 'generic',
  'orion-ld': 'orion-ld',
  scorpio: 'scorpio',
  stellio: 'stellio',
} as const;

describe.each(BROKER_PROFILE_NAMES)('NgsiLdClient with the %s profile', (profile) => {
  const expected = brokerProfile(profile);
  let broker: ProfileBroker;
  let client: NgsiLdClient;
  /** The URLs of every request the client sent. */
  const sent: URL[] = [];

  beforeAll(async () => {
    broker = await startProfileBroker(profile);
    client = new NgsiLdClient({
      url: broker.base,
      fetch: (input, init) => {
        sent.push(new URL(String(input)));
        return fetch(input, init);
      },
    });
  }, 30_000);

  afterAll(async () => {
    await broker?.close();
  });

  it('writes entities in chunks of the given size', async () => {
    const entities = [
      ...Array.from({ length: SENSOR_COUNT }, (_, index) => sensor(index)),
      sensor(SENSOR_COUNT, false),
    ];
    const result = await client.batchUpsert(entities, { chunkSize: 50 });
    // 121 entities in chunks of 50: 50 + 50 + 21.
    expect(result).toEqual({ upserted: 121, batches: 3, errors: [] });
  });

  it('updates attributes of held entities and names the ones the broker does not hold', async () => {
    const missing = `urn:ngsi-ld:${TYPE}:missing`;
    const result = await client.batchUpdate(
      [
        { id: urn(0), type: TYPE, value: { type: 'Property', value: 1000 } },
        { id: missing, type: TYPE, value: { type: 'Property', value: 1 } },
      ],
      { chunkSize: 10 },
    );
    expect(result.upserted).toBe(1);
    expect(result.batches).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].entityId).toBe(missing);
    // The spec's problem type for an entity that does not exist (Scorpio's may carry a trailing space: trimmed).
    expect(result.errors[0].problemType).toBe('ResourceNotFound');
    const updated = await client.getEntity(urn(0), { format: 'keyValues' });
    expect(updated?.value).toBe(1000);
    await client.batchUpsert([sensor(0)]);
  });

  it('discovers the limits, quirks and spec era of the broker', async () => {
    const capabilities = await client.discover();
    const limitError = expected.limitError(expected.maxLimit + 1, expected.maxLimit);
    expect(capabilities).toMatchObject({
      broker: BROKER_OF_PROFILE[profile],
      // The embedded broker names the v1.9 core context; 1.8 and later take `format`.
      coreContextVersion: '1.9',
      formatParameter: 'format',
      defaultLimit: expected.defaultLimit,
      maxLimit: Math.min(expected.maxLimit, 1000),
      limitErrorStatus: limitError.status,
      // The embedded broker refuses a query without any filter in every profile (only the title differs).
      needsFilter: true,
      supportsPickOmit: expected.pickOmit,
      geoJsonContextPlacement: expected.geoJsonContext,
      nextLinkPaging: expected.nextLinks,
      wholeMetreNear: expected.wholeMetreNear,
      // It has no /jsonldContexts in any profile.
      jsonLdContexts: false,
    });
    // Orion-LD serves history only through a separate service (Mintaka): none is configured here.
    expect(capabilities.temporalUrl).toBe(profile === 'orion-ld' ? undefined : broker.base);
    // Scorpio's absent geometry is documented, not probed.
    expect(capabilities.omitsAbsentGeometry).toBe(profile === 'scorpio');
  });

  it('reads every entity across pages no larger than the broker allows', async () => {
    sent.length = 0;
    const all = await client.queryEntities({ type: TYPE });
    expect(new Set(all.map((entity) => entity.id)).size).toBe(SENSOR_COUNT + 1);
    expect(all).toHaveLength(SENSOR_COUNT + 1);
    const paged = await client.queryEntities({ type: TYPE }, { pageSize: 7 });
    expect(paged.map((entity) => entity.id).sort()).toEqual(all.map((entity) => entity.id).sort());
    // 121 entities in pages of 7: 18 pages; Stellio's maximum of 100 makes the first read two pages.
    const limits = sent
      .filter((url) => url.pathname.endsWith('/entities'))
      .map((url) => Number(url.searchParams.get('limit')));
    expect(Math.max(...limits)).toBeLessThanOrEqual(Math.min(expected.maxLimit, 1000));
    expect(limits.filter((limit) => limit === 7)).toHaveLength(18);
    // Scorpio and Stellio link the next page: the client follows the link, which keeps the first request's
    // parameters and appends the offset; elsewhere it asks for the next offset itself (offset before count).
    const second = sent.find(
      (url) => url.searchParams.get('limit') === '7' && url.searchParams.get('offset') === '7',
    )!;
    expect(second.search.endsWith('&offset=7')).toBe(expected.nextLinks);
  });

  it('stops at the cap with too-many-results', async () => {
    const error = await rejection(client.queryEntities({ type: TYPE }, { maxItems: 50, pageSize: 30 }));
    expect(error.kind).toBe('too-many-results');
  });

  it('answers a query without any filter by asking for every type', async () => {
    const raw = await rejection(client.transport.request({ path: '/entities' }));
    expect(raw.kind).toBe('bad-request');
    expect(raw.status).toBe(400);
    if (profile === 'orion-ld') expect((raw.body as { title?: string }).title).toBe('Too broad query');
    expect(await client.queryEntities({})).toHaveLength(SENSOR_COUNT + 1);
  });

  it('refuses a page above the maximum itself and reads the broker error by its problem type', async () => {
    const maximum = expected.maxLimit;
    expect((await rejection(client.queryEntitiesPage({ type: TYPE }, { limit: maximum + 1 }))).kind).toBe(
      'too-many-results',
    );
    const raw = await rejection(
      client.transport.request({ path: '/entities', query: { type: TYPE, limit: maximum + 1 } }),
    );
    // Orion-LD: 400 BadRequestData (the pre-1.8 behaviour); the others 403 TooManyResults, Scorpio with a
    // trailing space in the type URI.
    if (profile === 'orion-ld')
      expect([raw.status, raw.kind, raw.problemType]).toEqual([400, 'bad-request', 'BadRequestData']);
    else expect([raw.status, raw.kind, raw.problemType]).toEqual([403, 'too-many-results', 'TooManyResults']);
    if (profile === 'scorpio')
      expect((raw.body as { type: string }).type).toBe('https://uri.etsi.org/ngsi-ld/errors/TooManyResults ');
  });

  it('reads GeoJSON without @context wherever the broker put it and with null for a missing geometry', async () => {
    const raw = await client.transport.request<{
      '@context'?: unknown;
      features: Array<Record<string, unknown>>;
    }>({
      path: '/entities',
      query: { id: urn(SENSOR_COUNT), type: TYPE },
      accept: 'application/geo+json',
    });
    expect('geometry' in raw.body.features[0]).toBe(!expected.omitAbsentGeometry);
    expect(raw.body['@context'] !== undefined).toBe(expected.geoJsonContext === 'collection');
    expect(raw.body.features[0]['@context'] !== undefined).toBe(expected.geoJsonContext === 'feature');

    const features = await client.queryEntitiesGeoJson({ type: TYPE, format: 'keyValues' });
    expect(features).toHaveLength(SENSOR_COUNT + 1);
    for (const feature of features) {
      expect(feature).not.toHaveProperty('@context');
      expect(feature.properties).not.toHaveProperty('@context');
    }
    const unplaced = features.find((feature) => feature.id === urn(SENSOR_COUNT))!;
    expect(unplaced.geometry).toBeNull();
    expect(features.find((feature) => feature.id === urn(5))).toMatchObject({
      geometry: { type: 'Point', coordinates: [8.605, 49.87] },
      properties: { type: TYPE, value: 5 },
    });
  });

  it('projects with pick, or with attrs where the broker has no pick', async () => {
    sent.length = 0;
    const entities = await client.queryEntities({
      type: TYPE,
      pick: ['id', 'type', 'value'],
      format: 'keyValues',
    });
    expect(entities).toHaveLength(SENSOR_COUNT + 1);
    for (const entity of entities) {
      expect(Object.keys(entity).sort()).toEqual(['id', 'type', 'value']);
    }
    const query = sent.find((url) => url.pathname.endsWith('/entities'))!.searchParams;
    expect(query.get('pick')).toBe(expected.pickOmit ? 'id,type,value' : null);
    expect(query.get('format')).toBe('keyValues');
    expect(query.get('options')).toBeNull();
  });

  it('sends near distances as whole metres where the broker wants them', async () => {
    sent.length = 0;
    // 0.001° of longitude at latitude 49.87° is 111.2 km × cos(49.87°) ≈ 71.7 m: sensors 0 to 20 lie within
    // 1500 m of the first (20 × 71.7 = 1434 m; 21 × 71.7 = 1506 m).
    const near = await client.queryEntities({
      type: TYPE,
      geo: { georel: 'near;maxDistance==1500.4', geometry: 'Point', coordinates: [8.6, 49.87] },
    });
    expect(near.map((entity) => entity.id).sort()).toEqual(
      Array.from({ length: 21 }, (_, index) => urn(index)).sort(),
    );
    const georel = sent.find((url) => url.pathname.endsWith('/entities'))!.searchParams.get('georel');
    expect(georel).toBe(expected.wholeMetreNear ? 'near;maxDistance==1500' : 'near;maxDistance==1500.4');
  });

  it('reads one entity and answers undefined for an unknown one', async () => {
    expect(await client.getEntity(urn(3), { format: 'keyValues' })).toMatchObject({ id: urn(3), value: 3 });
    expect(await client.getEntity(urn(9999))).toBeUndefined();
    expect(await client.getEntityGeoJson(urn(3))).toMatchObject({
      id: urn(3),
      geometry: { type: 'Point', coordinates: [8.603, 49.87] },
    });
  });

  it('creates, reads, lists, updates and deletes a subscription', async () => {
    const id = await client.subscribe({
      entities: [{ type: TYPE }],
      notification: { endpoint: { uri: 'http://127.0.0.1:9/notify', accept: 'application/json' } },
    });
    expect(id).toMatch(/^urn:ngsi-ld:Subscription:/);
    expect(await client.getSubscription(id)).toMatchObject({ id, type: 'Subscription' });
    expect((await client.listSubscriptions()).map((subscription) => subscription.id)).toContain(id);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await client.updateSubscription(id, { expiresAt });
    expect(Date.parse(String((await client.getSubscription(id))?.expiresAt))).toBe(Date.parse(expiresAt));
    await client.unsubscribe(id);
    expect(await client.getSubscription(id)).toBeUndefined();
    // Gone already: still fine.
    await client.unsubscribe(id);
  });
});
