// Broker compatibility profiles: the embedded broker reproduces each broker's documented behaviour (../shared/notes/
// ngsi-ld.md §10), and the live relay and the NGSI-LD provider work against every profile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_PROFILE_NAMES } from '../../../server/ngsi-ld/profiles';
import { NgsiLdProvider } from '../../../server/providers/ngsi-ld';
import {
  removeFolder,
  sensorEntity,
  SseClient,
  startTestPlaza,
  upsertEntities,
  type TestPlaza,
} from '../live/helpers';

/** Documented per broker: default limit, maximum, and the status and problem type above the maximum. */
const EXPECTED = {
  standard: {
    defaultLimit: 20,
    maxLimit: 1000,
    status: 403,
    type: 'https://uri.etsi.org/ngsi-ld/errors/TooManyResults',
  },
  'orion-ld': {
    defaultLimit: 20,
    maxLimit: 1000,
    status: 400,
    type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData',
  },
  // Scorpio writes the type with a trailing space.
  scorpio: {
    defaultLimit: 50,
    maxLimit: 1000,
    status: 403,
    type: 'https://uri.etsi.org/ngsi-ld/errors/TooManyResults ',
  },
  stellio: {
    defaultLimit: 30,
    maxLimit: 100,
    status: 403,
    type: 'https://uri.etsi.org/ngsi-ld/errors/TooManyResults',
  },
} as const;

/** 120 sensors on a line of longitudes 8.600, 8.601, …, 8.719 at latitude 49.87, plus one without a location. */
const SENSOR_COUNT = 120;
const TYPE = 'ProfileSensor';
const urn = (index: number) => `urn:ngsi-ld:${TYPE}:${index}`;
const longitude = (index: number) => Math.round((8.6 + index / 1000) * 1000) / 1000;

