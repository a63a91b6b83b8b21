// A broker stopped and restarted during a live session: the relay reports it unavailable, then resumes, and the
// browser's final state equals the broker's.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerEntities,
  brokerRequest,
  removeFolder,
  sensorEntity,
  SseClient,
  startTestPlaza,
  upsertEntities,
  type TestPlaza,
} from './helpers';

const TYPE = 'RestartTemp';
const ids = Array.from({ length: 20 }, (_, index) => `urn:ngsi-ld:${TYPE}:${index}`);
const place = (index: number): [number, number] => [8.6 + index * 0.001, 49.87];

describe('live relay across a broker restart', () => {
  let brokerPlaza: TestPlaza;
  let relayPlaza: TestPlaza;
  let brokerUrl: string;
  let port: number;
  let client: SseClient;

  beforeAll(async () => {
    brokerPlaza = await startTestPlaza();
    brokerUrl = `${brokerPlaza.url}/ngsi-ld/v1`;
    port = Number(new URL(brokerPlaza.url).port);
    await upsertEntities(
      brokerUrl,
      ids.map((id, index) => sensorEntity(id, TYPE, index, place(index))),
    );
    relayPlaza = await startTestPlaza({ NGSI_LD_URL: brokerUrl, PLAZA_LIVE_CHECK_SECONDS: '1' });
  }, 30_000);

  afterAll(async () => {
    client?.close();
    await relayPlaza?.stop();
    await brokerPlaza?.stop();
    if (relayPlaza) removeFolder(relayPlaza.dataDirectory);
    if (brokerPlaza) removeFolder(brokerPlaza.dataDirectory);
  });

  it('resumes after the broker comes back and ends with the broker state', async () => {
    client = new SseClient(`${relayPlaza.url}/live?types=${TYPE}`);
    await client.connect();
    await client.waitFor(() => client.state.size === ids.length, 10_000, 'snapshot');
    await upsertEntities(brokerUrl, [sensorEntity(ids[0], TYPE, 100, place(0))]);
    await client.waitFor(() => client.state.get(ids[0])?.values.value === 100, 10_000, 'live update');

    await brokerPlaza.stop();
    await client.waitFor(() => client.status?.broker === 'unavailable', 10_000, 'unavailable status');
    expect(client.status!.detail).toMatch(/ECONNREFUSED|no answer/);

    brokerPlaza = await startTestPlaza({ PORT: String(port) }, brokerPlaza.dataDirectory);
    await client.waitFor(() => client.status?.broker === 'connected', 15_000, 'connected again');
    // Writes after the restart: changed values, a removed entity and a new one.
    for (let round = 0; round < 5; round++) {
      await upsertEntities(
        brokerUrl,
        ids.slice(1).map((id, index) => sensorEntity(id, TYPE, 200 + round * 100 + index, place(index + 1))),
      );
    }
    await brokerRequest(brokerUrl, 'DELETE', `/entities/${encodeURIComponent(ids[2])}`);
    await upsertEntities(brokerUrl, [sensorEntity(`urn:ngsi-ld:${TYPE}:new`, TYPE, 7, place(30))]);

    const expected = await brokerEntities(brokerUrl, [TYPE]);
    expect(expected.size).toBe(ids.length); // 20 - 1 deleted + 1 new
    const matches = () =>
      client.state.size === expected.size &&
      [...expected].every(
        ([id, entity]) =>
          client.state.get(id)?.values.value === (entity.value as { value: number }).value &&
          JSON.stringify(client.state.get(id)?.location) ===
            JSON.stringify((entity.location as { value: unknown }).value),
      );
    await client.waitFor(matches, 15_000, 'client state equal to the broker state');
    expect(client.state.has(ids[2])).toBe(false);
    expect(client.state.get(ids[1])!.values.value).toBe(600);
    expect(client.status!.broker).toBe('connected');
  }, 60_000);
});

describe('live relay start-up', () => {
  let brokerPlaza: TestPlaza;
  let relayPlaza: TestPlaza | undefined;

  afterAll(async () => {
    await relayPlaza?.stop();
    await brokerPlaza?.stop();
    if (relayPlaza) removeFolder(relayPlaza.dataDirectory);
    if (brokerPlaza) removeFolder(brokerPlaza.dataDirectory);
  });

  it('removes the subscriptions an earlier run of the same server left at the broker, and only those', async () => {
    brokerPlaza = await startTestPlaza();
    const brokerUrl = `${brokerPlaza.url}/ngsi-ld/v1`;
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const subscribe = (uri: string) =>
      brokerRequest(brokerUrl, 'POST', '/subscriptions', {
        type: 'Subscription',
        entities: [{ type: 'Anything' }],
        notification: { endpoint: { uri, accept: 'application/json' } },
      });
    await subscribe(`http://127.0.0.1:${port}/live/notifications/key-of-an-earlier-run`);
    await subscribe('http://elsewhere.example:8080/live/notifications/someone-else');
    relayPlaza = await startTestPlaza({
      NGSI_LD_URL: brokerUrl,
      PORT: String(port),
      PLAZA_LIVE_NOTIFICATION_URL: `http://127.0.0.1:${port}`,
    });
    const endpoints = async () =>
      (
        (await brokerRequest(brokerUrl, 'GET', '/subscriptions')) as Array<{
          notification: { endpoint: { uri: string } };
        }>
      ).map((subscription) => subscription.notification.endpoint.uri);
    const deadline = Date.now() + 10_000;
    while ((await endpoints()).length !== 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await endpoints()).toEqual(['http://elsewhere.example:8080/live/notifications/someone-else']);
  }, 30_000);
});
