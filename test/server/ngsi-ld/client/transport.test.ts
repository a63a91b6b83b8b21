// The client's HTTP against scripted local servers: retries with backoff for reads (and not for writes), Retry-After,
// HTML, broken JSON, hangs, wrong shapes, credentials and tenant headers, and links that lead off the broker.
import { afterEach, describe, expect, it } from 'vitest';
import { HttpTransport, NgsiLdClient, readRetryAfter } from '../../../../server/ngsi-ld/client';
import { answerJson, rejection, startScriptedServer, type ScriptedServer } from './helpers';

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const TYPES = { id: 'urn:ngsi-ld:EntityTypeList:1', type: 'EntityTypeList', typeList: ['B', 'A'] };

describe('HttpTransport', () => {
  it('retries a read that fails twice and returns the third answer', async () => {
    server = await startScriptedServer((_request, response, count) =>
      count <= 2
        ? answerJson(response, 503, {
            type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError',
            title: 'busy',
          })
        : answerJson(response, 200, TYPES),
    );
    const client = new NgsiLdClient({ url: `${server.url}/ngsi-ld/v1`, retryBaseMs: 20 });
    expect(await client.listTypes()).toEqual(['A', 'B']);
    expect(server.seen).toHaveLength(3);
  });

  it('gives up after the configured retries with unavailable and the problem title', async () => {
    server = await startScriptedServer((_request, response) =>
      answerJson(response, 502, { title: 'Bad Gateway' }),
    );
    const transport = new HttpTransport({ baseUrl: server.url, retries: 1, retryBaseMs: 10 });
    const error = await rejection(transport.request({ path: '/types' }));
    expect([error.kind, error.status, error.state]).toEqual(['unavailable', 502, 'unavailable']);
    expect(error.message).toBe('GET /types: HTTP 502 (Bad Gateway)');
    expect(server.seen).toHaveLength(2);
  });

  it('waits as long as Retry-After asks after a 429', async () => {
    server = await startScriptedServer((_request, response, count) =>
      count === 1
        ? answerJson(response, 429, undefined, { 'retry-after': '1' })
        : answerJson(response, 200, []),
    );
    const transport = new HttpTransport({ baseUrl: server.url, retryBaseMs: 10 });
    const started = Date.now();
    await transport.request({ path: '/entities', query: { type: 'T' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.seen).toHaveLength(2);
    expect(readRetryAfter('2')).toBe(2000);
    expect(readRetryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(readRetryAfter('soon')).toBeUndefined();
  });

  it('does not repeat a write whose answer was a 503', async () => {
    server = await startScriptedServer((_request, response) => answerJson(response, 503, { title: 'busy' }));
    const client = new NgsiLdClient({ url: server.url, retryBaseMs: 10 });
    const error = await rejection(client.subscribe({ entities: [{ type: 'T' }] }));
    expect(error.kind).toBe('unavailable');
    expect(server.seen.map((request) => request.method)).toEqual(['POST']);
  });

  it('reports HTML as incompatible, or unavailable when it comes with a 5xx', async () => {
    server = await startScriptedServer((request, response) => {
      response.writeHead(request.url?.startsWith('/down') ? 503 : 200, { 'content-type': 'text/html' });
      response.end('<!doctype html><html><body>Welcome to nginx!</body></html>');
    });
    const transport = new HttpTransport({ baseUrl: server.url, retries: 0 });
    const html = await rejection(transport.request({ path: '/types' }));
    expect([html.kind, html.message]).toEqual([
      'incompatible',
      'GET /types: HTTP 200 answered with HTML instead of JSON',
    ]);
    expect((await rejection(transport.request({ path: '/down' }))).kind).toBe('unavailable');
  });

  it('reports broken JSON and JSON of the wrong shape as incompatible', async () => {
    server = await startScriptedServer((request, response) => {
      if (request.url?.startsWith('/broken/')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end('{"typeList": ["A"');
      }
      if (request.url?.startsWith('/types')) return answerJson(response, 200, { types: 'A' });
      return answerJson(response, 200, { entities: [] });
    });
    const broken = new NgsiLdClient({ url: `${server.url}/broken`, retries: 0 });
    const error = await rejection(broken.listTypes());
    expect(error.kind).toBe('incompatible');
    expect(error.message).toMatch(/^GET \/broken\/types: HTTP 200 answered with broken JSON/);
    const odd = new NgsiLdClient({ url: server.url, retries: 0 });
    const shape = await rejection(odd.listTypes());
    expect([shape.kind, shape.message]).toEqual([
      'incompatible',
      'GET /types: expected an EntityTypeList, got an object with types',
    ]);
    const entities = await rejection(odd.queryEntitiesPage({ type: 'A' }, { limit: 10 }));
    expect(entities.message).toBe(
      'GET /entities: expected an array of entities, got an object with entities',
    );
  });

  it('times out a broker that never answers, once, without retrying', async () => {
    server = await startScriptedServer(() => undefined);
    const transport = new HttpTransport({ baseUrl: server.url, timeoutMs: 300, retryBaseMs: 10 });
    const started = Date.now();
    const error = await rejection(transport.request({ path: '/types' }));
    expect([error.kind, error.message]).toEqual(['unavailable', 'GET /types: no answer within 300 ms']);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(server.seen).toHaveLength(1);
  });

  it('reports a refused connection as unavailable', async () => {
    // A port that was just free: nothing listens there.
    const closed = await startScriptedServer(() => undefined);
    await closed.close();
    const transport = new HttpTransport({ baseUrl: `${closed.url}/ngsi-ld/v1`, retries: 1, retryBaseMs: 10 });
    const error = await rejection(transport.request({ path: '/types' }));
    expect([error.kind, error.message]).toEqual(['unavailable', 'GET /ngsi-ld/v1/types: ECONNREFUSED']);
  });

  it('sends the tenant, the @context link, a bearer token and an API key', async () => {
    server = await startScriptedServer((_request, response) => answerJson(response, 200, TYPES));
    await new NgsiLdClient({
      url: server.url,
      tenant: 'city',
      context: 'https://example.org/context.jsonld',
      token: 'secret-token',
      apiKey: 'key-1',
      apiKeyHeader: 'apikey',
    }).listTypes();
    await new NgsiLdClient({ url: server.url, apiKey: 'key-2' }).listTypes();
    const [first, second] = server.seen.map((request) => request.headers);
    expect(first).toMatchObject({
      'ngsild-tenant': 'city',
      authorization: 'Bearer secret-token',
      apikey: 'key-1',
      link: '<https://example.org/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"',
    });
    expect(second['x-api-key']).toBe('key-2');
    expect(second.authorization).toBeUndefined();
    expect(second['ngsild-tenant']).toBeUndefined();
  });

  it('sends an inline @context as application/ld+json without a Link header', async () => {
    server = await startScriptedServer((_request, response) => answerJson(response, 204, undefined));
    const client = new NgsiLdClient({ url: server.url, context: 'https://example.org/context.jsonld' });
    await client.batchUpsert([{ id: 'urn:a', type: 'A', '@context': 'https://example.org/context.jsonld' }]);
    await client.batchUpsert([{ id: 'urn:a', type: 'A' }]);
    const [inline, linked] = server.seen.map((request) => request.headers);
    expect([inline['content-type'], inline.link]).toEqual(['application/ld+json', undefined]);
    expect(linked['content-type']).toBe('application/json');
    expect(linked.link).toContain('https://example.org/context.jsonld');
  });

  it('follows next links below the broker only', async () => {
    server = await startScriptedServer((_request, response) => answerJson(response, 200, []));
    const transport = new HttpTransport({ baseUrl: `${server.url}/ngsi-ld/v1`, retries: 0 });
    await transport.request({ path: '/ngsi-ld/v1/entities?type=A&offset=20' });
    expect(server.seen[0].url).toBe('/ngsi-ld/v1/entities?type=A&offset=20');
    for (const path of [
      'http://example.org/ngsi-ld/v1/entities',
      '//example.org/ngsi-ld/v1/entities',
      `${server.url}/ngsi-ld/v10/x`,
      `${server.url}/admin`,
      'file:///etc/passwd',
    ])
      expect((await rejection(transport.request({ path }))).kind).toBe('incompatible');
    expect(server.seen).toHaveLength(1);
  });

  it('does not follow redirects', async () => {
    server = await startScriptedServer((_request, response) => {
      response.writeHead(302, { location: 'http://example.org/' });
      response.end();
    });
    const error = await rejection(new HttpTransport({ baseUrl: server.url }).request({ path: '/types' }));
    expect([error.kind, error.status]).toEqual(['incompatible', 302]);
  });
});
