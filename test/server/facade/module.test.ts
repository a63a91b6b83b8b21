// The NGSI-LD facade as an NGSI-LD client sees it: GeoPackage and GeoJSON collections as entities, the served
// @context resolving the terms (jsonld), geo-queries and q against the embedded broker holding the same entities,
// bad input, and remote endpoints refused unless configured.
/* eslint-disable @typescript-eslint/no-explicit-any -- test reads response bodies and jsonld output loosely */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jsonld from 'jsonld';
import { CORE_CONTEXT_DOCUMENT, CORE_CONTEXT_URL } from '../../../server/ngsi-ld';
import { FACADE_VOCABULARY, upsertCollection } from '../../../server/facade';
import { GeoJsonFileProvider } from '../../../server/providers/geojson';
import { startFacadeTestServer, type FacadeTestServer } from './server';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { KIOSKS } from './server';

let server: FacadeTestServer;
let remote: FacadeTestServer;

const contextLink = (url: string) =>
  `<${url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`;

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** Sorted entity ids of a facade or broker query answer. */
function idsOf(body: Array<{ id: string }>): string[] {
  return body.map((entity) => entity.id).sort();
}

const kiosk = (id: string) => `urn:ngsi-ld:kiosks:${id}`;

beforeAll(async () => {
  remote = await startFacadeTestServer();
  server = await startFacadeTestServer({
    // A configured remote that has no OGC API, and one where nothing listens (port 9, discard).
    remotes: [`${remote.origin}/ogc`, `${remote.origin}/missing`, 'http://127.0.0.1:9/ogc'],
  });
  // The broker holds the same kiosks, upserted by the facade's own upsert in batches of two.
  const directory = mkdtempSync(join(tmpdir(), 'plaza-facade-upsert-'));
  writeFileSync(join(directory, 'kiosks.geojson'), JSON.stringify(KIOSKS));
  const provider = new GeoJsonFileProvider({ path: join(directory, 'kiosks.geojson') });
  const result = await upsertCollection({
    collectionId: 'kiosks',
    provider,
    brokerUrl: server.broker,
    batchSize: 2,
  });
  expect(result).toEqual({ upserted: 5, batches: 3, errors: [] });
  await provider.close();
  rmSync(directory, { recursive: true, force: true });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await remote?.close();
});

