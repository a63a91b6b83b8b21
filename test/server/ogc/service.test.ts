// The OGC API over HTTP: the OGC test-suite (ets-ogcapi-features10, Part 2) assertions, content negotiation, HTML,
// internal collections, and a fuzz table of malformed parameters. Expected values come from the fixture table.
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions walk JSON documents by path */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startOgcTestServer, INTERNAL_TOKEN, type OgcTestServer } from './server';
import { idsOf } from './fixtures';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const EPSG = 'http://www.opengis.net/def/crs/EPSG/0/';

let server: OgcTestServer;
beforeAll(async () => {
  server = await startOgcTestServer();
});
afterAll(async () => {
  await server?.close();
});

interface Link {
  href: string;
  rel: string;
  type?: string;
}
interface FeatureCollectionBody {
  type: string;
  features: {
    id: number;
    geometry: { type: string; coordinates: number[] } | null;
    properties: Record<string, unknown>;
  }[];
  links: Link[];
  numberMatched?: number;
  numberReturned: number;
  timeStamp: string;
}

async function getJson<T = Record<string, unknown>>(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; response: Response }> {
  const response = await fetch(path.startsWith('http') ? path : `${server.base}${path}`, { headers });
  const text = await response.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = text as T;
  }
  return { status: response.status, body, response };
}

const items = (query: string, collection = 'places') =>
  getJson<FeatureCollectionBody>(`/collections/${collection}/items?${query}`);

/** Web Mercator by its textbook formula (not through proj4). */
function webMercator(longitude: number, latitude: number): [number, number] {
  const radius = 6378137;
  return [
    (radius * longitude * Math.PI) / 180,
    radius * Math.log(Math.tan(Math.PI / 4 + (latitude * Math.PI) / 360)),
  ];
}

