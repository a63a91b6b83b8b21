import { mkdtempSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config';
import { createApp } from '../../../server/http/app';
import { ApiError } from '../../../server/http/errors';
import { tilesetVersion } from '../../../server/http/tileset-cache';

const root = mkdtempSync(join(tmpdir(), 'plaza-app-'));
const appDirectory = join(root, 'dist');
const tilesetsDirectory = join(root, 'tilesets');
mkdirSync(join(appDirectory, 'assets'), { recursive: true });
mkdirSync(join(tilesetsDirectory, 'city'), { recursive: true });
writeFileSync(join(appDirectory, 'index.html'), '<!doctype html><title>Plaza</title>');
writeFileSync(join(appDirectory, 'assets', 'app-1234.js'), 'console.log(1)');
writeFileSync(join(tilesetsDirectory, 'city', 'tileset.json'), JSON.stringify({ asset: { version: '1.1' } }));
writeFileSync(join(tilesetsDirectory, 'city', '0.glb'), Buffer.alloc(2048, 7));
writeFileSync(join(root, 'secret.txt'), 'do not serve');
const BIG_JSON = { children: Array.from({ length: 200 }, (_, index) => ({ uri: `tile-${index}.glb` })) };
writeFileSync(join(tilesetsDirectory, 'city', 'big.json'), JSON.stringify(BIG_JSON));

let app: FastifyInstance;

beforeAll(async () => {
  const config = parseConfig({
    APP_DIR: appDirectory,
    TILESETS_DIR: tilesetsDirectory,
    DATA_DIR: join(root, 'data'),
  });
  app = await createApp(config, {
    logger: false,
    modules: [
      {
        name: 'probe',
        register(scope, context) {
          context.health.register('probe', () => ({ status: 'degraded', detail: 'probe says so' }));
          scope.get('/probe/fail', () => {
            throw new ApiError(422, 'the probe parameter is wrong', { code: 'InvalidParameterValue' });
          });
          scope.get('/probe/crash', () => {
            throw new Error('internal detail that must not leak');
          });
        },
      },
    ],
  });
});
afterAll(() => app.close());

describe('createApp', () => {
  it('reports version and every subsystem on /health', async () => {
    const response = await app.inject({ url: '/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.subsystems.viewer.status).toBe('ok');
    expect(body.subsystems.tilesets.status).toBe('ok');
    expect(body.subsystems.probe).toEqual({ status: 'degraded', detail: 'probe says so' });
    expect(body.status).toBe('degraded');
  });

  it('serves the built app at / without caching index.html', async () => {
    const response = await app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.body).toContain('<title>Plaza</title>');
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('lets browsers cache hashed assets for a year', async () => {
    const response = await app.inject({ url: '/assets/app-1234.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('answers an unknown route with JSON problem details', async () => {
    const response = await app.inject({ url: '/no/such/thing', headers: { accept: 'application/json' } });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 404,
      title: 'Not Found',
      detail: 'no resource at GET /no/such/thing',
    });
  });

  it('answers an unknown route with an HTML page when a browser asks', async () => {
    const response = await app.inject({
      url: '/no/<script>',
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('404 Not Found');
    expect(response.body).not.toContain('<script>');
  });

  it('renders a thrown ApiError with its status and code', async () => {
    const response = await app.inject({ url: '/probe/fail' });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({
      status: 422,
      code: 'InvalidParameterValue',
      detail: 'the probe parameter is wrong',
    });
  });

  it('hides the details of an unexpected error behind a 500 problem', async () => {
    const response = await app.inject({ url: '/probe/crash' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toContain('internal detail');
  });

  it('serves tileset content with CORS, the glTF media type and byte ranges', async () => {
    const response = await app.inject({ url: '/tiles/city/0.glb', headers: { range: 'bytes=0-99' } });
    expect(response.statusCode).toBe(206);
    expect(response.headers['content-type']).toBe('model/gltf-binary');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['content-range']).toBe('bytes 0-99/2048');
    expect(response.rawPayload.length).toBe(100);
  });

  it('caches tile content for good only under the tileset version that is current', async () => {
    const cityDirectory = join(tilesetsDirectory, 'city');
    const before = tilesetVersion(cityDirectory)!;
    const cacheControl = async (url: string) => (await app.inject({ url })).headers['cache-control'];
    expect(await cacheControl(`/tiles/city/0.glb?v=${before}`)).toBe('public, max-age=31536000, immutable');
    expect(await cacheControl('/tiles/city/0.glb')).toBe('no-cache');
    expect(await cacheControl(`/tiles/city/tileset.json?v=${before}`)).toBe('no-cache');
    // A new conversion renames a new tileset.json into place (same bytes here): the old version must revalidate.
    writeFileSync(join(cityDirectory, 'tileset.next'), JSON.stringify({ asset: { version: '1.1' } }));
    renameSync(join(cityDirectory, 'tileset.next'), join(cityDirectory, 'tileset.json'));
    const after = tilesetVersion(cityDirectory)!;
    expect(after).not.toBe(before);
    expect(await cacheControl(`/tiles/city/0.glb?v=${before}`)).toBe('no-cache');
    expect(await cacheControl(`/tiles/city/0.glb?v=${after}`)).toBe('public, max-age=31536000, immutable');
  });

  it('answers a conditional request for unchanged content with 304', async () => {
    const first = await app.inject({ url: '/tiles/city/tileset.json' });
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag;
    expect(etag).toBeTruthy();
    const second = await app.inject({
      url: '/tiles/city/tileset.json',
      headers: { 'if-none-match': String(etag) },
    });
    expect(second.statusCode).toBe(304);
  });

  it.each([
    '/tiles/../secret.txt',
    '/tiles/%2e%2e/secret.txt',
    '/tiles/city/..%2f..%2fsecret.txt',
    '/tiles/..%5csecret.txt',
  ])('never serves a file outside tilesets/ for %s', async (url) => {
    const response = await app.inject({ url });
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.body).not.toContain('do not serve');
  });

  it('gzips a large tileset.json for clients that accept it', async () => {
    const response = await app.inject({
      url: '/tiles/city/big.json',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(response.rawPayload).toString('utf8'))).toEqual(BIG_JSON);
  });
});

describe('createApp close', () => {
  it('returns promptly when a keep-alive request is still in flight as closing starts', async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const server = await createApp(
      parseConfig({
        APP_DIR: appDirectory,
        TILESETS_DIR: tilesetsDirectory,
        DATA_DIR: join(root, 'data-close'),
      }),
      {
        logger: false,
        modules: [
          {
            name: 'slow',
            register(scope) {
              // Answers only once the server has stopped listening, like Plaza's own NGSI-LD client calling it then.
              scope.get('/slow', async () => {
                arrived();
                await answered;
                return { ok: true };
              });
            },
          },
        ],
      },
    );
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address() as { port: number };
    // fetch keeps the connection alive after the answer (for about a minute, as the server's Keep-Alive allows).
    const response = fetch(`http://127.0.0.1:${address.port}/slow`).then(async (reply) => ({
      status: reply.status,
      connection: reply.headers.get('connection'),
      body: await reply.json(),
    }));
    await inFlight;
    const closed = server.close().then(() => 'closed' as const);
    while (server.server.listening) await new Promise((resolve) => setTimeout(resolve, 5));
    answer();
    const outcome = await Promise.race([
      closed,
      new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 5_000).unref()),
    ]);
    expect(outcome).toBe('closed');
    expect(await response).toEqual({ status: 200, connection: 'close', body: { ok: true } });
  }, 15_000);
});