describe('facade module', () => {
  it('returns GeoJSON features as normalized entities with Property and the location GeoProperty', async () => {
    const { status, headers, body } = await getJson(`${server.facade}/entities?type=kiosks&limit=10`);
    expect(status).toBe(200);
    expect(headers.get('link')).toContain(`<${server.origin}/ngsi-ld/facade/context.jsonld>`);
    expect(idsOf(body)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5'].map(kiosk));
    const k2 = body.find((entity: { id: string }) => entity.id === kiosk('k2'));
    expect(k2).toEqual({
      id: kiosk('k2'),
      type: 'kiosks',
      name: { type: 'Property', value: 'Brandt' },
      height: { type: 'Property', value: 12.5 },
      open: { type: 'Property', value: false },
      category: { type: 'Property', value: 'news' },
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [13.41, 52.52] } },
    });
    // No geometry: no location attribute.
    expect(body.find((entity: { id: string }) => entity.id === kiosk('k5')).location).toBeUndefined();
  });

  it('returns GeoPackage rows as entities named by their fid', async () => {
    const { body } = await getJson(`${server.facade}/entities?type=trees`);
    expect(idsOf(body)).toEqual(['urn:ngsi-ld:trees:1', 'urn:ngsi-ld:trees:2', 'urn:ngsi-ld:trees:3']);
    const { status, body: tree } = await getJson(
      `${server.facade}/entities/${encodeURIComponent('urn:ngsi-ld:trees:2')}?format=keyValues`,
    );
    expect(status).toBe(200);
    expect(tree).toEqual({
      id: 'urn:ngsi-ld:trees:2',
      type: 'trees',
      species: 'Quercus',
      girth: 310,
      location: { type: 'Point', coordinates: [13.381, 52.511] },
    });
  });

  it('renders concise and keyValues, and GeoJSON for Accept: application/geo+json', async () => {
    const concise = await getJson(
      `${server.facade}/entities/${encodeURIComponent(kiosk('k1'))}?format=concise`,
    );
    expect(concise.body).toMatchObject({
      id: kiosk('k1'),
      type: 'kiosks',
      name: 'Alex',
      height: 4,
      location: { type: 'Point', coordinates: [13.4, 52.52] },
    });
    const keyValues = await getJson(`${server.facade}/entities?type=kiosks&options=keyValues&q=name=="Alex"`);
    expect(keyValues.body).toEqual([
      {
        id: kiosk('k1'),
        type: 'kiosks',
        name: 'Alex',
        height: 4,
        open: true,
        category: 'food',
        location: { type: 'Point', coordinates: [13.4, 52.52] },
      },
    ]);
    const geo = await getJson(`${server.facade}/entities?type=kiosks&limit=10`, {
      accept: 'application/geo+json',
    });
    expect(geo.headers.get('content-type')).toContain('application/geo+json');
    expect(geo.body.type).toBe('FeatureCollection');
    expect(geo.body['@context']).toEqual([
      `${server.origin}/ngsi-ld/facade/context.jsonld`,
      CORE_CONTEXT_URL,
    ]);
    const feature = geo.body.features.find((item: { id: string }) => item.id === kiosk('k3'));
    expect(feature.type).toBe('Feature');
    expect(feature.geometry).toEqual({ type: 'Point', coordinates: [13.4, 52.53] });
    expect(feature.properties.type).toBe('kiosks');
    expect(feature.properties.name).toEqual({ type: 'Property', value: 'Curie' });
    expect(geo.body.features.find((item: { id: string }) => item.id === kiosk('k5')).geometry).toBeNull();
  });

  it('serves a context whose terms expand the entity type and attributes with the jsonld package', async () => {
    const response = await fetch(`${server.facade}/entities/${encodeURIComponent(kiosk('k1'))}`, {
      headers: { accept: 'application/ld+json' },
    });
    const entity = (await response.json()) as Record<string, unknown>;
    expect(entity['@context']).toEqual([`${server.origin}/ngsi-ld/facade/context.jsonld`, CORE_CONTEXT_URL]);
    const documentLoader = async (url: string) => {
      if (url === CORE_CONTEXT_URL)
        return { contextUrl: undefined, documentUrl: url, document: CORE_CONTEXT_DOCUMENT };
      // Only the core context's `ngsildproof` term scopes the Data Integrity context; no term here uses it.
      if (url === 'https://w3id.org/security/data-integrity/v2')
        return { contextUrl: undefined, documentUrl: url, document: { '@context': {} } };
      if (!url.startsWith(server.origin)) throw new Error(`unexpected context ${url}`);
      return { contextUrl: undefined, documentUrl: url, document: await (await fetch(url)).json() };
    };
    const [expanded] = (await jsonld.expand(entity as any, {
      documentLoader: documentLoader as any,
    })) as any[];
    expect(expanded['@id']).toBe(kiosk('k1'));
    expect(expanded['@type']).toEqual([`${FACADE_VOCABULARY}kiosks`]);
    expect(
      expanded[`${FACADE_VOCABULARY}name`][0]['https://uri.etsi.org/ngsi-ld/hasValue'][0]['@value'],
    ).toBe('Alex');
    expect(expanded[`${FACADE_VOCABULARY}height`]).toBeDefined();
    expect(expanded['https://uri.etsi.org/ngsi-ld/location']).toBeDefined();
  });

  it('lists the collections as types, with details and per type', async () => {
    const types = await getJson(`${server.facade}/types`);
    expect(types.body.type).toBe('EntityTypeList');
    expect(types.body.typeList).toEqual(['kiosks', 'trees']);
    const info = await getJson(`${server.facade}/types/kiosks`);
    expect(info.body.entityCount).toBe(5);
    expect(
      info.body.attributeDetails.map((item: { attributeName: string }) => item.attributeName).sort(),
    ).toEqual(['category', 'height', 'location', 'name', 'open']);
    const details = await getJson(`${server.facade}/types?details=true`);
    expect(
      details.body.find((item: { typeName: string }) => item.typeName === 'trees').attributeNames.sort(),
    ).toEqual(['girth', 'location', 'species']);
  });

  // Expected sets worked out by hand from the fixture's coordinates and values (see KIOSKS).
  const EQUIVALENCE_CASES: Array<[string, Record<string, string>, string[]]> = [
    [
      'near maxDistance 800 m',
      { georel: 'near;maxDistance==800', geometry: 'Point', coordinates: '[13.4,52.52]' },
      ['k1', 'k2'],
    ],
    [
      'near maxDistance 1200 m',
      { georel: 'near;maxDistance==1200', geometry: 'Point', coordinates: '[13.4,52.52]' },
      ['k1', 'k2', 'k3'],
    ],
    [
      'near minDistance 1000 m',
      { georel: 'near;minDistance==1000', geometry: 'Point', coordinates: '[13.4,52.52]' },
      ['k3', 'k4'],
    ],
    [
      'within a polygon',
      {
        georel: 'within',
        geometry: 'Polygon',
        coordinates: '[[[13.39,52.51],[13.405,52.51],[13.405,52.535],[13.39,52.535],[13.39,52.51]]]',
      },
      ['k1', 'k3'],
    ],
    [
      'intersects a polygon',
      {
        georel: 'intersects',
        geometry: 'Polygon',
        coordinates: '[[[13.405,52.51],[13.6,52.51],[13.6,52.525],[13.405,52.525],[13.405,52.51]]]',
      },
      ['k2', 'k4'],
    ],
    ['a number comparison', { q: 'height>5' }, ['k2', 'k3', 'k4']],
    ['AND of string and boolean equality', { q: 'category=="food";open==true' }, ['k1', 'k3']],
    ['a regular expression', { q: 'name~="^[AB]"' }, ['k1', 'k2']],
    ['absence', { q: '!open' }, ['k4', 'k5']],
    ['a range', { q: 'height==4..10' }, ['k1', 'k3']],
    ['an OR', { q: 'category=="news"|height<2' }, ['k2', 'k4', 'k5']],
    ['a value list', { q: 'name=="Alex","Dorn"' }, ['k1', 'k4']],
    [
      'q with a geo-query',
      {
        q: 'category=="food"',
        georel: 'near;maxDistance==1200',
        geometry: 'Point',
        coordinates: '[13.4,52.52]',
      },
      ['k1', 'k3'],
    ],
  ];

  it.each(EQUIVALENCE_CASES)(
    'answers %s as the embedded broker does',
    async (_name, parameters, expected) => {
      const query = new URLSearchParams({ type: 'kiosks', limit: '100', ...parameters }).toString();
      const facade = await getJson(`${server.facade}/entities?${query}`);
      const broker = await getJson(`${server.broker}/entities?${query}`, {
        link: contextLink(`${server.origin}/ngsi-ld/facade/context.jsonld`),
      });
      expect(facade.status).toBe(200);
      expect(broker.status).toBe(200);
      expect(idsOf(facade.body)).toEqual(expected.map(kiosk));
      expect(idsOf(broker.body)).toEqual(idsOf(facade.body));
    },
  );

  it('pages with limit and offset and counts with count=true', async () => {
    const all = await getJson(`${server.facade}/entities?type=kiosks&limit=100`);
    const page = await getJson(`${server.facade}/entities?type=kiosks&limit=2&offset=1&count=true`);
    expect(page.headers.get('ngsild-results-count')).toBe('5');
    expect(page.body.map((entity: { id: string }) => entity.id)).toEqual(
      all.body.slice(1, 3).map((entity: { id: string }) => entity.id),
    );
    const countOnly = await getJson(`${server.facade}/entities?type=kiosks&limit=0&count=true&q=height>5`);
    expect(countOnly.body).toEqual([]);
    expect(countOnly.headers.get('ngsild-results-count')).toBe('3');
    const defaultPage = await getJson(`${server.facade}/entities?type=kiosks,trees`);
    expect(defaultPage.body).toHaveLength(8);
  });

  it('answers bad input with NGSI-LD problem details, never a 500', async () => {
    const cases: Array<[string, number, string]> = [
      ['/entities', 400, 'BadRequestData'],
      ['/entities?type=kiosks&q=height>>', 400, 'BadRequestData'],
      ['/entities?type=kiosks&georel=touches&geometry=Point&coordinates=[13.4,52.52]', 400, 'BadRequestData'],
      [
        '/entities?type=kiosks&georel=near;maxDistance==10&geometry=Point&coordinates=[13.4',
        400,
        'BadRequestData',
      ],
      [
        '/entities?type=kiosks&georel=within&geometry=Polygon&coordinates=[[[0,0],[1,0]]]',
        400,
        'BadRequestData',
      ],
      ['/entities?type=kiosks&limit=1001', 403, 'TooManyResults'],
      ['/entities?type=kiosks&limit=-1', 400, 'BadRequestData'],
      ['/entities?type=kiosks&limit=0', 400, 'BadRequestData'],
      ['/entities?type=kiosks&idPattern=(', 400, 'BadRequestData'],
      ['/entities?type=kiosks&format=temporalValues', 400, 'BadRequestData'],
      ['/entities?type=kiosks&colour=red', 400, 'InvalidRequest'],
      ['/entities?type=kiosks&geometryProperty=location', 400, 'BadRequestData'],
      ['/entities/not%20a%20uri', 400, 'BadRequestData'],
      [`/entities/${encodeURIComponent('urn:ngsi-ld:kiosks:k9')}`, 404, 'ResourceNotFound'],
      [`/entities/${encodeURIComponent('urn:ngsi-ld:nothing:1')}`, 404, 'ResourceNotFound'],
      ['/types/nothing', 404, 'ResourceNotFound'],
    ];
    for (const [path, status, type] of cases) {
      const response = await getJson(`${server.facade}${path}`);
      expect([path, response.status]).toEqual([path, status]);
      expect(response.body.type).toBe(`https://uri.etsi.org/ngsi-ld/errors/${type}`);
      expect(typeof response.body.detail).toBe('string');
    }
    const html = await fetch(`${server.facade}/entities?type=kiosks`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(406);
  });

  it('answers writes with 405 or 501 problem details', async () => {
    const writes: Array<[string, string, number]> = [
      ['POST', '/entities', 405],
      ['DELETE', `/entities/${encodeURIComponent(kiosk('k1'))}`, 405],
      ['PATCH', `/entities/${encodeURIComponent(kiosk('k1'))}/attrs`, 405],
      ['POST', '/entityOperations/upsert', 501],
      ['POST', '/subscriptions', 501],
    ];
    for (const [method, path, status] of writes) {
      const response = await fetch(`${server.facade}${path}`, {
        method,
        ...(method === 'DELETE' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
      });
      expect([method, path, response.status]).toEqual([method, path, status]);
      const body = (await response.json()) as { type: string };
      expect(body.type).toMatch(
        /^https:\/\/uri\.etsi\.org\/ngsi-ld\/errors\/(OperationNotSupported|NotImplemented)$/,
      );
    }
    // Nothing changed.
    const after = await getJson(`${server.facade}/entities/${encodeURIComponent(kiosk('k1'))}`);
    expect(after.status).toBe(200);
  });

  it('reads a configured remote OGC API endpoint and refuses any other', async () => {
    const source = encodeURIComponent(`${remote.origin}/ogc`);
    const types = await getJson(`${server.facade}/types?source=${source}`);
    expect(types.status).toBe(200);
    expect(types.body.typeList).toEqual(['kiosks', 'trees']);
    const near = await getJson(
      `${server.facade}/entities?type=kiosks&source=${source}&georel=near;maxDistance==800&geometry=Point&coordinates=[13.4,52.52]&q=height>5`,
    );
    expect(idsOf(near.body)).toEqual([kiosk('k2')]);
    const one = await getJson(
      `${server.facade}/entities/${encodeURIComponent('urn:ngsi-ld:trees:3')}?source=${source}&format=keyValues`,
    );
    expect(one.body.species).toBe('Acer');
    for (const other of [`${remote.origin}/other`, 'http://169.254.169.254/latest', `${server.origin}/ogc`]) {
      const refused = await getJson(
        `${server.facade}/entities?type=kiosks&source=${encodeURIComponent(other)}`,
      );
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/AccessDenied');
    }
    for (const broken of [`${remote.origin}/missing`, 'http://127.0.0.1:9/ogc']) {
      const answer = await getJson(
        `${server.facade}/entities?type=kiosks&source=${encodeURIComponent(broken)}`,
      );
      expect(answer.status).toBe(502);
      expect(answer.body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadGateway');
    }
    // The remote server itself has no remotes configured.
    const unconfigured = await getJson(`${remote.facade}/types?source=${source}`);
    expect(unconfigured.status).toBe(403);
  });
});
