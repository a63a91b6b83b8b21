import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ETSI_COMPOUND_CONTEXT,
  ETSI_NAMESPACE,
  linkTo,
  readShared,
  request,
  startTestBroker,
  type TestBroker,
} from '../helpers';

const ETSI_LINK = { link: linkTo(ETSI_COMPOUND_CONTEXT) };
const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';

/** An ETSI input entity with its randomUUID placeholder replaced. */
function etsiEntity(file: string, id: string): Record<string, unknown> {
  const entity = readShared(`etsi-ngsi-ld-test-suite/data/entities/${file}`);
  return { ...entity, id };
}

function withoutContext<T extends Record<string, unknown>>(value: T): Omit<T, '@context'> {
  const { '@context': _ignored, ...rest } = value;
  void _ignored;
  return rest;
}

describe('broker entities', () => {
  let broker: TestBroker;
  let base = '';
  const postLd = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    request(`${base}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/ld+json', ...headers },
    });

  beforeAll(async () => {
    broker = await startTestBroker();
    base = broker.base;
  });
  afterAll(async () => {
    await broker.close();
  });

  describe('ETSI suite data', () => {
    it('creates the ETSI building and returns it compacted with the same context', async () => {
      const created = await postLd(
        '/entities',
        etsiEntity('building-location-attribute.jsonld', 'urn:ngsi-ld:Building:E1'),
      );
      expect(created.status).toBe(201);
      expect(created.headers.get('location')).toBe('/ngsi-ld/v1/entities/urn%3Angsi-ld%3ABuilding%3AE1');
      const read = await request(`${base}/entities/urn:ngsi-ld:Building:E1`, { headers: ETSI_LINK });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(
        withoutContext(etsiEntity('building-location-attribute.jsonld', 'urn:ngsi-ld:Building:E1')),
      );
      expect(read.headers.get('link')).toContain(ETSI_COMPOUND_CONTEXT);
    });

    it('returns full IRIs for the suite terms when the request names no context', async () => {
      const read = await request(`${base}/entities/urn:ngsi-ld:Building:E1`);
      expect(read.body.type).toBe(`${ETSI_NAMESPACE}Building`);
      expect(read.body[`${ETSI_NAMESPACE}name`]).toEqual({ type: 'Property', value: 'Eiffel Tower' });
      // location is a core term: compact without any user context.
      expect(read.body.location.type).toBe('GeoProperty');
    });

    it('puts @context in the body for Accept: application/ld+json', async () => {
      const read = await request(`${base}/entities/urn:ngsi-ld:Building:E1`, {
        headers: { ...ETSI_LINK, accept: 'application/ld+json' },
      });
      expect(read.headers.get('content-type')).toMatch(/application\/ld\+json/);
      expect(read.body['@context']).toBe(ETSI_COMPOUND_CONTEXT);
    });

    it('answers a type query as the 019_05 GeoJSON FeatureCollection', async () => {
      const expectation = readShared(
        'etsi-ngsi-ld-test-suite/data/entities/expectations/two-buildings-location-attribute-normalized-019-05.geojson',
      );
      const tenant = { 'ngsild-tenant': 'etsi01905' };
      for (const id of ['urn:ngsi-ld:Building:019-05-01', 'urn:ngsi-ld:Building:019-05-02']) {
        expect(
          (await postLd('/entities', etsiEntity('building-location-attribute.jsonld', id), tenant)).status,
        ).toBe(201);
      }
      const read = await request(`${base}/entities?type=Building`, {
        headers: { ...ETSI_LINK, ...tenant, accept: 'application/geo+json' },
      });
      expect(read.status).toBe(200);
      expect(read.headers.get('content-type')).toMatch(/application\/geo\+json/);
      expect(read.body).toEqual(expectation);
    });

    it('renders a keyValues Feature with geometryProperty like the simplified expectation', async () => {
      const expectation = readShared(
        'etsi-ngsi-ld-test-suite/data/entities/expectations/building-two-geometry-attribute-simplified.geojson',
      );
      const id = expectation.id as string;
      expect(
        (await postLd('/entities', etsiEntity('building-two-geometry-attributes.jsonld', id))).status,
      ).toBe(201);
      const read = await request(
        `${base}/entities/${encodeURIComponent(id)}?format=simplified&geometryProperty=location`,
        {
          headers: { ...ETSI_LINK, accept: 'application/geo+json' },
        },
      );
      expect(withoutContext(read.body)).toEqual(withoutContext(expectation));
      expect([read.body['@context']].flat()).toEqual(expectation['@context']);
      const other = await request(
        `${base}/entities/${encodeURIComponent(id)}?geometryProperty=observationSpace`,
        {
          headers: { ...ETSI_LINK, accept: 'application/geo+json' },
        },
      );
      expect(other.body.geometry).toEqual({ type: 'Point', coordinates: [11.1111, 11.1111] });
    });

    it('renders entities without the geometry property with geometry null (vehicle-parking expectation)', async () => {
      const expectation = readShared(
        'etsi-ngsi-ld-test-suite/data/entities/expectations/vehicle-parking-simple.geojson',
      );
      const tenant = { 'ngsild-tenant': 'etsi01902' };
      const features = expectation.features as Array<{ id: string; properties: Record<string, unknown> }>;
      for (const feature of features) {
        const { '@context': context, ...properties } = feature.properties;
        const body = { id: feature.id, ...properties, '@context': context };
        expect((await postLd('/entities', body, tenant)).status).toBe(201);
      }
      const read = await request(`${base}/entities?type=Vehicle,OffStreetParking`, {
        headers: { ...ETSI_LINK, ...tenant, accept: 'application/geo+json' },
      });
      expect(read.body.features).toHaveLength(2);
      for (const expected of features) {
        const actual = read.body.features.find((feature: { id: string }) => feature.id === expected.id);
        expect({ ...actual, properties: actual.properties }).toEqual({
          ...expected,
          properties: withoutContext(expected.properties),
        });
      }
      expect(read.body['@context']).toBe(ETSI_COMPOUND_CONTEXT);
    });

    it('lists types and type details like the 022/023/024 expectations', async () => {
      const tenant = { 'ngsild-tenant': 'etsitypes' };
      for (const [index, extra] of [
        { airQualityLevel: { type: 'Property', value: 4 } },
        { almostFull: { type: 'Property', value: false } },
      ].entries()) {
        const building = {
          ...etsiEntity('building-location-attribute.jsonld', `urn:ngsi-ld:Building:T${index}`),
          ...extra,
        };
        delete (building as Record<string, unknown>).location;
        expect((await postLd('/entities', building, tenant)).status).toBe(201);
      }
      expect(
        (
          await postLd(
            '/entities',
            etsiEntity('vehicle-simple-attributes.jsonld', 'urn:ngsi-ld:Vehicle:T1'),
            tenant,
          )
        ).status,
      ).toBe(201);
      const list = await request(`${base}/types`, { headers: { ...ETSI_LINK, ...tenant } });
      const listExpectation = readShared(
        'etsi-ngsi-ld-test-suite/data/types/entity-type-list-022-01-02.json',
      );
      expect(list.body.type).toBe(listExpectation.type);
      expect(list.body.id).toMatch(/^urn:ngsi-ld:EntityTypeList:[0-9a-f-]{36}$/);
      expect(list.body.typeList).toEqual(listExpectation.typeList);

      const details = await request(`${base}/types?details=true`, { headers: { ...ETSI_LINK, ...tenant } });
      const detailsExpectation = readShared(
        'etsi-ngsi-ld-test-suite/data/types/entity-type-023-01-02.json',
      ) as unknown as Array<{
        attributeNames: string[];
      }>;
      expect(
        details.body.map((type: { attributeNames: string[] }) => ({
          ...type,
          attributeNames: [...type.attributeNames].sort(),
        })),
      ).toEqual(
        detailsExpectation.map((type) => ({ ...type, attributeNames: [...type.attributeNames].sort() })),
      );

      const info = await request(`${base}/types/Building`, { headers: { ...ETSI_LINK, ...tenant } });
      const infoExpectation = readShared(
        'etsi-ngsi-ld-test-suite/data/types/entity-type-info-024-01.json',
      ) as {
        attributeDetails: Array<{ id: string }>;
      };
      const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
      expect({ ...info.body, attributeDetails: [...info.body.attributeDetails].sort(byId) }).toEqual({
        ...infoExpectation,
        attributeDetails: [...infoExpectation.attributeDetails].sort(byId),
      });
      expect((await request(`${base}/types/Nothing`, { headers: { ...ETSI_LINK, ...tenant } })).status).toBe(
        404,
      );
    });

    it('describes attributes under /attributes', async () => {
      const tenant = { 'ngsild-tenant': 'etsitypes' };
      const list = await request(`${base}/attributes`, { headers: { ...ETSI_LINK, ...tenant } });
      expect(list.body.type).toBe('AttributeList');
      expect([...list.body.attributeList].sort()).toEqual([
        'airQualityLevel',
        'almostFull',
        'brandName',
        'isParked',
        'name',
        'subCategory',
      ]);
      const one = await request(`${base}/attributes/name`, { headers: { ...ETSI_LINK, ...tenant } });
      expect(one.body).toEqual({
        id: `${ETSI_NAMESPACE}name`,
        type: 'Attribute',
        attributeName: 'name',
        attributeCount: 2,
        attributeTypes: ['Property'],
        typeNames: ['Building'],
      });
    });
  });

  describe('Smart Data Models examples', () => {
    it.each([
      'AirQualityObserved.example-normalized.jsonld',
      'OffStreetParking.example-normalized.jsonld',
      'OnStreetParking.example-normalized.jsonld',
      'ParkingSpot.example-normalized.jsonld',
    ])('ingests %s and returns it unchanged', async (file) => {
      const entity = readShared(`smart-data-models/${file}`);
      const created = await postLd('/entities', entity);
      expect(created.status).toBe(201);
      const read = await request(`${base}/entities/${encodeURIComponent(entity.id as string)}`, {
        headers: { accept: 'application/ld+json', link: linkTo((entity['@context'] as string[])[0]) },
      });
      expect(withoutContext(read.body)).toEqual(withoutContext(entity));
    });

    it('keeps the quirks: dateObserved as a plain string, a nested type in address.value', async () => {
      const read = await request(
        `${base}/entities/urn:ngsi-ld:AirQualityObserved:Madrid-AmbientObserved-28079004-2016-03-15T11:00:00?format=keyValues`,
        {
          headers: {
            link: linkTo(
              'https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld',
            ),
          },
        },
      );
      expect(read.body.dateObserved).toBe('2016-03-15T11:00:00');
      expect(read.body.address.type).toBe('PostalAddress');
    });

    it('finds the Polygon OnStreetParking by intersecting its area', async () => {
      const entity = readShared('smart-data-models/OnStreetParking.example-normalized.jsonld');
      const ring = (entity.location as { value: { coordinates: number[][][] } }).value.coordinates[0];
      const [lon, lat] = ring[0];
      const read = await request(
        `${base}/entities?type=OnStreetParking&georel=intersects&geometry=Point&coordinates=${encodeURIComponent(JSON.stringify([lon, lat]))}`,
        { headers: { link: linkTo((entity['@context'] as string[])[0]) } },
      );
      expect(read.body.map((found: { id: string }) => found.id)).toEqual([entity.id]);
    });

    it('rejects the GeoJSON-feature example clearly: its geometry wraps a GeoProperty', async () => {
      const feature = readShared('smart-data-models/AirQualityObserved.example-geojsonfeature.json');
      const response = await request(`${base}/entities`, { method: 'POST', body: feature });
      expect(response.status).toBe(400);
      expect(response.body.type).toBe(`${ERRORS}BadRequestData`);
      expect(response.body.detail).toMatch(/GeoJSON Feature/);
      expect(response.body.detail).toMatch(/geometry/);
    });
  });

  describe('attributes and formats', () => {
    const id = 'urn:ngsi-ld:Sensor:F1';
    beforeAll(async () => {
      const created = await request(`${base}/entities`, {
        method: 'POST',
        body: {
          id,
          type: 'Sensor',
          temperature: {
            type: 'Property',
            value: 21,
            unitCode: 'CEL',
            observedAt: '2024-05-01T10:00:00Z',
            accuracy: { type: 'Property', value: 0.5 },
          },
          refDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:D1' },
          label: { type: 'LanguageProperty', languageMap: { en: 'Sensor', fr: 'Capteur' } },
          config: { type: 'JsonProperty', json: { mode: 'eco', rate: [1, 2] } },
          category: { type: 'VocabProperty', vocab: 'weather' },
          location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.35, 48.85] } },
        },
      });
      expect(created.status).toBe(201);
    });

    it('renders keyValues with each attribute reduced to its value', async () => {
      const read = await request(`${base}/entities/${id}?options=keyValues`);
      expect(read.body).toEqual({
        id,
        type: 'Sensor',
        temperature: 21,
        refDevice: 'urn:ngsi-ld:Device:D1',
        label: { en: 'Sensor', fr: 'Capteur' },
        config: { mode: 'eco', rate: [1, 2] },
        category: 'weather',
        location: { type: 'Point', coordinates: [2.35, 48.85] },
      });
    });

    it('renders concise without attribute types, and the concise form can be sent back', async () => {
      const read = await request(`${base}/entities/${id}?format=concise`);
      expect(read.body.temperature).toEqual({
        value: 21,
        unitCode: 'CEL',
        observedAt: '2024-05-01T10:00:00Z',
        accuracy: 0.5,
      });
      expect(read.body.refDevice).toEqual({ object: 'urn:ngsi-ld:Device:D1' });
      expect(read.body.location).toEqual({ type: 'Point', coordinates: [2.35, 48.85] });
      const copy = { ...read.body, id: 'urn:ngsi-ld:Sensor:F1copy' };
      expect((await request(`${base}/entities`, { method: 'POST', body: copy })).status).toBe(201);
      const normalized = await request(`${base}/entities/urn:ngsi-ld:Sensor:F1copy`);
      const original = await request(`${base}/entities/${id}`);
      expect({ ...normalized.body, id }).toEqual(original.body);
    });

    it('adds createdAt and modifiedAt with options=sysAttrs', async () => {
      const read = await request(`${base}/entities/${id}?options=sysAttrs`);
      expect(Date.parse(read.body.createdAt)).not.toBeNaN();
      expect(read.body.modifiedAt >= read.body.createdAt).toBe(true);
      expect(Date.parse(read.body.temperature.createdAt)).not.toBeNaN();
      const plain = await request(`${base}/entities/${id}`);
      expect(plain.body.createdAt).toBeUndefined();
      expect(plain.body.temperature.createdAt).toBeUndefined();
    });

    it('projects with attrs, pick and omit', async () => {
      expect(
        Object.keys((await request(`${base}/entities/${id}?attrs=temperature,label`)).body).sort(),
      ).toEqual(['id', 'label', 'temperature', 'type']);
      expect((await request(`${base}/entities/${id}?pick=id,temperature&format=keyValues`)).body).toEqual({
        id,
        temperature: 21,
      });
      const omitted = (await request(`${base}/entities/${id}?omit=type,location,config`)).body;
      expect(Object.keys(omitted).sort()).toEqual(['category', 'id', 'label', 'refDevice', 'temperature']);
      expect((await request(`${base}/entities/${id}?pick=id&omit=type`)).status).toBe(400);
    });

    it('renders a LanguageProperty as a Property of one language with lang', async () => {
      const read = await request(`${base}/entities/${id}?attrs=label&lang=fr`);
      expect(read.body.label).toEqual({ type: 'Property', value: 'Capteur', lang: 'fr' });
    });

    it('appends attributes, and with noOverwrite reports those it left alone (207)', async () => {
      expect(
        (
          await request(`${base}/entities/${id}/attrs`, {
            method: 'POST',
            body: { humidity: { type: 'Property', value: 40 } },
          })
        ).status,
      ).toBe(204);
      const kept = await request(`${base}/entities/${id}/attrs?options=noOverwrite`, {
        method: 'POST',
        body: { humidity: { type: 'Property', value: 99 }, pressure: { type: 'Property', value: 1013 } },
      });
      expect(kept.status).toBe(207);
      expect(kept.body).toEqual({
        updated: ['pressure'],
        notUpdated: [{ attributeName: 'humidity', reason: expect.stringMatching(/noOverwrite/) }],
      });
      const read = await request(`${base}/entities/${id}?format=keyValues&attrs=humidity,pressure`);
      expect(read.body).toEqual({ id, type: 'Sensor', humidity: 40, pressure: 1013 });
    });

    it('updates existing attributes and names those that do not exist (PATCH attrs)', async () => {
      const response = await request(`${base}/entities/${id}/attrs`, {
        method: 'PATCH',
        body: { humidity: { type: 'Property', value: 41 }, missing: { type: 'Property', value: 1 } },
      });
      expect(response.status).toBe(207);
      expect(response.body.updated).toEqual(['humidity']);
      expect(response.body.notUpdated[0].attributeName).toBe('missing');
      expect((await request(`${base}/entities/${id}?format=keyValues&attrs=humidity`)).body.humidity).toBe(
        41,
      );
    });

    it('partially updates one attribute, keeping its other members (PATCH attrs/{attr})', async () => {
      expect(
        (await request(`${base}/entities/${id}/attrs/temperature`, { method: 'PATCH', body: { value: 23 } }))
          .status,
      ).toBe(204);
      const read = await request(`${base}/entities/${id}?attrs=temperature`);
      expect(read.body.temperature).toEqual({
        type: 'Property',
        value: 23,
        unitCode: 'CEL',
        observedAt: '2024-05-01T10:00:00Z',
        accuracy: { type: 'Property', value: 0.5 },
      });
      expect(
        (await request(`${base}/entities/${id}/attrs/nothing`, { method: 'PATCH', body: { value: 1 } }))
          .status,
      ).toBe(404);
    });

    it('merge-patches the entity, deleting attributes set to the NGSI-LD Null', async () => {
      const response = await request(`${base}/entities/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/merge-patch+json' },
        body: {
          pressure: 'urn:ngsi-ld:null',
          humidity: { type: 'Property', value: 42 },
          extra: { type: 'Property', value: 'x' },
        },
      });
      expect(response.status).toBe(204);
      const read = await request(`${base}/entities/${id}?format=keyValues&attrs=pressure,humidity,extra`);
      expect(read.body).toEqual({ id, type: 'Sensor', humidity: 42, extra: 'x' });
    });

    it('keeps one instance per datasetId and deletes them one by one or all', async () => {
      const body = {
        speed: [
          { type: 'Property', value: 10 },
          { type: 'Property', value: 11, datasetId: 'urn:ngsi-ld:Dataset:gps' },
        ],
      };
      expect((await request(`${base}/entities/${id}/attrs`, { method: 'POST', body })).status).toBe(204);
      expect((await request(`${base}/entities/${id}?attrs=speed`)).body.speed).toEqual(body.speed);
      expect(
        (
          await request(`${base}/entities/${id}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:gps`, {
            method: 'DELETE',
          })
        ).status,
      ).toBe(204);
      expect((await request(`${base}/entities/${id}?attrs=speed`)).body.speed).toEqual(body.speed[0]);
      expect(
        (
          await request(`${base}/entities/${id}/attrs/speed?datasetId=urn:ngsi-ld:Dataset:gps`, {
            method: 'DELETE',
          })
        ).status,
      ).toBe(404);
      expect(
        (await request(`${base}/entities/${id}/attrs/speed?deleteAll=true`, { method: 'DELETE' })).status,
      ).toBe(204);
      expect((await request(`${base}/entities/${id}?attrs=speed`)).status).toBe(404);
    });

    it('replaces an attribute (PUT attrs/{attr}) and the whole entity (PUT), keeping createdAt', async () => {
      expect(
        (
          await request(`${base}/entities/${id}/attrs/humidity`, {
            method: 'PUT',
            body: { type: 'Property', value: 50 },
          })
        ).status,
      ).toBe(204);
      expect((await request(`${base}/entities/${id}?format=keyValues&attrs=humidity`)).body.humidity).toBe(
        50,
      );
      const before = (await request(`${base}/entities/${id}?options=sysAttrs`)).body;
      expect(
        (
          await request(`${base}/entities/${id}`, {
            method: 'PUT',
            body: { type: 'Sensor', only: { type: 'Property', value: 1 } },
          })
        ).status,
      ).toBe(204);
      const after = (await request(`${base}/entities/${id}?options=sysAttrs`)).body;
      expect(Object.keys(after).sort()).toEqual(['createdAt', 'id', 'modifiedAt', 'only', 'type']);
      expect(after.createdAt).toBe(before.createdAt);
    });

    it('deletes an entity', async () => {
      expect((await request(`${base}/entities/urn:ngsi-ld:Sensor:F1copy`, { method: 'DELETE' })).status).toBe(
        204,
      );
      expect((await request(`${base}/entities/urn:ngsi-ld:Sensor:F1copy`)).status).toBe(404);
      expect((await request(`${base}/entities/urn:ngsi-ld:Sensor:F1copy`, { method: 'DELETE' })).status).toBe(
        404,
      );
    });
  });

  describe('batch operations', () => {
    const tenant = { 'ngsild-tenant': 'batch' };
    const sensor = (n: number, value: number) => ({
      id: `urn:ngsi-ld:Meter:${n}`,
      type: 'Meter',
      reading: { type: 'Property', value },
    });

    it('creates, reporting each failure with its entity id (207)', async () => {
      const response = await request(`${base}/entityOperations/create`, {
        method: 'POST',
        headers: tenant,
        body: [
          sensor(1, 1),
          sensor(2, 2),
          sensor(1, 9),
          { id: 'not a uri', type: 'Meter' },
          { id: 'urn:ngsi-ld:Meter:5', type: 'Meter', bad: { type: 'Property' } },
        ],
      });
      expect(response.status).toBe(207);
      expect(response.body.success).toEqual(['urn:ngsi-ld:Meter:1', 'urn:ngsi-ld:Meter:2']);
      expect(
        response.body.errors.map((error: { entityId: string; error: { type: string } }) => [
          error.entityId,
          error.error.type,
        ]),
      ).toEqual([
        ['urn:ngsi-ld:Meter:1', `${ERRORS}AlreadyExists`],
        ['not a uri', `${ERRORS}BadRequestData`],
        ['urn:ngsi-ld:Meter:5', `${ERRORS}BadRequestData`],
      ]);
      expect(response.body.errors[2].error.detail).toMatch(/'bad'.*without 'value'/);
    });

    it('creates all with 201 and the ids', async () => {
      const response = await request(`${base}/entityOperations/create`, {
        method: 'POST',
        headers: tenant,
        body: [sensor(3, 3), sensor(4, 4)],
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual(['urn:ngsi-ld:Meter:3', 'urn:ngsi-ld:Meter:4']);
    });

    it('upserts (replace by default, update with options=update)', async () => {
      const replaced = await request(`${base}/entityOperations/upsert`, {
        method: 'POST',
        headers: tenant,
        body: [
          { id: 'urn:ngsi-ld:Meter:1', type: 'Meter', other: { type: 'Property', value: 'o' } },
          sensor(6, 6),
        ],
      });
      expect(replaced.status).toBe(201);
      expect(replaced.body).toEqual(['urn:ngsi-ld:Meter:6']);
      expect(
        (await request(`${base}/entities/urn:ngsi-ld:Meter:1?format=keyValues`, { headers: tenant })).body,
      ).toEqual({
        id: 'urn:ngsi-ld:Meter:1',
        type: 'Meter',
        other: 'o',
      });
      const updated = await request(`${base}/entityOperations/upsert?options=update`, {
        method: 'POST',
        headers: tenant,
        body: [sensor(1, 11)],
      });
      expect(updated.status).toBe(204);
      expect(
        (await request(`${base}/entities/urn:ngsi-ld:Meter:1?format=keyValues`, { headers: tenant })).body,
      ).toEqual({
        id: 'urn:ngsi-ld:Meter:1',
        type: 'Meter',
        other: 'o',
        reading: 11,
      });
    });

    it('updates and merges existing entities, 207 for missing ones', async () => {
      const response = await request(`${base}/entityOperations/update`, {
        method: 'POST',
        headers: tenant,
        body: [sensor(2, 22), sensor(99, 1)],
      });
      expect(response.status).toBe(207);
      expect(response.body.success).toEqual(['urn:ngsi-ld:Meter:2']);
      expect(response.body.errors[0]).toMatchObject({
        entityId: 'urn:ngsi-ld:Meter:99',
        error: { type: `${ERRORS}ResourceNotFound` },
      });
      const merged = await request(`${base}/entityOperations/merge`, {
        method: 'POST',
        headers: tenant,
        body: [{ id: 'urn:ngsi-ld:Meter:2', note: { type: 'Property', value: 'n' } }],
      });
      expect(merged.status).toBe(204);
      expect(
        (await request(`${base}/entities/urn:ngsi-ld:Meter:2?format=keyValues`, { headers: tenant })).body,
      ).toEqual({
        id: 'urn:ngsi-ld:Meter:2',
        type: 'Meter',
        reading: 22,
        note: 'n',
      });
    });

    it('deletes by id list', async () => {
      const response = await request(`${base}/entityOperations/delete`, {
        method: 'POST',
        headers: tenant,
        body: ['urn:ngsi-ld:Meter:3', 'urn:ngsi-ld:Meter:404'],
      });
      expect(response.status).toBe(207);
      expect(response.body.success).toEqual(['urn:ngsi-ld:Meter:3']);
      expect((await request(`${base}/entities/urn:ngsi-ld:Meter:3`, { headers: tenant })).status).toBe(404);
    });
  });

  describe('queries', () => {
    const tenant = { 'ngsild-tenant': 'query' };
    beforeAll(async () => {
      const rooms = Array.from({ length: 30 }, (_, index) => ({
        id: `urn:ngsi-ld:Room:${String(index).padStart(2, '0')}`,
        type: index % 3 === 0 ? 'Office' : 'Room',
        temperature: {
          type: 'Property',
          value: 15 + index * 0.5,
          observedAt: `2024-05-01T${String(index % 24).padStart(2, '0')}:00:00Z`,
        },
        floor: { type: 'Property', value: index % 5 },
        ...(index % 2 === 0 ? { occupied: { type: 'Property', value: index % 4 === 0 } } : {}),
      }));
      expect(
        (await request(`${base}/entityOperations/create`, { method: 'POST', headers: tenant, body: rooms }))
          .status,
      ).toBe(201);
    });
    const ids = (body: Array<{ id: string }>) =>
      body.map((entity) => entity.id.replace('urn:ngsi-ld:Room:', ''));

    it('filters by type list and returns the count header', async () => {
      const response = await request(`${base}/entities?type=Office&limit=100&count=true`, {
        headers: tenant,
      });
      expect(ids(response.body)).toEqual(['00', '03', '06', '09', '12', '15', '18', '21', '24', '27']);
      expect(response.headers.get('ngsild-results-count')).toBe('10');
      const both = await request(`${base}/entities?type=Office,Room&limit=0&count=true`, { headers: tenant });
      expect(both.body).toEqual([]);
      expect(both.headers.get('ngsild-results-count')).toBe('30');
    });

    it('accepts the full type IRI', async () => {
      const response = await request(
        `${base}/entities?type=${encodeURIComponent('https://uri.etsi.org/ngsi-ld/default-context/Office')}&limit=1`,
        {
          headers: tenant,
        },
      );
      expect(ids(response.body)).toEqual(['00']);
    });

    it('pages with limit and offset (default limit 20)', async () => {
      expect((await request(`${base}/entities?type=Room,Office`, { headers: tenant })).body).toHaveLength(20);
      const page = await request(`${base}/entities?type=Room,Office&limit=5&offset=10`, { headers: tenant });
      expect(ids(page.body)).toEqual(['10', '11', '12', '13', '14']);
    });

    it('filters with q on values, sub-members, ranges and existence', async () => {
      const cases: Array<[string, string[]]> = [
        ['temperature>=28', ['26', '27', '28', '29']],
        ['temperature==20..21;floor==0', ['10']],
        ['floor==1,2;occupied==true', ['12', '16']],
        ['!occupied;floor==4', ['09', '19', '29']],
        ['temperature.observedAt<2024-05-01T02:00:00Z', ['00', '01', '24', '25']],
        ['(floor==0|floor==1);temperature<17', ['00', '01']],
      ];
      for (const [q, expected] of cases) {
        const response = await request(
          `${base}/entities?type=Room,Office&limit=100&q=${encodeURIComponent(q)}`,
          { headers: tenant },
        );
        expect([q, ids(response.body)]).toEqual([q, expected]);
      }
    });

    it('filters by id list, idPattern and attrs', async () => {
      expect(
        ids(
          (await request(`${base}/entities?id=urn:ngsi-ld:Room:05,urn:ngsi-ld:Room:07`, { headers: tenant }))
            .body,
        ),
      ).toEqual(['05', '07']);
      expect(
        ids(
          (
            await request(`${base}/entities?idPattern=${encodeURIComponent('Room:2[0-2]$')}`, {
              headers: tenant,
            })
          ).body,
        ),
      ).toEqual(['20', '21', '22']);
      const withOccupied = await request(`${base}/entities?attrs=occupied&limit=100&count=true`, {
        headers: tenant,
      });
      expect(withOccupied.headers.get('ngsild-results-count')).toBe('15');
      expect(Object.keys(withOccupied.body[0]).sort()).toEqual(['id', 'occupied', 'type']);
    });

    it('answers POST /entityOperations/query like GET /entities', async () => {
      const response = await request(`${base}/entityOperations/query?limit=100`, {
        method: 'POST',
        headers: tenant,
        body: { type: 'Query', entities: [{ type: 'Office' }], q: 'floor==0', attrs: ['floor'] },
      });
      expect(response.status).toBe(200);
      expect(ids(response.body)).toEqual(['00', '15']);
      expect(response.body[0]).toEqual({
        id: 'urn:ngsi-ld:Room:00',
        type: 'Office',
        floor: { type: 'Property', value: 0 },
      });
    });

    it('answers a Query with several entity selectors as their union', async () => {
      const response = await request(`${base}/entityOperations/query?limit=100`, {
        method: 'POST',
        headers: tenant,
        body: {
          type: 'Query',
          entities: [
            { type: 'Office', id: 'urn:ngsi-ld:Room:03' },
            { type: 'Room', idPattern: 'Room:1[0-2]$' },
          ],
          q: 'floor>=0',
        },
      });
      expect(response.status).toBe(200);
      // 10 and 11 are Rooms; 12 is an Office, so its selector (Room) does not take it.
      expect(ids(response.body)).toEqual(['03', '10', '11']);
    });

    it('refuses a limit above the maximum with 403 TooManyResults and limit=0 without count', async () => {
      const tooMany = await request(`${base}/entities?type=Room&limit=1001`, { headers: tenant });
      expect(tooMany.status).toBe(403);
      expect(tooMany.body.type).toBe(`${ERRORS}TooManyResults`);
      expect(tooMany.body.detail).toMatch(/1000/);
      expect((await request(`${base}/entities?type=Room&limit=0`, { headers: tenant })).status).toBe(400);
    });

    it('refuses a query without any filter as too broad, unless local=true', async () => {
      const broad = await request(`${base}/entities`, { headers: tenant });
      expect(broad.status).toBe(400);
      expect(broad.body.detail).toMatch(/too broad/);
      expect((await request(`${base}/entities?local=true&limit=3`, { headers: tenant })).body).toHaveLength(
        3,
      );
    });
  });

  describe('module', () => {
    it('reports its health under /health', async () => {
      const health = await request(`${broker.url}/health`);
      expect(health.body.subsystems.broker).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('/ngsi-ld/v1'),
      });
    });

    it('moves the GeoJSON @context to the Link header with Prefer: body=json', async () => {
      const response = await request(`${base}/entities?type=Sensor&limit=1`, {
        headers: { accept: 'application/geo+json', prefer: 'body=json' },
      });
      expect(response.body.type).toBe('FeatureCollection');
      expect(response.body['@context']).toBeUndefined();
      expect(response.headers.get('link')).toContain('ngsi-ld-core-context');
    });
  });

  describe('tenants', () => {
    it('keeps tenants fully apart', async () => {
      const entity = {
        id: 'urn:ngsi-ld:Thing:shared-id',
        type: 'Thing',
        owner: { type: 'Property', value: 'alpha' },
      };
      expect(
        (
          await request(`${base}/entities`, {
            method: 'POST',
            headers: { 'ngsild-tenant': 'alpha' },
            body: entity,
          })
        ).status,
      ).toBe(201);
      const beta = { ...entity, owner: { type: 'Property', value: 'beta' } };
      expect(
        (
          await request(`${base}/entities`, {
            method: 'POST',
            headers: { 'ngsild-tenant': 'beta' },
            body: beta,
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await request(`${base}/entities/${entity.id}?format=keyValues`, {
            headers: { 'ngsild-tenant': 'alpha' },
          })
        ).body.owner,
      ).toBe('alpha');
      expect(
        (
          await request(`${base}/entities/${entity.id}?format=keyValues`, {
            headers: { 'ngsild-tenant': 'beta' },
          })
        ).body.owner,
      ).toBe('beta');
      expect((await request(`${base}/entities/${entity.id}`)).status).toBe(404);
      expect((await request(`${base}/entities?type=Thing`)).body).toEqual([]);
      expect(
        (await request(`${base}/types`, { headers: { 'ngsild-tenant': 'alpha' } })).body.typeList,
      ).toEqual(['Thing']);
      await request(`${base}/entities/${entity.id}`, {
        method: 'DELETE',
        headers: { 'ngsild-tenant': 'alpha' },
      });
      expect(
        (await request(`${base}/entities/${entity.id}`, { headers: { 'ngsild-tenant': 'beta' } })).status,
      ).toBe(200);
    });

    it('answers 404 NonexistentTenant for reads of an unknown tenant', async () => {
      const response = await request(`${base}/entities?type=Thing`, {
        headers: { 'ngsild-tenant': 'nobody' },
      });
      expect(response.status).toBe(404);
      expect(response.body.type).toBe(`${ERRORS}NonexistentTenant`);
      expect(response.body.detail).toMatch(/nobody/);
    });
  });

  describe('bad input', () => {
    const valid = { id: 'urn:ngsi-ld:Bad:1', type: 'Bad' };
    type Case = [
      string,
      { method?: string; path: string; headers?: Record<string, string>; body?: unknown },
      number,
      string,
      RegExp,
    ];
    const CASES: Case[] = [
      [
        'invalid JSON',
        { method: 'POST', path: '/entities', body: '{"id": ' },
        400,
        'InvalidRequest',
        /not valid JSON/,
      ],
      [
        'an id that is not a URI',
        { method: 'POST', path: '/entities', body: { id: 'room 1', type: 'Room' } },
        400,
        'BadRequestData',
        /"room 1" is not a URI/,
      ],
      [
        'a missing type',
        { method: 'POST', path: '/entities', body: { id: 'urn:ngsi-ld:X:1' } },
        400,
        'BadRequestData',
        /has no type/,
      ],
      [
        'a Property without value',
        { method: 'POST', path: '/entities', body: { ...valid, temp: { type: 'Property' } } },
        400,
        'BadRequestData',
        /'temp' is a Property without 'value'/,
      ],
      [
        'an unknown attribute type',
        { method: 'POST', path: '/entities', body: { ...valid, temp: { type: 'Proprety', value: 1 } } },
        400,
        'BadRequestData',
        /'temp' has type "Proprety"/,
      ],
      [
        'a Relationship to a non-URI',
        {
          method: 'POST',
          path: '/entities',
          body: { ...valid, owner: { type: 'Relationship', object: 'bob' } },
        },
        400,
        'BadRequestData',
        /'owner' object "bob"/,
      ],
      [
        'an invalid GeoJSON value',
        {
          method: 'POST',
          path: '/entities',
          body: { ...valid, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [1] } } },
        },
        400,
        'BadRequestData',
        /'location' is not valid GeoJSON/,
      ],
      [
        'a GeometryCollection',
        {
          method: 'POST',
          path: '/entities',
          body: {
            ...valid,
            location: { type: 'GeoProperty', value: { type: 'GeometryCollection', geometries: [] } },
          },
        },
        400,
        'BadRequestData',
        /GeometryCollection/,
      ],
      [
        'a bad observedAt',
        {
          method: 'POST',
          path: '/entities',
          body: { ...valid, t: { type: 'Property', value: 1, observedAt: 'yesterday' } },
        },
        400,
        'BadRequestData',
        /'t' observedAt "yesterday"/,
      ],
      [
        'a forbidden attribute name',
        { method: 'POST', path: '/entities', body: { ...valid, 'a=b': 1 } },
        400,
        'BadRequestData',
        /"a=b" is not a valid name/,
      ],
      [
        'bad q syntax',
        { path: '/entities?type=Room&q=temperature%3E' },
        400,
        'BadRequestData',
        /q 'temperature>'.*missing value/,
      ],
      [
        'an unknown georel',
        { path: '/entities?type=Room&georel=touches&geometry=Point&coordinates=[1,2]' },
        400,
        'BadRequestData',
        /georel 'touches'/,
      ],
      [
        'near without a distance',
        { path: '/entities?type=Room&georel=near&geometry=Point&coordinates=[1,2]' },
        400,
        'BadRequestData',
        /georel 'near'/,
      ],
      [
        'coordinates that are not JSON',
        { path: '/entities?type=Room&georel=within&geometry=Polygon&coordinates=[[1,2]' },
        400,
        'BadRequestData',
        /coordinates/,
      ],
      [
        'an unknown geometry',
        { path: '/entities?type=Room&georel=within&geometry=Circle&coordinates=[1,2]' },
        400,
        'BadRequestData',
        /geometry 'Circle'/,
      ],
      [
        'geometryProperty without geo+json',
        { path: '/entities?type=Room&geometryProperty=location' },
        400,
        'BadRequestData',
        /geometryProperty/,
      ],
      [
        'an unknown query parameter',
        { path: '/entities?type=Room&colour=red' },
        400,
        'InvalidRequest',
        /'colour'/,
      ],
      ['a bad limit', { path: '/entities?type=Room&limit=-1' }, 400, 'BadRequestData', /limit '-1'/],
      [
        'an invalid tenant name',
        { path: '/entities?type=Room', headers: { 'ngsild-tenant': 'a b' } },
        400,
        'BadRequestData',
        /'a b'/,
      ],
      [
        'an unknown tenant',
        { path: '/entities?type=Room', headers: { 'ngsild-tenant': 'ghost' } },
        404,
        'NonexistentTenant',
        /ghost/,
      ],
      [
        'an unknown entity',
        { path: '/entities/urn:ngsi-ld:Nothing:1' },
        404,
        'ResourceNotFound',
        /urn:ngsi-ld:Nothing:1/,
      ],
      [
        'a duplicate entity',
        { method: 'POST', path: '/entities', body: { id: 'urn:ngsi-ld:Room:dup', type: 'Room' } },
        409,
        'AlreadyExists',
        /urn:ngsi-ld:Room:dup/,
      ],
      [
        'both a Link header and a body @context',
        {
          method: 'POST',
          path: '/entities',
          headers: { 'content-type': 'application/ld+json', link: linkTo(ETSI_COMPOUND_CONTEXT) },
          body: { ...valid, '@context': ETSI_COMPOUND_CONTEXT },
        },
        400,
        'BadRequestData',
        /both in the Link header and in the body/,
      ],
      [
        'ld+json without @context',
        {
          method: 'POST',
          path: '/entities',
          headers: { 'content-type': 'application/ld+json' },
          body: valid,
        },
        400,
        'BadRequestData',
        /no @context/,
      ],
      [
        'json with a body @context',
        { method: 'POST', path: '/entities', body: { ...valid, '@context': ETSI_COMPOUND_CONTEXT } },
        400,
        'BadRequestData',
        /send application\/ld\+json/,
      ],
      [
        'an unsupported Content-Type',
        { method: 'POST', path: '/entities', headers: { 'content-type': 'text/plain' }, body: 'x' },
        415,
        'UnsupportedMediaType',
        /text\/plain/,
      ],
      [
        'an unacceptable Accept',
        { path: '/entities/urn:ngsi-ld:Room:dup', headers: { accept: 'text/csv' } },
        406,
        'NotAcceptable',
        /text\/csv/,
      ],
      [
        'a batch that is not an array',
        { method: 'POST', path: '/entityOperations/create', body: valid },
        400,
        'BadRequestData',
        /JSON array/,
      ],
      [
        'an oversized body',
        { method: 'POST', path: '/entityOperations/upsert', body: `[${'"x",'.repeat(1_200_000)}"x"]` },
        413,
        'BadRequestData',
        /larger than/,
      ],
    ];
    beforeAll(async () => {
      await request(`${base}/entities`, {
        method: 'POST',
        body: { id: 'urn:ngsi-ld:Room:dup', type: 'Room' },
      });
    });
    it.each(CASES)('answers %s with the right problem', async (_name, call, status, type, detail) => {
      const response = await request(`${base}${call.path}`, {
        method: call.method,
        headers: call.headers,
        body: call.body,
      });
      expect(response.status).toBe(status);
      expect(response.body.type).toBe(`${ERRORS}${type}`);
      expect(response.body.title).toBe(type);
      expect(response.body.detail).toMatch(detail);
    });
  });
});
