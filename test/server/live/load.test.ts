// 1,000 updates per second relayed to 50 SSE clients for a bounded run: every client ends with exactly the
// broker's state, without being dropped and resynced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerEntities,
  removeFolder,
  sensorEntity,
  SseClient,
  startTestPlaza,
  upsertEntities,
  type TestPlaza,
} from './helpers';

const TYPE = 'LoadTemp';
const ENTITIES = 200;
const CLIENTS = 50;
const RATE = 1000; // updates per second
const SECONDS = 8;
const TICK_MS = 50;

const idOf = (index: number) => `urn:ngsi-ld:${TYPE}:${index}`;
const placeOf = (index: number): [number, number] => [
  8.6 + (index % 20) * 0.002,
  49.85 + Math.floor(index / 20) * 0.002,
];

describe('live relay under load', () => {
  let plaza: TestPlaza;
  let broker: string;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    plaza = await startTestPlaza({ PLAZA_LIVE_CHECK_SECONDS: '30' });
    broker = `${plaza.url}/ngsi-ld/v1`;
    await upsertEntities(
      broker,
      Array.from({ length: ENTITIES }, (_, index) => sensorEntity(idOf(index), TYPE, -1, placeOf(index))),
    );
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it(`relays ${RATE} updates/s to ${CLIENTS} clients with nothing lost`, async () => {
    for (let index = 0; index < CLIENTS; index++) {
      const client = new SseClient(`${plaza.url}/live?types=${TYPE}`);
      clients.push(client);
      await client.connect();
    }
    await Promise.all(
      clients.map((client) => client.waitFor(() => client.state.size === ENTITIES, 15_000, 'snapshot')),
    );

    // The writer keeps to the rate by writing what is due since the start, in batches every TICK_MS.
    const total = RATE * SECONDS;
    const started = Date.now();
    let written = 0;
    while (written < total) {
      const due = Math.min(
        total,
        Math.floor(((Date.now() - started) / 1000) * RATE) + RATE * (TICK_MS / 1000),
      );
      const batch: unknown[] = [];
      for (; written < due; written++) {
        const index = written % ENTITIES;
        batch.push(sensorEntity(idOf(index), TYPE, written, placeOf(index)));
      }
      if (batch.length) await upsertEntities(broker, batch);
      const next = started + ((written / RATE) * 1000 - TICK_MS);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
    }
    const elapsed = (Date.now() - started) / 1000;
    expect(written).toBe(total);

    const expected = await brokerEntities(broker, [TYPE]);
    // The last write of entity i carried the largest written number with that remainder.
    for (let index = 0; index < ENTITIES; index++) {
      const last = total - ENTITIES + index;
      expect((expected.get(idOf(index))!.value as { value: number }).value).toBe(last);
    }
    await Promise.all(
      clients.map((client) =>
        client.waitFor(
          () =>
            [...expected].every(
              ([id, entity]) =>
                client.state.get(id)?.values.value === (entity.value as { value: number }).value,
            ),
          20_000,
          'the final state',
        ),
      ),
    );
    for (const client of clients) {
      expect(client.state.size).toBe(ENTITIES);
      // Never dropped and resynced: one snapshot, then only deltas.
      expect(client.events.filter((event) => event.event === 'snapshot')).toHaveLength(1);
    }
    console.log(
      `wrote ${total} updates in ${elapsed.toFixed(1)} s (${Math.round(total / elapsed)}/s) to ${CLIENTS} clients`,
    );
  }, 90_000);
});
