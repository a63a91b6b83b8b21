// The embedded broker's in-process reader against the same broker read over HTTP with the NGSI-LD client: the HTTP
// answers are the oracle for shapes and order, the hand-placed fixture for which entities match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgsiLdClient, type NgsiLdEntityQuery } from '../../../../server/ngsi-ld/client';
import { InProcessReader } from '../../../../server/ngsi-ld/broker/in-process';
import { rejection } from '../client/helpers';
import { ETSI_NAMESPACE, ETSI_SUITE_CONTEXT, request, startTestBroker, type TestBroker } from '../helpers';

/** A user @context (an offline document of the test broker) that maps Building and name into ETSI_NAMESPACE. */
const CONTEXT = ETSI_SUITE_CONTEXT;

/** Five stations on a line of longitude 8.60 .. 8.64 at latitude 49.87; heights 5, 10, 15, 20, 25. */
function station(index: number): Record<string, unknown> {
  return {
    id: `urn:ngsi-ld:Building:${index}`,
    type: 'Building',
    name: { type: 'Property', value: `station ${index}` },
    height: { type: 'Property', value: 5 * (index + 1) },
    label: { type: 'LanguageProperty', languageMap: { en: `Station ${index}`, de: `Messstelle ${index}` } },
    refDevice: { type: 'Relationship', object: `urn:ngsi-ld:Device:${index}` },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [8.6 + index * 0.01, 49.87] } },
  };
}

let broker: TestBroker;
let client: NgsiLdClient;
let reader: InProcessReader;

async function upsert(entities: Array<Record<string, unknown>>, headers: Record<string, string> = {}) {
  const answer = await request(`${broker.base}/entityOperations/upsert`, {
    method: 'POST',
    headers: { 'content-type': 'application/ld+json', ...headers },
    body: entities.map((entity) => ({ ...entity, '@context': CONTEXT })),
  });
  expect([201, 204]).toContain(answer.status);
}

beforeAll(async () => {
  broker = await startTestBroker();
  await upsert(Array.from({ length: 5 }, (_, index) => station(index)));
  // One entity without any location, of the same type.
  await upsert([{ id: 'urn:ngsi-ld:Building:nowhere', type: 'Building', height: 1 }]);
  client = new NgsiLdClient({ url: broker.base, context: CONTEXT, retries: 0 });
  reader = new InProcessReader(broker.services(), { context: CONTEXT });
}, 30_000);
afterAll(async () => {
  await broker?.close();
});

const ids = (features: Array<{ id: string }>) => features.map((feature) => feature.id);
const BOX = (west: number, east: number): NgsiLdEntityQuery['geo'] => ({
  georel: 'intersects',
  geometry: 'Polygon',
  coordinates: [
    [
      [west, 49.86],
      [east, 49.86],
      [east, 49.88],
      [west, 49.88],
      [west, 49.86],
    ],
  ],
});