describe.each(BROKER_PROFILE_NAMES)('broker profile %s', (profile) => {
  let plaza: TestPlaza;
  let broker: string;
  const clients: SseClient[] = [];
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${broker}${path}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & unknown[] };
  };

  beforeAll(async () => {
    plaza = await startTestPlaza({ NGSI_LD_PROFILE: profile, PLAZA_LIVE_CHECK_SECONDS: '1' });
    broker = `${plaza.url}/ngsi-ld/v1`;
    const sensors = Array.from({ length: SENSOR_COUNT }, (_, index) =>
      sensorEntity(urn(index), TYPE, index, [longitude(index), 49.87]),
    );
    const { location: _location, ...unplaced } = sensorEntity(urn(SENSOR_COUNT), TYPE, -1, [0, 0]);
    await upsertEntities(broker, [...sensors, unplaced]);
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it('applies its default and maximum limit and its error above the maximum', async () => {
    const expected = EXPECTED[profile];
    expect((await get(`/entities?type=${TYPE}`)).body).toHaveLength(expected.defaultLimit);
    const atMaximum = await get(`/entities?type=${TYPE}&limit=${expected.maxLimit}`);
    expect(atMaximum.status).toBe(200);
    expect(atMaximum.body).toHaveLength(Math.min(expected.maxLimit, SENSOR_COUNT + 1));
    const above = await get(`/entities?type=${TYPE}&limit=${expected.maxLimit + 1}`);
    expect(above.status).toBe(expected.status);
    expect(above.body.type).toBe(expected.type);
  });

  it('links the next page while more follow when it is Scorpio or Stellio', async () => {
    const first = await fetch(`${broker}/entities?type=${TYPE}&limit=50`);
    const last = await fetch(`${broker}/entities?type=${TYPE}&limit=50&offset=100`);
    expect(((await last.json()) as unknown[]).length).toBe(SENSOR_COUNT + 1 - 100);
    if (profile === 'scorpio' || profile === 'stellio') {
      const link = first.headers.get('link') ?? '';
      const next = /<([^>]*)>;\s*rel="next"/.exec(link);
      expect(next).not.toBeNull();
      // The context link stays beside it.
      expect(link).toContain('rel="http://www.w3.org/ns/json-ld#context"');
      const nextPage = (await (await fetch(`${plaza.url}${next![1]}`)).json()) as Array<{ id: string }>;
      expect(nextPage).toHaveLength(50);
      expect(new URL(next![1], plaza.url).searchParams.get('offset')).toBe('50');
      expect(last.headers.get('link') ?? '').not.toContain('rel="next"');
    } else {
      expect(first.headers.get('link') ?? '').not.toContain('rel="next"');
    }
  });

  it('refuses an unfiltered query, titled "Too broad query" by Orion-LD', async () => {
    const answer = await get('/entities');
    expect(answer.status).toBe(400);
    expect(answer.body.title).toBe(profile === 'orion-ld' ? 'Too broad query' : 'BadRequestData');
  });

  it('understands pick and omit unless it is Orion-LD', async () => {
    const answer = await get(`/entities?type=${TYPE}&pick=id,value&limit=1`);
    if (profile === 'orion-ld') {
      expect(answer.status).toBe(400);
    } else {
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body[0] as object).sort()).toEqual(['id', 'value']);
    }
  });

  it('places the GeoJSON @context and an absent geometry as the broker does', async () => {
    const answer = await get(`/entities?type=${TYPE}&id=${urn(0)},${urn(SENSOR_COUNT)}`, {
      accept: 'application/geo+json',
    });
    expect(answer.status).toBe(200);
    const collection = answer.body as unknown as {
      '@context'?: unknown;
      features: Array<Record<string, unknown>>;
    };
    const perFeature = profile === 'orion-ld' || profile === 'stellio';
    expect(collection['@context'] !== undefined).toBe(!perFeature);
    for (const feature of collection.features) expect(feature['@context'] !== undefined).toBe(perFeature);
    const unplaced = collection.features.find((feature) => feature.id === urn(SENSOR_COUNT))!;
    if (profile === 'scorpio') expect('geometry' in unplaced).toBe(false);
    else expect(unplaced.geometry).toBeNull();
  });

  it('takes only whole metres in near when it is Stellio', async () => {
    const near = (distance: string) =>
      get(
        `/entities?type=${TYPE}&georel=near;maxDistance==${distance}&geometry=Point&coordinates=[8.6,49.87]`,
      );
    // 0.001° of longitude at 49.87° is about 71.7 m: sensors 0 and 1 lie within 100 m.
    const whole = await near('100');
    expect(whole.status).toBe(200);
    expect((whole.body as Array<{ id: string }>).map((entity) => entity.id).sort()).toEqual([urn(0), urn(1)]);
    expect((await near('100.5')).status).toBe(profile === 'stellio' ? 400 : 200);
  });

  it('serves every entity and a bbox through the NGSI-LD provider', async () => {
    const provider = new NgsiLdProvider({ brokerUrl: broker, entityType: TYPE });
    const all = await provider.queryFeatures({ limit: 500, offset: 0 });
    expect(all.features).toHaveLength(SENSOR_COUNT + 1);
    expect(all.features.find((feature) => feature.id === urn(SENSOR_COUNT))!.geometry).toBeNull();
    // Longitudes 8.6105 to 8.6205 hold sensors 11 to 20; the unplaced one has no geometry and stays out.
    const boxed = await provider.queryFeatures({
      limit: 500,
      offset: 0,
      bbox: [[8.6105, 49.8, 8.6205, 49.9]],
    });
    expect(boxed.features.map((feature) => feature.id).sort()).toEqual(
      Array.from({ length: 10 }, (_, index) => urn(11 + index)).sort(),
    );
    expect((await provider.getFeature(urn(5)))?.geometry).toEqual({
      type: 'Point',
      coordinates: [8.605, 49.87],
    });
    await provider.close();
  });

  it('relays a snapshot of every entity and then a change over the live stream', async () => {
    const client = new SseClient(`${plaza.url}/live?types=${TYPE}`);
    clients.push(client);
    expect((await client.connect()).status).toBe(200);
    await client.waitFor(() => client.events.some((event) => event.event === 'snapshot'), 10_000, 'snapshot');
    expect(client.state.size).toBe(SENSOR_COUNT + 1);
    await upsertEntities(broker, [sensorEntity(urn(7), TYPE, 1007, [longitude(7), 49.87])]);
    await client.waitFor(() => client.state.get(urn(7))?.values.value === 1007, 10_000, 'the change');
  });
});
