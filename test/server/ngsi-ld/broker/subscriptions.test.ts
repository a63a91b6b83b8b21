import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ETSI_COMPOUND_CONTEXT,
  linkTo,
  readShared,
  request,
  startTestBroker,
  type TestBroker,
} from '../helpers';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- notification data is checked field by field
  body: { subscriptionId: string; type: string; notifiedAt: string; data: any; '@context'?: unknown };
  at: number;
}

/** A real HTTP receiver: records notifications; /slow answers after 5 s. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((incoming, response) => {
    let text = '';
    incoming.on('data', (chunk) => (text += chunk));
    incoming.on('end', () => {
      const record = {
        path: incoming.url ?? '',
        headers: incoming.headers,
        body: JSON.parse(text || '{}'),
        at: Date.now(),
      };
      if (incoming.url === '/slow') {
        setTimeout(() => response.end(), 5000).unref();
        return;
      }
      received.push(record);
      response.statusCode = incoming.url === '/fail' ? 500 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    server,
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    received,
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('broker subscriptions', () => {
  let broker: TestBroker;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let base = '';
  const ld = { 'content-type': 'application/ld+json' };
  const etsi = { link: linkTo(ETSI_COMPOUND_CONTEXT) };
  const forSubscription = (id: string) =>
    receiver.received.filter((record) => record.body.subscriptionId === id);

  beforeAll(async () => {
    receiver = await startReceiver();
    broker = await startTestBroker({
      notifications: { notificationTimeoutMs: 400, attempts: 2, retryDelayMs: 50 },
    });
    base = broker.base;
  });
  afterAll(async () => {
    await broker.close();
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  const building = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
    id,
    type: 'Building',
    name: { type: 'Property', value: name },
    subCategory: { type: 'Property', value: 'tourism' },
    location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-8.52, 41.2] } },
    ...extra,
  });

  it('notifies on watched attributes of entities matching q (ETSI subscription body)', async () => {
    const body = {
      ...readShared(
        'etsi-ngsi-ld-test-suite/data/subscriptions/subscription-building-entities-active-watchedAttributes-query.jsonld',
      ),
      id: 'urn:ngsi-ld:Subscription:watch',
      notification: { endpoint: { uri: `${receiver.url}/notify`, accept: 'application/json' } },
    };
    const created = await request(`${base}/subscriptions`, { method: 'POST', headers: ld, body });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(
      '/ngsi-ld/v1/subscriptions/urn%3Angsi-ld%3ASubscription%3Awatch',
    );

    await request(`${base}/entities`, {
      method: 'POST',
      headers: etsi,
      body: building('urn:ngsi-ld:Building:w1', 'Eiffel Tower'),
    });
    await request(`${base}/entities`, {
      method: 'POST',
      headers: etsi,
      body: building('urn:ngsi-ld:Building:w2', 'Louvre'),
    });
    // Only airQualityLevel is watched: the creation above did not carry it.
    await request(`${base}/entities/urn:ngsi-ld:Building:w1/attrs`, {
      method: 'POST',
      headers: etsi,
      body: { subCategory: { type: 'Property', value: 'x' } },
    });
    await request(`${base}/entities/urn:ngsi-ld:Building:w2/attrs`, {
      method: 'POST',
      headers: etsi,
      body: { airQualityLevel: { type: 'Property', value: 3 } },
    });
    await request(`${base}/entities/urn:ngsi-ld:Building:w1/attrs`, {
      method: 'POST',
      headers: etsi,
      body: { airQualityLevel: { type: 'Property', value: 5 } },
    });

    const [notification] = await waitFor(() =>
      forSubscription(body.id).length ? forSubscription(body.id) : undefined,
    );
    await sleep(200);
    expect(forSubscription(body.id)).toHaveLength(1);
    expect(notification.headers['content-type']).toBe('application/json');
    expect(notification.headers.link).toContain(ETSI_COMPOUND_CONTEXT);
    expect(notification.body.type).toBe('Notification');
    expect(notification.body.data).toHaveLength(1);
    expect(notification.body.data[0]).toMatchObject({
      id: 'urn:ngsi-ld:Building:w1',
      type: 'Building',
      airQualityLevel: { type: 'Property', value: 5 },
    });

    const status = await request(`${base}/subscriptions/${body.id}`, { headers: etsi });
    expect(status.body).toMatchObject({
      id: body.id,
      type: 'Subscription',
      status: 'active',
      isActive: true,
      watchedAttributes: ['airQualityLevel'],
      notification: { timesSent: 1, status: 'ok' },
    });
    expect(Date.parse(status.body.notification.lastNotification)).not.toBeNaN();
    expect(Date.parse(status.body.notification.lastSuccess)).not.toBeNaN();
  });

  it('notifies by geoQ in keyValues (ETSI geoQ body)', async () => {
    const body: Record<string, unknown> & { id: string } = {
      ...readShared('etsi-ngsi-ld-test-suite/data/subscriptions/csourceSubscription-geoQ.jsonld'),
      id: 'urn:ngsi-ld:Subscription:geo',
    };
    (body.notification as { endpoint: { uri: string } }).endpoint.uri = `${receiver.url}/geo`;
    expect((await request(`${base}/subscriptions`, { method: 'POST', headers: ld, body })).status).toBe(201);
    // 1.1 km and 11 km from [-8.52, 41.2] along the meridian (0.01 and 0.1 degrees of latitude).
    await request(`${base}/entities`, {
      method: 'POST',
      headers: etsi,
      body: building('urn:ngsi-ld:Building:g-near', 'Near', {
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-8.52, 41.21] } },
      }),
    });
    await request(`${base}/entities`, {
      method: 'POST',
      headers: etsi,
      body: building('urn:ngsi-ld:Building:g-far', 'Far', {
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-8.52, 41.3] } },
      }),
    });
    const notifications = await waitFor(() =>
      forSubscription(body.id).length ? forSubscription(body.id) : undefined,
    );
    await sleep(200);
    const ids = forSubscription(body.id).flatMap((record) =>
      record.body.data.map((entity: { id: string }) => entity.id),
    );
    expect(ids).toContain('urn:ngsi-ld:Building:g-near');
    expect(ids).not.toContain('urn:ngsi-ld:Building:g-far');
    expect(
      notifications[0].body.data.find(
        (entity: { id: string }) => entity.id === 'urn:ngsi-ld:Building:g-near',
      ),
    ).toMatchObject({
      name: 'Near',
      location: { type: 'Point', coordinates: [-8.52, 41.21] },
    });
  });

  it('sends ld+json with @context in the body and geo+json as a FeatureCollection, with only the asked attributes', async () => {
    for (const [suffix, accept] of [
      ['ld', 'application/ld+json'],
      ['geo', 'application/geo+json'],
    ]) {
      const created = await request(`${base}/subscriptions`, {
        method: 'POST',
        body: {
          id: `urn:ngsi-ld:Subscription:accept-${suffix}`,
          type: 'Subscription',
          entities: [{ type: 'Kiosk' }],
          notification: {
            attributes: ['stock'],
            format: 'normalized',
            endpoint: { uri: `${receiver.url}/${suffix}`, accept },
          },
        },
      });
      expect(created.status).toBe(201);
    }
    await request(`${base}/entities`, {
      method: 'POST',
      body: {
        id: 'urn:ngsi-ld:Kiosk:1',
        type: 'Kiosk',
        stock: { type: 'Property', value: 12 },
        owner: { type: 'Property', value: 'o' },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [1, 2] } },
      },
    });
    const [ldNotification] = await waitFor(() =>
      forSubscription('urn:ngsi-ld:Subscription:accept-ld').length
        ? forSubscription('urn:ngsi-ld:Subscription:accept-ld')
        : undefined,
    );
    expect(ldNotification.headers['content-type']).toBe('application/ld+json');
    expect(ldNotification.body['@context']).toBe(
      'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld',
    );
    expect(ldNotification.body.data).toEqual([
      { id: 'urn:ngsi-ld:Kiosk:1', type: 'Kiosk', stock: { type: 'Property', value: 12 } },
    ]);
    const [geoNotification] = await waitFor(() =>
      forSubscription('urn:ngsi-ld:Subscription:accept-geo').length
        ? forSubscription('urn:ngsi-ld:Subscription:accept-geo')
        : undefined,
    );
    expect(geoNotification.headers['content-type']).toBe('application/geo+json');
    expect(geoNotification.body.data).toEqual({
      type: 'FeatureCollection',
      features: [
        {
          id: 'urn:ngsi-ld:Kiosk:1',
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [1, 2] },
          properties: { type: 'Kiosk', stock: { type: 'Property', value: 12 } },
        },
      ],
    });
  });

  it('throttles, pauses with isActive=false and resumes after PATCH', async () => {
    const id = 'urn:ngsi-ld:Subscription:throttle';
    await request(`${base}/subscriptions`, {
      method: 'POST',
      body: {
        id,
        type: 'Subscription',
        entities: [{ type: 'Lamp' }],
        throttling: 2,
        notification: { format: 'keyValues', endpoint: { uri: `${receiver.url}/throttle` } },
      },
    });
    await request(`${base}/entities`, {
      method: 'POST',
      body: { id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', on: { type: 'Property', value: true } },
    });
    for (let index = 0; index < 5; index++) {
      await request(`${base}/entities/urn:ngsi-ld:Lamp:1/attrs`, {
        method: 'PATCH',
        body: { on: { type: 'Property', value: index % 2 === 0 } },
      });
    }
    await sleep(300);
    expect(forSubscription(id)).toHaveLength(1);

    expect(
      (
        await request(`${base}/subscriptions/${id}`, {
          method: 'PATCH',
          body: { isActive: false, throttling: 0 },
        })
      ).status,
    ).toBe(204);
    expect((await request(`${base}/subscriptions/${id}`)).body.status).toBe('paused');
    await request(`${base}/entities/urn:ngsi-ld:Lamp:1/attrs`, {
      method: 'PATCH',
      body: { on: { type: 'Property', value: false } },
    });
    await sleep(200);
    expect(forSubscription(id)).toHaveLength(1);
    expect(
      (await request(`${base}/subscriptions/${id}`, { method: 'PATCH', body: { isActive: true } })).status,
    ).toBe(204);
    await request(`${base}/entities/urn:ngsi-ld:Lamp:1/attrs`, {
      method: 'PATCH',
      body: { on: { type: 'Property', value: true } },
    });
    await waitFor(() => forSubscription(id).length === 2);
    expect(forSubscription(id)[1].body.data).toEqual([{ id: 'urn:ngsi-ld:Lamp:1', type: 'Lamp', on: true }]);
  });

  it('stops notifying once expiresAt has passed and reports the subscription expired', async () => {
    const id = 'urn:ngsi-ld:Subscription:expiring';
    const expiresAt = new Date(Date.now() + 600).toISOString();
    await request(`${base}/subscriptions`, {
      method: 'POST',
      body: {
        id,
        type: 'Subscription',
        entities: [{ type: 'Pump' }],
        expiresAt,
        notification: { endpoint: { uri: `${receiver.url}/expiring` } },
      },
    });
    await request(`${base}/entities`, {
      method: 'POST',
      body: { id: 'urn:ngsi-ld:Pump:1', type: 'Pump', flow: { type: 'Property', value: 1 } },
    });
    await waitFor(() => forSubscription(id).length === 1);
    expect((await request(`${base}/subscriptions/${id}`)).body.status).toBe('active');
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now() + 50));
    await request(`${base}/entities/urn:ngsi-ld:Pump:1/attrs`, {
      method: 'PATCH',
      body: { flow: { type: 'Property', value: 2 } },
    });
    await sleep(200);
    expect(forSubscription(id)).toHaveLength(1);
    expect((await request(`${base}/subscriptions/${id}`)).body.status).toBe('expired');
  });

  it('sends periodic notifications with timeInterval', async () => {
    const id = 'urn:ngsi-ld:Subscription:periodic';
    await request(`${base}/entities`, {
      method: 'POST',
      body: { id: 'urn:ngsi-ld:Clock:1', type: 'Clock', tick: { type: 'Property', value: 1 } },
    });
    await request(`${base}/subscriptions`, {
      method: 'POST',
      body: {
        id,
        type: 'Subscription',
        entities: [{ type: 'Clock' }],
        timeInterval: 0.3,
        notification: { endpoint: { uri: `${receiver.url}/periodic` } },
      },
    });
    await waitFor(() => forSubscription(id).length >= 2, 3000);
    expect(forSubscription(id)[0].body.data[0].id).toBe('urn:ngsi-ld:Clock:1');
    await request(`${base}/subscriptions/${id}`, { method: 'DELETE' });
  });

  it('keeps writes fast and other subscribers served while an endpoint is dead or slow, and reports the failure', async () => {
    const deadId = 'urn:ngsi-ld:Subscription:dead';
    const slowId = 'urn:ngsi-ld:Subscription:slow';
    const liveId = 'urn:ngsi-ld:Subscription:live';
    // Port 9 (discard) on loopback: nothing listens, connections are refused.
    await request(`${base}/subscriptions`, {
      method: 'POST',
      body: {
        id: deadId,
        type: 'Subscription',
        entities: [{ type: 'Meter' }],
        notification: { endpoint: { uri: 'http://127.0.0.1:9/notify' } },
      },
    });
    await request(`${base}/subscriptions`, {
      method: 'POST',
      body: {
        id: slowId,
        type: 'Subscription',
        entities: [{ type: 'Meter' }],
        notification: { endpoint: { uri: `${receiver.url}/slow` } },
      },
    });
    await request(`${base}/subscriptions`, {
      method: 'POST',
      body: {
        id: liveId,
        type: 'Subscription',
        entities: [{ type: 'Meter' }],
        notification: { endpoint: { uri: `${receiver.url}/live` } },
      },
    });
    const timings: number[] = [];
    for (let index = 0; index < 40; index++) {
      const started = performance.now();
      const response = await request(`${base}/entityOperations/upsert?options=update`, {
        method: 'POST',
        body: [
          {
            id: `urn:ngsi-ld:Meter:${index % 4}`,
            type: 'Meter',
            reading: { type: 'Property', value: index },
          },
        ],
      });
      timings.push(performance.now() - started);
      expect([201, 204]).toContain(response.status);
    }
    timings.sort((a, b) => a - b);
    // The slow endpoint holds each POST 5 s and the dead one refuses: neither may show in write latency.
    expect(timings[Math.floor(timings.length * 0.95)]).toBeLessThan(250);
    const live = await waitFor(() => {
      const ids = new Set(
        forSubscription(liveId).flatMap((record) =>
          record.body.data.map((entity: { reading: { value: number } }) => entity.reading.value),
        ),
      );
      return ids.has(39) ? ids : undefined;
    });
    expect(live.size).toBe(40);
    // Two attempts 50 ms apart, each refused at once: the failure shows within a second.
    let status: { notification: Record<string, unknown> } = { notification: {} };
    for (
      const end = Date.now() + 3000;
      Date.now() < end && status.notification.status !== 'failed';
      await sleep(50)
    ) {
      status = (await request(`${base}/subscriptions/${deadId}`)).body;
    }
    expect(status.notification.status).toBe('failed');
    expect(Date.parse(status.notification.lastFailure as string)).not.toBeNaN();
    expect(status.notification.lastSuccess).toBeUndefined();
    expect(status.notification.timesSent).toBeGreaterThanOrEqual(2);
  });

  it('lists, reads and deletes subscriptions', async () => {
    const list = await request(`${base}/subscriptions?limit=100&count=true`);
    expect(list.status).toBe(200);
    expect(Number(list.headers.get('ngsild-results-count'))).toBe(list.body.length);
    expect(list.body.map((subscription: { id: string }) => subscription.id)).toContain(
      'urn:ngsi-ld:Subscription:watch',
    );
    expect(
      (await request(`${base}/subscriptions/urn:ngsi-ld:Subscription:watch`, { method: 'DELETE' })).status,
    ).toBe(204);
    const gone = await request(`${base}/subscriptions/urn:ngsi-ld:Subscription:watch`);
    expect(gone.status).toBe(404);
    expect(gone.body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
  });

  const endpoint = { uri: 'http://127.0.0.1:1/n' };
  const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'no entities nor watchedAttributes',
      { type: 'Subscription', notification: { endpoint } },
      /entities or watchedAttributes/,
    ],
    [
      'a wrong type',
      { type: 'Subscriptions', entities: [{ type: 'A' }], notification: { endpoint } },
      /"Subscription"/,
    ],
    [
      'an entity selector without type',
      { type: 'Subscription', entities: [{ id: 'urn:a:b' }], notification: { endpoint } },
      /entities\[0\] needs a type/,
    ],
    ['no endpoint', { type: 'Subscription', entities: [{ type: 'A' }], notification: {} }, /endpoint/],
    [
      'an endpoint that is not http',
      { type: 'Subscription', entities: [{ type: 'A' }], notification: { endpoint: { uri: 'mqtt://x' } } },
      /endpoint\.uri/,
    ],
    [
      'an unknown accept',
      {
        type: 'Subscription',
        entities: [{ type: 'A' }],
        notification: { endpoint: { ...endpoint, accept: 'text/xml' } },
      },
      /accept/,
    ],
    [
      'an unknown format',
      { type: 'Subscription', entities: [{ type: 'A' }], notification: { format: 'fancy', endpoint } },
      /notification\.format/,
    ],
    [
      'expiresAt in the past',
      {
        type: 'Subscription',
        entities: [{ type: 'A' }],
        expiresAt: '2000-01-01T00:00:00Z',
        notification: { endpoint },
      },
      /in the past/,
    ],
    [
      'timeInterval with watchedAttributes',
      { type: 'Subscription', watchedAttributes: ['a'], timeInterval: 5, notification: { endpoint } },
      /timeInterval/,
    ],
    [
      'a bad q',
      { type: 'Subscription', entities: [{ type: 'A' }], q: 'a==', notification: { endpoint } },
      /q 'a=='/,
    ],
    [
      'a bad geoQ',
      {
        type: 'Subscription',
        entities: [{ type: 'A' }],
        geoQ: { georel: 'near', geometry: 'Point', coordinates: [1, 2] },
        notification: { endpoint },
      },
      /georel 'near'/,
    ],
    [
      'an id that is not a URI',
      { id: 'sub1', type: 'Subscription', entities: [{ type: 'A' }], notification: { endpoint } },
      /"sub1" is not a URI/,
    ],
  ];
  it.each(BAD)('refuses a subscription with %s (400 naming the member)', async (_name, body, detail) => {
    const response = await request(`${base}/subscriptions`, { method: 'POST', body });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/BadRequestData');
    expect(response.body.detail).toMatch(detail);
  });

  it('refuses a second subscription with the same id (409)', async () => {
    const body = {
      id: 'urn:ngsi-ld:Subscription:twice',
      type: 'Subscription',
      entities: [{ type: 'A' }],
      notification: { endpoint },
    };
    expect((await request(`${base}/subscriptions`, { method: 'POST', body })).status).toBe(201);
    const again = await request(`${base}/subscriptions`, { method: 'POST', body });
    expect(again.status).toBe(409);
    expect(again.body.type).toBe('https://uri.etsi.org/ngsi-ld/errors/AlreadyExists');
  });
});