describe('InProcessReader', () => {
  it('lists the types as terms of its @context, as GET /types does', async () => {
    expect(await reader.listTypes()).toEqual(['Building']);
    expect(await reader.listTypes()).toEqual(await client.listTypes());
    // Without the user context the type is its full IRI.
    expect(await new InProcessReader(broker.services()).listTypes()).toEqual([`${ETSI_NAMESPACE}Building`]);
  });

  it('pages like the broker: the same features, order and total for limit, offset and count', async () => {
    const query: NgsiLdEntityQuery = { type: 'Building', format: 'keyValues' };
    const page = await reader.queryEntitiesGeoJsonPage(query, { limit: 2, offset: 1, count: true });
    expect(page.count).toBe(6);
    expect(page.items).toHaveLength(2);
    const overHttp = await client.queryEntitiesGeoJsonPage(query, { limit: 2, offset: 1, count: true });
    expect(page.items).toEqual(overHttp.items);
    expect(page.count).toBe(overHttp.count);
  });

  it('renders keyValues, concise and normalized features exactly as the HTTP answer', async () => {
    for (const format of ['keyValues', 'concise', 'normalized'] as const) {
      const query: NgsiLdEntityQuery = { type: 'Building', format };
      const local = await reader.queryEntitiesGeoJson(query);
      expect(local).toHaveLength(6);
      expect(local).toEqual(await client.queryEntitiesGeoJson(query));
    }
    const [first] = await reader.queryEntitiesGeoJson({
      type: 'Building',
      format: 'keyValues',
      id: ['urn:ngsi-ld:Building:0'],
    });
    // Values by hand from the fixture: keyValues flattens Properties, Relationships and the GeoProperty.
    expect(first).toMatchObject({
      type: 'Feature',
      id: 'urn:ngsi-ld:Building:0',
      geometry: { type: 'Point', coordinates: [8.6, 49.87] },
      properties: {
        type: 'Building',
        name: 'station 0',
        height: 5,
        refDevice: 'urn:ngsi-ld:Device:0',
      },
    });
    // The entity without a location has a null geometry.
    const [nowhere] = await reader.queryEntitiesGeoJson({
      type: 'Building',
      id: ['urn:ngsi-ld:Building:nowhere'],
    });
    expect(nowhere.geometry).toBeNull();
  });

  it('selects by geo-query, q, idPattern and ids as the broker does', async () => {
    const cases: Array<[NgsiLdEntityQuery, string[]]> = [
      // Longitudes 8.60 .. 8.64: the box 8.605 .. 8.625 holds stations 1 and 2.
      [{ type: 'Building', geo: BOX(8.605, 8.625) }, ['1', '2']],
      // Heights 5 .. 25 and 1: above 12 are stations 2, 3, 4.
      [{ type: 'Building', q: 'height>12' }, ['2', '3', '4']],
      [{ type: 'Building', q: 'height>12;name=="station 3"' }, ['3']],
      [{ type: 'Building', idPattern: ':[04]$' }, ['0', '4']],
      [{ id: ['urn:ngsi-ld:Building:3', 'urn:ngsi-ld:Building:nowhere'] }, ['3', 'nowhere']],
    ];
    for (const [query, expected] of cases) {
      const local = ids(await reader.queryEntitiesGeoJson({ ...query, format: 'keyValues' }));
      expect(local.map((id) => id.split(':').pop()).sort()).toEqual(expected);
      expect(local).toEqual(ids(await client.queryEntitiesGeoJson({ ...query, format: 'keyValues' })));
    }
  });

  it('projects with attrs and pick as the broker does', async () => {
    const attrs = await reader.queryEntitiesGeoJson({ type: 'Building', attrs: ['height'] });
    expect(Object.keys(attrs[0].properties).sort()).toEqual(['height', 'type']);
    expect(attrs).toEqual(await client.queryEntitiesGeoJson({ type: 'Building', attrs: ['height'] }));
    const pick = await reader.queryEntitiesGeoJson({
      type: 'Building',
      format: 'keyValues',
      pick: ['id', 'name'],
    });
    expect(Object.keys(pick[0].properties)).toEqual(['name']);
    expect(pick).toEqual(
      await client.queryEntitiesGeoJson({
        type: 'Building',
        format: 'keyValues',
        pick: ['id', 'name'],
      }),
    );
  });

  it('reads one entity, and no entity for an unknown id or tenant', async () => {
    const id = 'urn:ngsi-ld:Building:2';
    const local = await reader.getEntityGeoJson(id, { format: 'keyValues' });
    expect(local?.properties.height).toBe(15);
    expect(local).toEqual(await client.getEntityGeoJson(id, { format: 'keyValues' }));
    expect(await reader.getEntityGeoJson('urn:ngsi-ld:Building:99')).toBeUndefined();
    const elsewhere = new InProcessReader(broker.services(), { tenant: 'nobody' });
    expect(await elsewhere.getEntityGeoJson(id)).toBeUndefined();
  });

  it('fails with the kinds the HTTP client gives: bad request, unknown tenant, too many results', async () => {
    const badQ = await rejection(reader.queryEntitiesGeoJson({ type: 'Building', q: 'height>>' }));
    const badQOverHttp = await rejection(client.queryEntitiesGeoJson({ type: 'Building', q: 'height>>' }));
    expect([badQ.kind, badQ.status]).toEqual(['bad-request', 400]);
    expect([badQ.kind, badQ.status]).toEqual([badQOverHttp.kind, badQOverHttp.status]);
    expect((await rejection(reader.getEntityGeoJson('not a uri'))).kind).toBe('bad-request');
    const tenant = await rejection(
      new InProcessReader(broker.services(), { tenant: 'nobody' }).queryEntitiesGeoJsonPage(
        { type: 'Building' },
        { limit: 10 },
      ),
    );
    expect([tenant.kind, tenant.problemType]).toEqual(['not-found', 'NonexistentTenant']);
    const tooMany = await rejection(reader.queryEntitiesGeoJson({ type: 'Building' }, { maxItems: 5 }));
    expect([tooMany.kind, tooMany.status]).toEqual(['too-many-results', undefined]);
    const pageTooLarge = await rejection(
      reader.queryEntitiesGeoJsonPage({ type: 'Building' }, { limit: 10_001 }),
    );
    expect(pageTooLarge.kind).toBe('too-many-results');
  });
});
