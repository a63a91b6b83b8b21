// A broker that answers with HTML, broken JSON, odd shapes, errors or not at all: the viewer gets a status event
// that says why, the server keeps answering, and the stream recovers once the broker behaves.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeFolder, SseClient, startTestPlaza, type TestPlaza } from './helpers';

type Mode = 'html' | 'broken-json' | 'odd-types' | 'odd-entities' | 'server-error' | 'hang' | 'good';

const ENTITY = {
  id: 'urn:ngsi-ld:FakeSensor:1',
  type: 'FakeSensor',
  temperature: { type: 'Property', value: 21.5, unitCode: 'CEL' },
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [8.65, 49.87] } },
};

describe('live relay with a misbehaving broker', () => {
  let mode: Mode = 'html';
  const paths: string[] = [];
  let fake: http.Server;
  let plaza: TestPlaza;
  let client: SseClient;

  beforeAll(async () => {
    fake = http.createServer((request, response) => {
      paths.push(request.url ?? '');
      request.resume();
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const path = (request.url ?? '').split('?')[0];
      switch (mode) {
        case 'html':
          response.writeHead(200, { 'content-type': 'text/html' });
          return response.end('<!doctype html><html><body>Welcome to nginx!</body></html>');
        case 'broken-json':
          response.writeHead(200, { 'content-type': 'application/json' });
          return response.end('{"typeList": ["FakeSensor"');
        case 'odd-types':
          return json(200, { types: 'FakeSensor' });
        case 'server-error':
          return json(503, {
            type: 'https://uri.etsi.org/ngsi-ld/errors/InternalError',
            title: 'Overloaded',
          });
        case 'hang':
          return; // never answers
        case 'odd-entities':
        case 'good':
          if (request.method === 'GET' && path.endsWith('/types'))
            return json(200, { id: 'urn:x', type: 'EntityTypeList', typeList: ['FakeSensor'] });
          if (request.method === 'GET' && path.endsWith('/entities'))
            return json(200, mode === 'good' ? [ENTITY] : { entities: [ENTITY] });
          if (request.method === 'POST' && path.endsWith('/subscriptions')) return json(201, undefined);
          if (request.method === 'GET' && path.endsWith('/subscriptions')) return json(200, []);
          if (request.method === 'GET' && path.includes('/subscriptions/'))
            return json(200, {
              id: decodeURIComponent(path.split('/').pop()!),
              type: 'Subscription',
              notification: { status: 'ok' },
            });
          if (request.method === 'PATCH' || request.method === 'DELETE') return json(204, undefined);
          return json(404, {
            type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound',
            title: 'not found',
          });
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as AddressInfo).port;
    plaza = await startTestPlaza({ NGSI_LD_URL: `http://127.0.0.1:${port}/ngsi-ld/v1` });
    client = new SseClient(`${plaza.url}/live`);
    await client.connect();
  }, 30_000);

  afterAll(async () => {
    mode = 'good';
    client?.close();
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
    fake.closeAllConnections();
    await new Promise((resolve) => fake.close(resolve));
  });

  const expectStatus = async (broker: string, reason: RegExp, timeoutMs = 10_000) => {
    await client.waitFor(
      () => client.status?.broker === broker && reason.test(client.status.detail),
      timeoutMs,
      `status ${broker} ${reason}`,
    );
    // The server itself keeps answering.
    const health = await fetch(`${plaza.url}/health`, { signal: AbortSignal.timeout(3000) });
    expect(health.status).toBe(200);
  };

  it('reports HTML as incompatible', async () => {
    mode = 'html';
    await expectStatus('incompatible', /HTML instead of JSON/);
  });

  it('reports broken JSON as incompatible', async () => {
    mode = 'broken-json';
    await expectStatus('incompatible', /broken JSON/);
  });

  it('reports a types answer of the wrong shape as incompatible', async () => {
    mode = 'odd-types';
    await expectStatus('incompatible', /expected an EntityTypeList/);
  });

  it('reports an entity query of the wrong shape as incompatible', async () => {
    mode = 'odd-entities';
    await expectStatus('incompatible', /expected an array of entities/);
  });

  it('reports a 503 as unavailable with the problem title', async () => {
    mode = 'server-error';
    await expectStatus('unavailable', /HTTP 503 \(Overloaded\)/);
  });

  it('reports a broker that never answers as unavailable after the timeout', async () => {
    mode = 'hang';
    await expectStatus('unavailable', /no answer within 5000 ms/, 15_000);
  }, 20_000);

  it('recovers with a snapshot once the broker answers properly, and only ever called the broker', async () => {
    mode = 'good';
    await expectStatus('connected', /subscribed/, 15_000);
    await client.waitFor(() => client.state.has(ENTITY.id), 10_000, 'snapshot');
    expect(client.state.get(ENTITY.id)).toMatchObject({ type: 'FakeSensor', values: { temperature: 21.5 } });
    expect(client.events.filter((event) => event.event === 'snapshot')).toHaveLength(1);
    expect(paths.every((path) => path.startsWith('/ngsi-ld/v1/'))).toBe(true);
  }, 20_000);
});
