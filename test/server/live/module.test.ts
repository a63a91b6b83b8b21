// The live relay against the real embedded broker: snapshot then ordered deltas, resumption, view-box and type
// filtering, deletions and lost subscriptions found by the periodic checks, polling mode, and bad requests.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerRequest,
  removeFolder,
  sensorEntity,
  SseClient,
  startTestPlaza,
  upsertEntities,
  type TestPlaza,
} from './helpers';

// Two areas in Darmstadt, far enough apart that a box around one excludes the other.
const AREA_A: [number, number] = [8.65, 49.87];
const AREA_B: [number, number] = [8.7, 49.9];
const BOX_A = '8.64,49.86,8.66,49.88';

const urn = (type: string, name: string) => `urn:ngsi-ld:${type}:${name}`;

describe('live module', () => {
  let plaza: TestPlaza;
  let broker: string;
  const clients: SseClient[] = [];
  const open = async (query: string, headers: Record<string, string> = {}) => {
    const client = new SseClient(`${plaza.url}/live${query}`, headers);
    clients.push(client);
    const answer = await client.connect();
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/event-stream/);
    return client;
  };

  beforeAll(async () => {
    plaza = await startTestPlaza({ PLAZA_LIVE_CHECK_SECONDS: '1' });
    broker = `${plaza.url}/ngsi-ld/v1`;
    await upsertEntities(broker, [
      sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', 10, AREA_A),
      sensorEntity(urn('LiveTemp', 'b1'), 'LiveTemp', 20, AREA_B),
      sensorEntity(urn('LiveNoise', 'a1'), 'LiveNoise', 55, AREA_A),
    ]);
  }, 30_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it('sends retry, status and a snapshot first, then deltas with increasing ids in write order', async () => {
    const client = await open('?types=LiveTemp');
    await client.waitFor(() => client.events.some((event) => event.event === 'snapshot'), 10_000, 'snapshot');
    expect(client.retry).toBe(2000);
    expect(client.events[0].event).toBe('status');
    expect(client.events[0].id).toBeUndefined();
    const snapshotIndex = client.events.findIndex((event) => event.event === 'snapshot');
    // The viewer learns the broker is connected before it draws the snapshot.
    expect(client.events[snapshotIndex - 1]).toMatchObject({
      event: 'status',
      data: { broker: 'connected' },
    });
    const snapshot = client.events[snapshotIndex];
    expect(
      (snapshot.data as { entities: Array<{ id: string }> }).entities.map((entity) => entity.id).sort(),
    ).toEqual([urn('LiveTemp', 'a1'), urn('LiveTemp', 'b1')]);
    const a1 = client.state.get(urn('LiveTemp', 'a1'))!;
    expect(a1).toMatchObject({
      type: 'LiveTemp',
      values: { value: 10 },
      units: { value: 'CEL' },
      location: { type: 'Point', coordinates: AREA_A },
    });
    for (const value of [11, 12, 13]) {
      await upsertEntities(broker, [sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', value, AREA_A)]);
      await client.waitFor(
        () => client.state.get(urn('LiveTemp', 'a1'))?.values.value === value,
        10_000,
        `value ${value}`,
      );
    }
    const withIds = client.events.filter((event) => event.id !== undefined);
    const ids = withIds.map((event) => BigInt(event.id!));
    for (let index = 1; index < ids.length; index++) expect(ids[index] > ids[index - 1]).toBe(true);
    const seen = client.events
      .filter((event) => event.event === 'update')
      .flatMap((event) => (event.data as { entities: Array<{ values: { value: number } }> }).entities)
      .map((entity) => entity.values.value);
    expect(seen).toEqual([11, 12, 13]);
    const statuses = client.events.filter((event) => event.event === 'status');
    expect(statuses.at(-1)!.data).toMatchObject({ broker: 'connected', mode: 'subscription' });
  });

  it('resumes from Last-Event-ID with the missed events and without a snapshot', async () => {
    const first = await open('?types=LiveTemp');
    await first.waitFor(() => first.state.size === 2, 10_000, 'snapshot');
    const resumeFrom = first.lastEventId!;
    first.close();
    await upsertEntities(broker, [sensorEntity(urn('LiveTemp', 'b1'), 'LiveTemp', 21, AREA_B)]);
    await upsertEntities(broker, [sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', 14, AREA_A)]);
    // Let the relay flush both before the browser comes back.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const resumed = await open('?types=LiveTemp', { 'last-event-id': resumeFrom });
    await resumed.waitFor(() => resumed.state.size === 2, 10_000, 'replayed updates');
    expect(resumed.events.some((event) => event.event === 'snapshot')).toBe(false);
    expect(resumed.state.get(urn('LiveTemp', 'a1'))!.values.value).toBe(14);
    expect(resumed.state.get(urn('LiveTemp', 'b1'))!.values.value).toBe(21);
    for (const event of resumed.events.filter((item) => item.id !== undefined))
      expect(BigInt(event.id!) > BigInt(resumeFrom)).toBe(true);

    // The same through the query parameter.
    const byParameter = await open(`?types=LiveTemp&lastEventId=${resumeFrom}`);
    await byParameter.waitFor(() => byParameter.state.size === 2, 10_000, 'replay by parameter');
    expect(byParameter.events.some((event) => event.event === 'snapshot')).toBe(false);
  });

  it('sends a snapshot when Last-Event-ID is older than the replay buffer', async () => {
    const client = await open('?types=LiveTemp', { 'last-event-id': '1' });
    await client.waitFor(() => client.events.some((event) => event.event === 'snapshot'), 10_000, 'snapshot');
    expect(client.state.size).toBe(2);
  });

  it('filters by view box: moving out of it is a delete, moving in an update', async () => {
    const client = await open(`?types=LiveTemp&bbox=${BOX_A}`);
    await client.waitFor(() => client.events.some((event) => event.event === 'snapshot'), 10_000, 'snapshot');
    expect([...client.state.keys()]).toEqual([urn('LiveTemp', 'a1')]);
    await upsertEntities(broker, [sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', 15, AREA_B)]);
    await client.waitFor(() => client.state.size === 0, 10_000, 'a1 leaving the box');
    const deleted = client.events.find((event) => event.event === 'delete')!;
    expect(deleted.data).toEqual({ ids: [urn('LiveTemp', 'a1')] });
    await upsertEntities(broker, [
      sensorEntity(urn('LiveTemp', 'b1'), 'LiveTemp', 22, AREA_A),
      sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', 16, AREA_B),
    ]);
    await client.waitFor(() => client.state.has(urn('LiveTemp', 'b1')), 10_000, 'b1 entering the box');
    expect([...client.state.keys()]).toEqual([urn('LiveTemp', 'b1')]);
    // Moving back so later tests find the original layout.
    await upsertEntities(broker, [
      sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', 16, AREA_A),
      sensorEntity(urn('LiveTemp', 'b1'), 'LiveTemp', 22, AREA_B),
    ]);
  });

  it('filters by type and follows every type when none is given', async () => {
    const noise = await open('?types=LiveNoise');
    const all = await open('');
    await noise.waitFor(() => noise.state.size === 1, 10_000, 'noise snapshot');
    await all.waitFor(() => all.state.size === 3, 10_000, 'all snapshot');
    expect([...noise.state.keys()]).toEqual([urn('LiveNoise', 'a1')]);
    await upsertEntities(broker, [sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', 17, AREA_A)]);
    await all.waitFor(() => all.state.get(urn('LiveTemp', 'a1'))?.values.value === 17, 10_000, 'all update');
    expect(noise.events.filter((event) => event.event === 'update')).toEqual([]);
    // A new type appears: the all-types feed subscribes to it at its next check.
    await upsertEntities(broker, [sensorEntity(urn('LiveWind', 'a1'), 'LiveWind', 3, AREA_A)]);
    await all.waitFor(() => all.state.has(urn('LiveWind', 'a1')), 10_000, 'new type');
    await upsertEntities(broker, [sensorEntity(urn('LiveWind', 'a1'), 'LiveWind', 4, AREA_A)]);
    await all.waitFor(
      () => all.state.get(urn('LiveWind', 'a1'))?.values.value === 4,
      10_000,
      'new type update',
    );
  });

  it('sends a delete when an entity is removed at the broker', async () => {
    const client = await open('?types=LiveTemp');
    await client.waitFor(() => client.state.size === 2, 10_000, 'snapshot');
    await upsertEntities(broker, [sensorEntity(urn('LiveTemp', 'c1'), 'LiveTemp', 30, AREA_A)]);
    await client.waitFor(() => client.state.has(urn('LiveTemp', 'c1')), 10_000, 'c1 created');
    await brokerRequest(broker, 'DELETE', `/entities/${encodeURIComponent(urn('LiveTemp', 'c1'))}`);
    await client.waitFor(() => !client.state.has(urn('LiveTemp', 'c1')), 10_000, 'c1 deleted');
    expect(client.events.at(-1)!.data).toEqual({ ids: [urn('LiveTemp', 'c1')] });
  });

  it('subscribes again and re-syncs when the broker loses the subscription', async () => {
    const client = await open('?types=LiveNoise');
    await client.waitFor(() => client.state.size === 1, 10_000, 'snapshot');
    const ours = async () =>
      (
        (await brokerRequest(broker, 'GET', '/subscriptions?limit=1000')) as Array<Record<string, unknown>>
      ).filter(
        (subscription) =>
          String((subscription.notification as { endpoint: { uri: string } }).endpoint.uri).startsWith(
            `${plaza.url}/live/notifications/`,
          ) && JSON.stringify(subscription.entities) === JSON.stringify([{ type: 'LiveNoise' }]),
      );
    const [lost] = await ours();
    expect(lost).toBeDefined();
    await brokerRequest(broker, 'DELETE', `/subscriptions/${encodeURIComponent(String(lost.id))}`);
    // Written while no subscription exists: only the re-sync can deliver it.
    await upsertEntities(broker, [sensorEntity(urn('LiveNoise', 'a1'), 'LiveNoise', 60, AREA_A)]);
    await client.waitFor(
      () => client.state.get(urn('LiveNoise', 'a1'))?.values.value === 60,
      10_000,
      're-sync',
    );
    const renewed = await ours();
    expect(renewed).toHaveLength(1);
    expect(renewed[0].id).not.toBe(lost.id);
    await upsertEntities(broker, [sensorEntity(urn('LiveNoise', 'a1'), 'LiveNoise', 61, AREA_A)]);
    await client.waitFor(
      () => client.state.get(urn('LiveNoise', 'a1'))?.values.value === 61,
      10_000,
      'notified',
    );
  });

  it('answers bad parameters with 400 problem details naming the parameter', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['?bbox=1,2,3', {}, 'bbox'],
      ['?bbox=0,50,10,40', {}, 'bbox'],
      ['?bbox=0,0,200,10', {}, 'bbox'],
      ['?types=', {}, 'types'],
      ['?types=A,,B', {}, 'types'],
      ['?types=%3Cscript%3E', {}, 'types'],
      ['?colour=red', {}, 'colour'],
      ['?lastEventId=abc', {}, 'lastEventId'],
      ['', { 'last-event-id': 'yesterday' }, 'Last-Event-ID'],
    ];
    for (const [query, headers, name] of cases) {
      const response = await fetch(`${plaza.url}/live${query}`, { headers });
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await response.json()) as { status: number; detail: string };
      expect(problem.status).toBe(400);
      expect(problem.detail).toContain(name);
    }
  });

  it('accepts notifications only for its own subscriptions', async () => {
    const post = (key: string, body: string, type = 'application/json') =>
      fetch(`${plaza.url}/live/notifications/${key}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
    const valid = JSON.stringify({
      id: 'urn:ngsi-ld:Notification:1',
      type: 'Notification',
      subscriptionId: 'urn:ngsi-ld:Subscription:not-ours',
      data: [sensorEntity(urn('LiveTemp', 'a1'), 'LiveTemp', -99, AREA_A)],
    });
    expect((await post('no-such-key', valid)).status).toBe(404);
    expect((await post('no-such-key', '{"data": [')).status).toBe(400);
    expect((await post('no-such-key', '{"data": [')).headers.get('content-type')).toMatch(/problem\+json/);
    expect((await post('no-such-key', JSON.stringify({ data: [] }))).status).toBe(400);
    expect((await post('no-such-key', JSON.stringify({ subscriptionId: 'x', data: 5 }))).status).toBe(400);
    expect((await post('no-such-key', valid, 'application/ld+json')).status).toBe(404);
    // The forged value never reached anyone.
    const client = await open('?types=LiveTemp');
    await client.waitFor(() => client.state.size === 2, 10_000, 'snapshot');
    expect(client.state.get(urn('LiveTemp', 'a1'))!.values.value).not.toBe(-99);
  });
});

describe('live module in polling mode', () => {
  let plaza: TestPlaza;

  beforeAll(async () => {
    plaza = await startTestPlaza({ PLAZA_LIVE_MODE: 'polling', PLAZA_LIVE_POLL_SECONDS: '0.5' });
  }, 30_000);

  afterAll(async () => {
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it('relays changes without any subscription at the broker', async () => {
    const broker = `${plaza.url}/ngsi-ld/v1`;
    await upsertEntities(broker, [sensorEntity(urn('PollTemp', 'a1'), 'PollTemp', 1, AREA_A)]);
    const client = new SseClient(`${plaza.url}/live?types=PollTemp`);
    await client.connect();
    try {
      await client.waitFor(() => client.state.size === 1, 10_000, 'snapshot');
      await upsertEntities(broker, [sensorEntity(urn('PollTemp', 'a1'), 'PollTemp', 2, AREA_A)]);
      await client.waitFor(() => client.state.get(urn('PollTemp', 'a1'))?.values.value === 2, 10_000, 'poll');
      expect(client.status).toMatchObject({ broker: 'connected', mode: 'polling' });
      expect(await brokerRequest(broker, 'GET', '/subscriptions')).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('live module with a notification URL', () => {
  let plaza: TestPlaza;
  let port: number;

  beforeAll(async () => {
    port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    // The broker is told a different spelling of this server's address, as it would be told a public name.
    plaza = await startTestPlaza({
      PORT: String(port),
      PLAZA_LIVE_NOTIFICATION_URL: `http://localhost:${port}/`,
    });
  }, 30_000);

  afterAll(async () => {
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it('names that URL in its subscriptions and receives notifications through it', async () => {
    const broker = `${plaza.url}/ngsi-ld/v1`;
    await upsertEntities(broker, [sensorEntity(urn('UrlTemp', 'a1'), 'UrlTemp', 1, AREA_A)]);
    const client = new SseClient(`${plaza.url}/live?types=UrlTemp`);
    await client.connect();
    try {
      await client.waitFor(
        () => client.state.size === 1 && client.status?.broker === 'connected',
        10_000,
        'sync',
      );
      const subscriptions = (await brokerRequest(broker, 'GET', '/subscriptions')) as Array<{
        notification: { endpoint: { uri: string } };
      }>;
      expect(subscriptions).toHaveLength(1);
      expect(subscriptions[0].notification.endpoint.uri).toMatch(
        new RegExp(`^http://localhost:${port}/live/notifications/[\\w-]+$`),
      );
      await upsertEntities(broker, [sensorEntity(urn('UrlTemp', 'a1'), 'UrlTemp', 2, AREA_A)]);
      await client.waitFor(
        () => client.state.get(urn('UrlTemp', 'a1'))?.values.value === 2,
        5000,
        'notified',
      );
    } finally {
      client.close();
    }
  });
});

describe('live module with a tenant', () => {
  let plaza: TestPlaza;

  beforeAll(async () => {
    plaza = await startTestPlaza({ NGSI_LD_TENANT: 'district1' });
  }, 30_000);

  afterAll(async () => {
    await plaza?.stop();
    if (plaza) removeFolder(plaza.dataDirectory);
  });

  it("relays the configured tenant's entities and subscribes within that tenant only", async () => {
    const broker = `${plaza.url}/ngsi-ld/v1`;
    const write = async (tenant: string | undefined, value: number) => {
      const response = await fetch(`${broker}/entityOperations/upsert?options=update`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(tenant ? { 'ngsild-tenant': tenant } : {}) },
        body: JSON.stringify([sensorEntity(urn('TenantTemp', 'a1'), 'TenantTemp', value, AREA_A)]),
      });
      expect(response.ok).toBe(true);
    };
    await write('district1', 1);
    await write(undefined, 999);
    const client = new SseClient(`${plaza.url}/live?types=TenantTemp`);
    await client.connect();
    try {
      await client.waitFor(() => client.state.size === 1, 10_000, 'snapshot');
      expect(client.state.get(urn('TenantTemp', 'a1'))!.values.value).toBe(1);
      await write('district1', 2);
      await client.waitFor(
        () => client.state.get(urn('TenantTemp', 'a1'))?.values.value === 2,
        5000,
        'notified',
      );
      await write(undefined, 1000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(client.state.get(urn('TenantTemp', 'a1'))!.values.value).toBe(2);
      const inTenant = await fetch(`${broker}/subscriptions`, { headers: { 'ngsild-tenant': 'district1' } });
      expect(((await inTenant.json()) as unknown[]).length).toBe(1);
      expect(await brokerRequest(broker, 'GET', '/subscriptions')).toEqual([]);
    } finally {
      client.close();
    }
  });
});
