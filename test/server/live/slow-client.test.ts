// A browser that stops reading: the relay stops queueing deltas for it once its buffer passes the limit, keeps
// serving the others at full speed, and sends it a fresh snapshot once it reads again.
import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config';
import { createApp } from '../../../server/http/app';
import { createLiveModule } from '../../../server/live/module';
import { createNgsiLdBrokerModule } from '../../../server/ngsi-ld';
import { brokerEntities, removeFolder, sensorEntity, SseClient, upsertEntities } from './helpers';

const TYPE = 'BulkySensor';
const ENTITIES = 100;
const PADDING = 'x'.repeat(4000);
const idOf = (index: number) => `urn:ngsi-ld:${TYPE}:${index}`;
const bulky = (index: number, value: number) =>
  sensorEntity(idOf(index), TYPE, value, [8.6 + index * 0.001, 49.87], {
    description: { type: 'Property', value: PADDING },
  });

describe('live relay with a slow client', () => {
  let app: FastifyInstance;
  let url: string;
  let folder: string;
  let live: ReturnType<typeof createLiveModule>;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'plaza-slow-'));
    const config = parseConfig({
      DATA_DIR: folder,
      PLAZA_SIMULATOR: 'off',
      PLAZA_COLLECTIONS: '',
      LOG_LEVEL: 'silent',
    });
    live = createLiveModule(config, {
      relay: { maxClientBufferBytes: 1024 * 1024, stallTimeoutMs: 60_000, maxFeeds: 3 },
    });
    app = await createApp(config, { modules: [createNgsiLdBrokerModule(config), live], logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    await live.start!(url);
    await upsertEntities(
      `${url}/ngsi-ld/v1`,
      Array.from({ length: ENTITIES }, (_, index) => bulky(index, 0)),
    );
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    if (folder) removeFolder(folder);
  });

  it('drops and resyncs the slow client without holding up the others', async () => {
    const broker = `${url}/ngsi-ld/v1`;
    const fast = new SseClient(`${url}/live?types=${TYPE}`);
    await fast.connect();
    await fast.waitFor(() => fast.state.size === ENTITIES, 10_000, 'fast snapshot');

    // The slow client reads its headers and first events, then stops reading.
    const slow = net.connect(Number(new URL(url).port), '127.0.0.1');
    let slowText = '';
    slow.setEncoding('utf8');
    slow.on('data', (chunk: string) => (slowText += chunk));
    slow.write(`GET /live?types=${TYPE} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`);
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () =>
        slowText.includes('event: snapshot')
          ? resolve()
          : Date.now() - started > 10_000
            ? reject(new Error('no snapshot for the slow client'))
            : setTimeout(check, 50);
      check();
    });
    slow.pause();

    // About 400 KB per round: far more than the slow client's socket and its 1 MiB allowance hold.
    const rounds = 40;
    for (let round = 1; round <= rounds; round++) {
      await upsertEntities(
        broker,
        Array.from({ length: ENTITIES }, (_, index) => bulky(index, round)),
      );
      await fast.waitFor(
        () => fast.state.get(idOf(ENTITIES - 1))?.values.value === round,
        10_000,
        `round ${round}`,
      );
    }
    expect(fast.events.filter((event) => event.event === 'snapshot')).toHaveLength(1);

    slow.resume();
    const expected = await brokerEntities(broker, [TYPE]);
    expect((expected.get(idOf(0))!.value as { value: number }).value).toBe(rounds);
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        const snapshots = slowText.split('event: snapshot').length - 1;
        const lastSnapshot = slowText.lastIndexOf('event: snapshot');
        const after = slowText.slice(lastSnapshot);
        const done =
          snapshots >= 2 &&
          after.includes(`"id":"${idOf(0)}"`) &&
          after.includes(`"value":${rounds}`) &&
          after.includes('\n\n');
        if (done) resolve();
        else if (Date.now() - started > 20_000)
          reject(new Error(`slow client saw ${snapshots} snapshot(s) and ${slowText.length} characters`));
        else setTimeout(check, 100);
      };
      check();
    });
    // It was not sent everything: the deltas of the rounds it missed were dropped, not queued.
    const updatesSeen = slowText.split('event: update').length - 1;
    expect(updatesSeen).toBeLessThan(rounds);
    slow.destroy();
    fast.close();
  }, 60_000);

  it('refuses more type sets than its feed limit with 429 problem details', async () => {
    const clients: SseClient[] = [];
    try {
      for (let index = 0; live.relay()!.feeds.size < 3; index++) {
        const client = new SseClient(`${url}/live?types=Capped${index}`);
        clients.push(client);
        expect((await client.connect()).status).toBe(200);
      }
      const response = await fetch(`${url}/live?types=OneTooMany`);
      expect(response.status).toBe(429);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await response.json()) as { detail: string }).detail).toContain('types');
      // A type set that already has a feed is still served.
      const again = new SseClient(`${url}/live?types=Capped0`);
      clients.push(again);
      expect((await again.connect()).status).toBe(200);
    } finally {
      for (const client of clients) client.close();
    }
  });
});