describe('ogc service', () => {
  describe('landing page', () => {
    it('links service-desc with the exact OpenAPI 3.0 type, service-doc, conformance and data', async () => {
      const { status, body, response } = await getJson<{ links: Link[] }>('');
      expect(status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const rel = (name: string) => body.links.find((link) => link.rel === name);
      expect(rel('service-desc')?.type).toBe('application/vnd.oai.openapi+json;version=3.0');
      expect(rel('service-doc')?.type).toBe('text/html');
      expect(rel('conformance')?.href).toBe(`${server.base}/conformance`);
      expect(rel('data')?.href).toBe(`${server.base}/collections`);
      for (const link of body.links) expect(link.type).toBeTruthy();
    });

    it('answers JSON to Accept */* (OWSLib) and HTML to a browser Accept', async () => {
      expect((await getJson('', { accept: '*/*' })).response.headers.get('content-type')).toMatch(
        /application\/json/,
      );
      const html = await fetch(`${server.base}`, {
        headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      });
      expect(html.headers.get('content-type')).toMatch(/text\/html/);
      expect(await html.text()).toContain('<html lang="en">');
    });

    it('answers 400 to an unknown f and 406 to an Accept it cannot meet', async () => {
      const unknownFormat = await getJson<{ detail: string }>('?f=xml');
      expect(unknownFormat.status).toBe(400);
      expect(unknownFormat.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(unknownFormat.body.detail).toContain("'f'");
      expect((await getJson('', { accept: 'image/png' })).status).toBe(406);
    });

    it('is also reachable below the server root for /collections, /conformance and /api', async () => {
      const response = await fetch(`${server.origin}/collections`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { collections: { id: string }[] };
      expect(body.collections.map((collection) => collection.id)).toContain('places');
    });
  });

  describe('conformance', () => {
    it('declares Part 1 core, geojson, html, oas30, Part 2 crs and Part 3 queryables by their published URIs', async () => {
      const { body } = await getJson<{ conformsTo: string[] }>('/conformance');
      for (const uri of [
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
        'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
        'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
        'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables',
        'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters',
      ]) {
        expect(body.conformsTo).toContain(uri);
      }
    });
  });

  describe('api', () => {
    it('is a valid OpenAPI 3.0 document whose server is the landing page', async () => {
      const { body, response } = await getJson<Record<string, unknown>>('/api');
      expect(response.headers.get('content-type')).toMatch(
        /^application\/vnd\.oai\.openapi\+json;\s*version=3\.0/,
      );
      expect(String(body.openapi)).toMatch(/^3\.0\./);
      expect((body.servers as { url: string }[])[0].url).toBe(server.base);
      await SwaggerParser.validate(structuredClone(body) as never);
    });

    it('declares limit, bbox and datetime on every items path as the test suite checks them', async () => {
      const { body } = await getJson<Record<string, unknown>>('/api');
      const document = (await SwaggerParser.dereference(structuredClone(body) as never)) as unknown as {
        paths: Record<string, { get: { parameters: Record<string, unknown>[] } }>;
      };
      const itemPaths = Object.keys(document.paths).filter((path) =>
        /^\/collections\/[^/]+\/items$/.test(path),
      );
      expect(itemPaths.sort()).toEqual([
        '/collections/places-gdal/items',
        '/collections/places-geojson/items',
        '/collections/places-utm/items',
        '/collections/places/items',
      ]);
      for (const path of itemPaths) {
        const parameter = (name: string) =>
          document.paths[path].get.parameters.find((entry) => entry.name === name) as Record<string, any>;
        const limit = parameter('limit');
        expect([limit.in, limit.style, limit.explode, limit.required]).toEqual([
          'query',
          'form',
          false,
          false,
        ]);
        expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, default: 10 });
        const bbox = parameter('bbox');
        expect([bbox.in, bbox.style, bbox.explode]).toEqual(['query', 'form', false]);
        expect(bbox.schema).toMatchObject({
          type: 'array',
          minItems: 4,
          maxItems: 6,
          items: { type: 'number' },
        });
        const datetime = parameter('datetime');
        expect([datetime.in, datetime.style, datetime.explode, datetime.schema.type]).toEqual([
          'query',
          'form',
          false,
          'string',
        ]);
        for (const name of [
          'crs',
          'bbox-crs',
          'properties',
          'skipGeometry',
          'sortby',
          'offset',
          'f',
          'category',
        ])
          expect(parameter(name)).toBeDefined();
      }
    });

    it('has an HTML rendering (service-doc)', async () => {
      const response = await fetch(`${server.base}/api?f=html`);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toContain('/collections/places/items');
    });
  });

  describe('collections', () => {
    it('lists CRS84 first, a typed self link, HTML alternate and a typed items link per collection', async () => {
      const { body } = await getJson<{
        links: Link[];
        crs: string[];
        collections: { id: string; links: Link[] }[];
      }>('/collections');
      expect(body.crs[0]).toBe(CRS84);
      expect(body.links.find((link) => link.rel === 'self')?.type).toBe('application/json');
      expect(body.links.find((link) => link.rel === 'alternate')?.type).toBe('text/html');
      for (const collection of body.collections) {
        const itemLinks = collection.links.filter((link) => link.rel === 'items');
        expect(itemLinks.map((link) => link.type)).toContain('application/geo+json');
        for (const link of collection.links) expect(link.rel && link.type).toBeTruthy();
      }
    });

    it('hides internal collections without the credential and shows them with it', async () => {
      const ids = (body: { collections: { id: string }[] }) =>
        body.collections.map((collection) => collection.id);
      expect(ids((await getJson<{ collections: { id: string }[] }>('/collections')).body)).not.toContain(
        'secret',
      );
      expect((await getJson('/collections/secret')).status).toBe(404);
      expect((await getJson('/collections/secret/items')).status).toBe(404);
      expect((await getJson('/collections/secret', { authorization: 'Bearer wrong' })).status).toBe(404);
      const authorised = { authorization: `Bearer ${INTERNAL_TOKEN}` };
      expect(
        ids((await getJson<{ collections: { id: string }[] }>('/collections', authorised)).body),
      ).toContain('secret');
      const secretItems = await getJson<FeatureCollectionBody>('/collections/secret/items', authorised);
      expect(secretItems.status).toBe(200);
      expect(secretItems.body.numberMatched).toBe(10);
    });

    it('describes a collection exactly as its entry in /collections, with extents, crs and storageCrs', async () => {
      const list = await getJson<{ collections: Record<string, unknown>[] }>('/collections');
      const single = await getJson<Record<string, any>>('/collections/places');
      expect(single.body).toEqual(list.body.collections.find((collection) => collection.id === 'places'));
      expect(single.body.extent.spatial.bbox[0].map((value: number) => Number(value.toFixed(6)))).toEqual([
        -179.5, 49.86, 179.5, 67,
      ]);
      expect(single.body.extent.temporal.interval).toEqual([
        ['2024-01-15T10:00:00.000Z', '2024-12-31T12:00:00.000Z'],
      ]);
      expect(single.body.crs[0]).toBe(CRS84);
      expect(single.body.crs).toContain(`${EPSG}4326`);
      expect(single.body.storageCrs).toBe(CRS84);
      expect((await getJson<Record<string, any>>('/collections/places-utm')).body.storageCrs).toBe(
        `${EPSG}25832`,
      );
    });

    it('answers 404 as problem details for an unknown collection', async () => {
      const { status, response } = await getJson('/collections/nothing-here');
      expect(status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    });
  });

  describe('queryables', () => {
    it('is a JSON Schema 2020-12 object whose $id is its own URL, with typed properties and a geometry format', async () => {
      const { body, response } = await getJson<Record<string, any>>('/collections/places/queryables');
      expect(response.headers.get('content-type')).toMatch(/application\/schema\+json/);
      expect(body.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(body.$id).toBe(`${server.base}/collections/places/queryables`);
      expect(body.type).toBe('object');
      expect(body.properties.visits.type).toBe('integer');
      expect(body.properties.height.type).toBe('number');
      expect(body.properties.observed).toMatchObject({ type: 'string', format: 'date-time' });
      expect(body.properties.geometry.format).toBe('geometry-any');
      expect(body.properties.geometry.type).toBeUndefined();
    });
  });

  describe('items', () => {
    it('returns the default 10, at most limit, and clamps limits above 10,000 instead of failing', async () => {
      const one = await items('limit=1');
      expect(one.body.features).toHaveLength(1);
      expect(one.body.numberReturned).toBe(1);
      for (const limit of ['10000', '10001', '999999']) {
        const page = await items(`limit=${limit}`);
        expect(page.status).toBe(200);
        expect(page.body.features).toHaveLength(10);
      }
      expect(Number.isNaN(Date.parse(one.body.timeStamp))).toBe(false);
      expect(one.response.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    });

    it('has numberMatched equal to the features reached by following next links (limit 3)', async () => {
      for (const collection of ['places', 'places-gdal', 'places-geojson']) {
        let url: string | undefined = `${server.base}/collections/${collection}/items?limit=3`;
        const first = await getJson<FeatureCollectionBody>(url);
        const seen: number[] = [];
        let pages = 0;
        while (url && pages++ < 10) {
          const { body }: { body: FeatureCollectionBody } = await getJson<FeatureCollectionBody>(url);
          expect(body.numberReturned).toBe(body.features.length);
          expect(body.features.length).toBeLessThanOrEqual(3);
          seen.push(...body.features.map((feature) => feature.id));
          url = body.links.find((link) => link.rel === 'next')?.href;
        }
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(first.body.numberMatched).toBe(seen.length);
      }
    });

    it('follows next links of a bbox query keeping the bbox', async () => {
      let url: string | undefined =
        `${server.base}/collections/places/items?limit=1&bbox=8.645,49.865,8.675,49.895`;
      const seen: number[] = [];
      while (url) {
        const { body }: { body: FeatureCollectionBody } = await getJson<FeatureCollectionBody>(url);
        seen.push(...body.features.map((feature) => feature.id));
        url = body.links.find((link) => link.rel === 'next')?.href;
      }
      expect(seen).toEqual([1, 2, 3, 10]);
    });

    it('answers an antimeridian bbox with 200 and the features on both sides, and a pole box with 200', async () => {
      const antimeridian = await items('bbox=177,65,-177,70');
      expect(antimeridian.status).toBe(200);
      expect(idsOf(antimeridian.body.features)).toEqual([7, 8]);
      const pole = await items('bbox=-180,85,180,90');
      expect(pole.status).toBe(200);
      expect(pole.body.features).toHaveLength(0);
    });

    it('accepts 6-number bboxes and the 17-digit doubles GDAL sends', async () => {
      expect(idsOf((await items('bbox=8.645,49.865,0,8.675,49.895,100')).body.features)).toEqual([
        1, 2, 3, 10,
      ]);
      expect(
        idsOf(
          (
            await items(
              'bbox=8.64499999999999957,49.86499999999999915,8.67499999999999982,49.89499999999999957',
            )
          ).body.features,
        ),
      ).toEqual([1, 2, 3, 10]);
    });

    it('filters by datetime instants, closed and half-open intervals', async () => {
      expect(idsOf((await items('datetime=2024-09-09T09:09:09Z')).body.features)).toEqual([9]);
      expect(idsOf((await items('datetime=2024-03-31')).body.features)).toEqual([4]);
      expect(idsOf((await items('datetime=2024-03-01/2024-03-31')).body.features)).toEqual([3, 4]);
      expect(idsOf((await items('datetime=../2024-02-20T12:00:00Z')).body.features)).toEqual([1, 2]);
      expect(idsOf((await items('datetime=/2024-02-20T12:00:00Z')).body.features)).toEqual([1, 2]);
      expect(idsOf((await items('datetime=2024-08-15T09:00:00Z/..')).body.features)).toEqual([8, 9, 10]);
      expect(idsOf((await items('datetime=2024-08-15T09:00:00Z/')).body.features)).toEqual([8, 9, 10]);
    });

    it('selects properties, skips geometry, sorts, and filters by queryable parameters', async () => {
      const selected = await items('properties=name,visits&limit=1');
      expect(selected.body.features[0].properties).toEqual({ name: 'Alpha', visits: 3 });
      const noGeometry = await items('skipGeometry=true&limit=2');
      expect(noGeometry.body.features.map((feature) => feature.geometry)).toEqual([null, null]);
      const sorted = await items('sortby=-height&limit=3');
      expect(sorted.body.features.map((feature) => feature.id)).toEqual([9, 4, 2]);
      const ascending = await items(`sortby=${encodeURIComponent('+visits')}&limit=3`);
      expect(ascending.body.features.map((feature) => feature.id)).toEqual([8, 3, 6]);
      const parks = await items('category=park');
      expect(idsOf(parks.body.features)).toEqual([1, 3, 6, 8]);
      expect(parks.body.numberMatched).toBe(4);
      expect(idsOf((await items('visits=12')).body.features)).toEqual([4]);
    });

    it('answers 404 for an unknown feature and returns a known one with self, alternate and collection links', async () => {
      expect((await getJson('/collections/places/items/999')).status).toBe(404);
      const { body, response } = await getJson<{
        id: number;
        links: Link[];
        properties: Record<string, unknown>;
      }>('/collections/places/items/4');
      expect(body.id).toBe(4);
      expect(body.properties.name).toBe('Delta');
      expect(body.links.map((link) => link.rel).sort()).toEqual(['alternate', 'collection', 'self']);
      expect(response.headers.get('content-crs')).toBe(`<${CRS84}>`);
    });
  });

  describe('crs (Part 2)', () => {
    it('writes Content-Crs CRS84 by default and EPSG:4326 in latitude, longitude order', async () => {
      const plain = await items('limit=1');
      expect(plain.response.headers.get('content-crs')).toBe(`<${CRS84}>`);
      expect(plain.body.features[0].geometry?.coordinates).toEqual([8.65, 49.87]);
      const latitudeFirst = await items(`limit=1&crs=${encodeURIComponent(`${EPSG}4326`)}`);
      expect(latitudeFirst.response.headers.get('content-crs')).toBe(`<${EPSG}4326>`);
      expect(latitudeFirst.body.features[0].geometry?.coordinates).toEqual([49.87, 8.65]);
      const single = await getJson<{ geometry: { coordinates: number[] } }>(
        `/collections/places/items/1?crs=${encodeURIComponent(`${EPSG}4326`)}`,
      );
      expect(single.body.geometry.coordinates).toEqual([49.87, 8.65]);
    });

    it('projects to EPSG:3857 as the Web Mercator formula does', async () => {
      const page = await items(`limit=1&crs=${encodeURIComponent(`${EPSG}3857`)}`);
      const [x, y] = page.body.features[0].geometry!.coordinates;
      const [expectedX, expectedY] = webMercator(8.65, 49.87);
      expect(x).toBeCloseTo(expectedX, 3);
      expect(y).toBeCloseTo(expectedY, 3);
    });

    it('reads a bbox in bbox-crs EPSG:4326 (lat, lon) and EPSG:3857', async () => {
      const latLon = await items(
        `bbox=49.865,8.645,49.895,8.675&bbox-crs=${encodeURIComponent(`${EPSG}4326`)}`,
      );
      expect(idsOf(latLon.body.features)).toEqual([1, 2, 3, 10]);
      const [minX, minY] = webMercator(8.645, 49.865);
      const [maxX, maxY] = webMercator(8.675, 49.895);
      const mercator = await items(
        `bbox=${minX},${minY},${maxX},${maxY}&bbox-crs=${encodeURIComponent(`${EPSG}3857`)}`,
      );
      expect(idsOf(mercator.body.features)).toEqual([1, 2, 3, 10]);
    });

    it('answers 400 for an unsupported crs', async () => {
      const { status, body } = await getJson<{ detail: string }>(
        `/collections/places/items?crs=${encodeURIComponent('http://www.opengis.net/def/crs/0/unsupported')}`,
      );
      expect(status).toBe(400);
      expect(body.detail).toContain("'crs'");
    });

    it('serves a GDAL-written EPSG:25832 table in CRS84 and in its storage CRS', async () => {
      const crs84 = await items('limit=1', 'places-utm');
      const [longitude, latitude] = crs84.body.features[0].geometry!.coordinates;
      expect(longitude).toBeCloseTo(8.65, 7);
      expect(latitude).toBeCloseTo(49.87, 7);
      // GDAL/PROJ wrote feature 1 at (474848.977671225, 5524235.606416) when it made the fixture.
      const utm = await items(`limit=1&crs=${encodeURIComponent(`${EPSG}25832`)}`, 'places-utm');
      expect(utm.response.headers.get('content-crs')).toBe(`<${EPSG}25832>`);
      expect(utm.body.features[0].geometry!.coordinates[0]).toBeCloseTo(474848.977671225, 2);
      expect(utm.body.features[0].geometry!.coordinates[1]).toBeCloseTo(5524235.606416, 2);
      expect(idsOf((await items('bbox=8.645,49.865,8.675,49.895', 'places-utm')).body.features)).toEqual([
        1, 2, 3, 10,
      ]);
    });
  });

  describe('filter (Part 3, CQL2)', () => {
    const filtered = async (filter: string, extra = '') =>
      idsOf((await items(`filter=${encodeURIComponent(filter)}${extra}`)).body.features);

    it('declares the filter conformance classes', async () => {
      const { body } = await getJson<{ conformsTo: string[] }>('/conformance');
      for (const uri of [
        'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
        'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter',
        'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
        'http://www.opengis.net/spec/cql2/1.0/conf/cql2-text',
        'http://www.opengis.net/spec/cql2/1.0/conf/cql2-json',
      ]) {
        expect(body.conformsTo).toContain(uri);
      }
    });

    it('evaluates CQL2-text comparisons, LIKE, BETWEEN, IN, IS NULL and CASEI', async () => {
      expect(await filtered("category = 'park'")).toEqual([1, 3, 6, 8]);
      expect(await filtered("name LIKE 'G%'")).toEqual([3]);
      expect(await filtered('visits BETWEEN 3 AND 7')).toEqual([1, 2, 5, 10]);
      expect(await filtered("category IN ('school', 'café')")).toEqual([4, 9, 10]);
      expect(await filtered('height IS NULL')).toEqual([7]);
      expect(await filtered("CASEI(name) = casei('ALPHA')")).toEqual([1]);
    });

    it('evaluates spatial and temporal functions', async () => {
      expect(await filtered('S_INTERSECTS(geometry, BBOX(8.645, 49.865, 8.675, 49.895))')).toEqual([
        1, 2, 3, 10,
      ]);
      expect(await filtered("T_AFTER(observed, TIMESTAMP('2024-08-01T00:00:00Z'))")).toEqual([8, 9, 10]);
    });

    it('reads CQL2-JSON and the cql-text name GDAL 3.6 sends', async () => {
      const json = JSON.stringify({ op: '=', args: [{ property: 'category' }, 'park'] });
      expect(await filtered(json, '&filter-lang=cql2-json')).toEqual([1, 3, 6, 8]);
      expect(await filtered("category = 'park'", '&filter-lang=cql-text')).toEqual([1, 3, 6, 8]);
    });

    it('ANDs filter with bbox and queryable parameters, and pages the result through next links', async () => {
      expect(await filtered('visits > 2', '&bbox=8.645,49.865,8.675,49.895')).toEqual([1, 2, 10]);
      expect(await filtered('visits > 2', '&category=shop')).toEqual([2, 5, 7]);
      let url: string | undefined =
        `${server.base}/collections/places-geojson/items?limit=2&filter=${encodeURIComponent('visits >= 4')}`;
      const seen: number[] = [];
      let matched: number | undefined;
      while (url) {
        const { body }: { body: FeatureCollectionBody } = await getJson<FeatureCollectionBody>(url);
        matched ??= body.numberMatched;
        seen.push(...body.features.map((feature) => feature.id));
        url = body.links.find((link) => link.rel === 'next')?.href;
      }
      // visits >= 4: Beta 7, Delta 12, Epsilon 4, Eta 9, Iota 20, Kappa 5.
      expect(seen).toEqual([2, 4, 5, 7, 9, 10]);
      expect(matched).toBe(6);
    });

    it.each([
      ['filter', 'nope = 1'],
      ['filter', 'name = '],
      ['filter', "name = 'x' AND"],
      ['filter', ''],
      ['filter', 'S_INTERSECTS(geometry, POINT(1))'],
      ['filter', 'unknownFunction(name) = 1'],
    ])('answers 400 naming %s for %j', async (name, value) => {
      const { status, body } = await getJson<{ detail: string }>(
        `/collections/places/items?${name}=${encodeURIComponent(value)}`,
      );
      expect(status).toBe(400);
      expect(body.detail).toContain(`'${name}'`);
    });

    it('answers 400 for an unknown filter-lang, an unsupported filter-crs and filter-lang without filter', async () => {
      const detail = async (query: string) => {
        const { status, body } = await getJson<{ detail: string }>(`/collections/places/items?${query}`);
        expect(status).toBe(400);
        return body.detail;
      };
      expect(await detail(`filter=${encodeURIComponent("name = 'x'")}&filter-lang=xml`)).toContain(
        "'filter-lang'",
      );
      expect(
        await detail(
          `filter=${encodeURIComponent("name = 'x'")}&filter-crs=${encodeURIComponent(`${EPSG}3857`)}`,
        ),
      ).toContain("'filter-crs'");
      expect(await detail('filter-lang=cql2-text')).toContain("'filter-lang'");
    });
  });

  describe('html', () => {
    it('renders every resource as escaped, accessible HTML with a link to open the collection in the viewer', async () => {
      for (const path of [
        '',
        '/conformance',
        '/collections',
        '/collections/places',
        '/collections/places/items',
        '/collections/places/items/1',
        '/collections/places/queryables',
      ]) {
        const response = await fetch(`${server.base}${path}${path.includes('?') ? '&' : '?'}f=html`);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        const html = await response.text();
        expect(html).toContain('<html lang="en">');
        expect(html).toMatch(/<h1>[^<]+<\/h1>/);
        expect(html).not.toContain('<b>escaped</b>');
        if (path.startsWith('/collections/places')) expect(html).toContain('href="/?layer=places');
      }
      const collection = await (await fetch(`${server.base}/collections?f=html`)).text();
      expect(collection).toContain('<th scope="col">');
      expect(await (await fetch(`${server.base}/collections/places?f=html`)).text()).toContain(
        '&#60;b&#62;escaped&#60;/b&#62;',
      );
    });
  });

  describe('malformed parameters', () => {
    const cases: [string, string][] = [
      ['limit', '0'],
      ['limit', '-1'],
      ['limit', 'abc'],
      ['limit', '1.5'],
      ['limit', ''],
      ['limit', '1e3'],
      ['offset', '-1'],
      ['offset', 'x'],
      ['bbox', '1,2,3'],
      ['bbox', '1,2,3,4,5'],
      ['bbox', '1,2,3,4,5,6,7'],
      ['bbox', 'a,b,c,d'],
      ['bbox', '1,2,3,'],
      ['bbox', ',,,'],
      ['bbox', ''],
      ['bbox', '0,91,1,92'],
      ['bbox', '0,10,1,5'],
      ['bbox', '1e400,0,1,1'],
      ['bbox', 'NaN,0,1,1'],
      ['bbox', '0,0,1,1;DROP TABLE places'],
      ['bbox-crs', 'EPSG:99999'],
      ['datetime', 'yesterday'],
      ['datetime', '2024-13-01'],
      ['datetime', '2024-02-30'],
      ['datetime', '2024-01-01/2023-01-01'],
      ['datetime', '2024-01-01T25:00:00Z'],
      ['datetime', '2024-01-01T10:00:00'],
      ['datetime', '2024-01-01/2024-02-01/2024-03-01'],
      ['datetime', '..'],
      ['datetime', ''],
      ['crs', 'EPSG:99999'],
      ['crs', 'http://www.opengis.net/def/crs/0/unsupported'],
      ['crs', ''],
      ['sortby', 'nope'],
      ['sortby', '-'],
      ['sortby', 'height,,'],
      ['sortby', 'height;drop'],
      ['properties', 'nope'],
      ['properties', 'name,nope'],
      ['skipGeometry', 'yes'],
      ['skipGeometry', '1'],
      ['f', 'xml'],
      ['cursor', 'garbage!'],
      ['cursor', 'bm90LWEtY3Vyc29y'],
      ['visits', 'many'],
      ['height', ''],
      ['open', 'maybe'],
      ['unknownParameter', '1'],
    ];
    it.each(cases)('answers 400 naming %s for %j', async (name, value) => {
      for (const collection of ['places', 'places-geojson']) {
        const { status, body, response } = await getJson<{ detail: string }>(
          `/collections/${collection}/items?${name}=${encodeURIComponent(value)}`,
        );
        expect(status).toBe(400);
        expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(body.detail).toContain(`'${name}'`);
      }
    });

    it('answers 400 for repeated parameters and bbox-crs without bbox', async () => {
      expect((await items('limit=1&limit=2')).status).toBe(400);
      const lonely = await getJson<{ detail: string }>(
        `/collections/places/items?bbox-crs=${encodeURIComponent(CRS84)}`,
      );
      expect(lonely.status).toBe(400);
      expect(lonely.body.detail).toContain("'bbox-crs'");
    });

    it('answers 400 for unknown parameters on every resource', async () => {
      for (const path of [
        '?x=1',
        '/conformance?x=1',
        '/collections?x=1',
        '/collections/places?x=1',
        '/collections/places/queryables?x=1',
        '/collections/places/items/1?x=1',
        '/api?x=1',
      ]) {
        expect((await getJson(path)).status).toBe(400);
      }
    });
  });
});
