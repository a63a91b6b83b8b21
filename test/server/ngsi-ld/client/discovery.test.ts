// Discovery of an older broker (a scripted NGSI-LD 1.3-era server: core context v1.3, `options` only, 400 above the
// maximum, "Too broad query") and of the core-context version wherever a broker names it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgsiLdClient, findCoreContextVersion } from '../../../../server/ngsi-ld/client';
import { answerJson, startScriptedServer, type ScriptedServer } from './helpers';

const CORE_1_3 = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld';
const ENTITIES = Array.from({ length: 25 }, (_, index) => ({
  id: `urn:ngsi-ld:Old:${index}`,
  type: 'Old',
  value: { type: 'Property', value: index },
}));

describe('discoverCapabilities', () => {
  let server: ScriptedServer;

  beforeAll(async () => {
    server = await startScriptedServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://broker');
      const link = {
        link: `<${CORE_1_3}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
      };
      const refuse = (title: string) =>
        answerJson(response, 400, { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData', title });
      if (url.pathname === '/ngsi-ld/v1/types')
        return answerJson(response, 200, { id: 'urn:x', type: 'EntityTypeList', typeList: ['Old'] }, link);
      if (url.pathname !== '/ngsi-ld/v1/entities') return answerJson(response, 404, { title: 'not found' });
      const parameters = url.searchParams;
      // A 1.3-era broker knows neither `format` nor `pick` and refuses unknown parameters.
      if (parameters.has('format') || parameters.has('pick')) return refuse('Unknown URI parameter');
      if (!parameters.has('type')) return refuse('Too broad query');
      const limit = Number(parameters.get('limit') ?? 20);
      if (limit > 1000) return refuse('Invalid value for URI parameter /limit/');
      const offset = Number(parameters.get('offset') ?? 0);
      const page = ENTITIES.slice(offset, offset + limit).map((entity) =>
        parameters.get('options') === 'keyValues'
          ? { id: entity.id, type: entity.type, value: entity.value.value }
          : entity,
      );
      answerJson(response, 200, page, {
        ...link,
        ...(parameters.get('count') === 'true' ? { 'NGSILD-Results-Count': String(ENTITIES.length) } : {}),
      });
    });
  });

  afterAll(async () => {
    await server.close();
  });

  it('finds the spec era and the limits of an older broker and speaks its dialect', async () => {
    const client = new NgsiLdClient({ url: `${server.url}/ngsi-ld/v1` });
    expect(await client.discover()).toMatchObject({
      broker: 'orion-ld',
      coreContextVersion: '1.3',
      formatParameter: 'options',
      defaultLimit: 20,
      maxLimit: 1000,
      limitErrorStatus: 400,
      needsFilter: true,
      supportsPickOmit: false,
      temporalUrl: undefined,
    });
    const before = server.seen.length;
    const entities = await client.queryEntities({ type: 'Old', format: 'keyValues' }, { pageSize: 10 });
    expect(entities.map((entity) => entity.value)).toEqual(ENTITIES.map((_, index) => index));
    const sent = server.seen
      .slice(before)
      .map((request) => new URL(request.url, 'http://broker').searchParams);
    // 25 entities in pages of 10, by offset, each with options=keyValues.
    expect(sent.map((parameters) => parameters.get('offset') ?? '0')).toEqual(['0', '10', '20']);
    expect(
      sent.every((parameters) => parameters.get('options') === 'keyValues' && !parameters.has('format')),
    ).toBe(true);
  });

  it('refuses temporal queries on Orion-LD without a temporal service URL', async () => {
    const client = new NgsiLdClient({ url: `${server.url}/ngsi-ld/v1` });
    await expect(
      client.queryTemporal({ timerel: 'after', timeAt: '2024-01-01T00:00:00Z', type: 'Old' }),
    ).rejects.toMatchObject({ kind: 'not-implemented' });
  });

  it('reads the core-context version from Link headers and @context values', () => {
    expect(findCoreContextVersion(`<${CORE_1_3}>; rel="http://www.w3.org/ns/json-ld#context"`)).toBe('1.3');
    // Scorpio's body context: [user context, core context].
    expect(
      findCoreContextVersion(undefined, [
        'https://example.org/context.jsonld',
        'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld',
      ]),
    ).toBe('1.8');
    expect(findCoreContextVersion('<https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld>')).toBe(
      '1.0',
    );
    expect(findCoreContextVersion('<https://example.org/context.jsonld>', null)).toBeUndefined();
  });
});
