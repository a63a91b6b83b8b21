import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ETSI_COMPOUND_CONTEXT,
  linkTo,
  readShared,
  request,
  startTestBroker,
  type TestBroker,
} from '../helpers';

const EXPECTATIONS = 'etsi-ngsi-ld-test-suite/data/temporalEntities';
const etsi = { link: linkTo(ETSI_COMPOUND_CONTEXT) };

/** Writes the ETSI vehicle history: fuelLevel 67/53/40 at 12:03/13:05/14:07, speed 120/80/100 at 12:03/12:05/12:07. */
async function writeVehicle(base: string, id: string): Promise<void> {
  const at = (time: string) => `2020-08-01T${time}:00Z`;
  const created = await request(`${base}/entities`, {
    method: 'POST',
    headers: etsi,
    body: {
      id,
      type: 'Vehicle',
      fuelLevel: { type: 'Property', value: 67, observedAt: at('12:03') },
      speed: { type: 'Property', value: 120, observedAt: at('12:03') },
    },
  });
  expect(created.status).toBe(201);
  const updates: Array<[string, number, string]> = [
    ['speed', 80, '12:05'],
    ['speed', 100, '12:07'],
    ['fuelLevel', 53, '13:05'],
    ['fuelLevel', 40, '14:07'],
  ];
  for (const [attribute, value, time] of updates) {
    const response = await request(`${base}/entities/${id}/attrs`, {
      method: 'PATCH',
      headers: etsi,
      body: { [attribute]: { type: 'Property', value, observedAt: at(time) } },
    });
    expect(response.status).toBe(204);
  }
}

describe('broker temporal', () => {
  let broker: TestBroker;
  let base = '';
  beforeAll(async () => {
    broker = await startTestBroker();
    base = broker.base;
    await writeVehicle(base, 'urn:ngsi-ld:Vehicle:randomUUID');
    await writeVehicle(base, 'urn:ngsi-ld:Vehicle:4656271219750725');
  });
  afterAll(async () => {
    await broker.close();
  });

  it('answers temporalValues like the ETSI expectation', async () => {
    const expectation = readShared(
      `${EXPECTATIONS}/2020-08-vehicle-temporal-representation-temporal-values.json`,
    );
    const response = await request(
      `${base}/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?options=temporalValues&timerel=after&timeAt=2020-08-01T12:00:00Z`,
      { headers: etsi },
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual(expectation);
  });

  it('answers aggregatedValues (avg, max per PT1H) like the ETSI expectation', async () => {
    const expectation = readShared(
      `${EXPECTATIONS}/vehicle-temporal-representation-aggregated-avg-max-PT1H.json`,
    );
    const response = await request(
      `${base}/temporal/entities/urn:ngsi-ld:Vehicle:4656271219750725?options=aggregatedValues&aggrMethods=avg,max&aggrPeriodDuration=PT1H&timerel=after&timeAt=2020-08-01T12:03:00Z`,
      { headers: etsi },
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual(expectation);
  });

  it('answers a VocabProperty history like the simplified ETSI expectation', async () => {
    const expectation = readShared(
      `${EXPECTATIONS}/vehicle-vocab-property-simplified-temporal-representation.json`,
    );
    const id = 'urn:ngsi-ld:Vehicle:vocab';
    const vocabs: Array<[unknown, string]> = [
      ['monument', '12:03'],
      ['sightseeing', '12:05'],
      [['monument', 'sightseeing'], '12:07'],
    ];
    await request(`${base}/entities`, {
      method: 'POST',
      headers: etsi,
      body: {
        id,
        type: 'Vehicle',
        vocabProperty: {
          type: 'VocabProperty',
          vocab: vocabs[0][0],
          observedAt: `2020-08-01T${vocabs[0][1]}:00Z`,
        },
      },
    });
    for (const [vocab, time] of vocabs.slice(1)) {
      await request(`${base}/entities/${id}/attrs`, {
        method: 'PATCH',
        headers: etsi,
        body: { vocabProperty: { type: 'VocabProperty', vocab, observedAt: `2020-08-01T${time}:00Z` } },
      });
    }
    const response = await request(
      `${base}/temporal/entities/${id}?format=simplified&timerel=before&timeAt=2021-01-01T00:00:00Z`,
      { headers: etsi },
    );
    expect(response.body).toEqual({ ...expectation, id });
  });

  it('answers the normalized history with every instance and its observedAt', async () => {
    const response = await request(
      `${base}/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?attrs=speed&timerel=before&timeAt=2020-08-01T12:06:00Z`,
      {
        headers: etsi,
      },
    );
    expect(response.body).toEqual({
      id: 'urn:ngsi-ld:Vehicle:randomUUID',
      type: 'Vehicle',
      speed: [
        { type: 'Property', value: 120, observedAt: '2020-08-01T12:03:00Z' },
        { type: 'Property', value: 80, observedAt: '2020-08-01T12:05:00Z' },
      ],
    });
  });

  it('selects with between and lastN', async () => {
    const between = await request(
      `${base}/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?options=temporalValues&timerel=between&timeAt=2020-08-01T12:04:00Z&endTimeAt=2020-08-01T13:30:00Z`,
      { headers: etsi },
    );
    expect(between.body.speed.values).toEqual([
      [80, '2020-08-01T12:05:00Z'],
      [100, '2020-08-01T12:07:00Z'],
    ]);
    expect(between.body.fuelLevel.values).toEqual([[53, '2020-08-01T13:05:00Z']]);
    const last = await request(
      `${base}/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?options=temporalValues&lastN=1`,
      { headers: etsi },
    );
    expect(last.body.speed.values).toEqual([[100, '2020-08-01T12:07:00Z']]);
    expect(last.body.fuelLevel.values).toEqual([[40, '2020-08-01T14:07:00Z']]);
  });

  it('computes sum, min, totalCount over the whole range without a period', async () => {
    const response = await request(
      `${base}/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?options=aggregatedValues&aggrMethods=sum,min,totalCount&attrs=speed&timerel=after&timeAt=2020-08-01T12:00:00Z`,
      { headers: etsi },
    );
    expect(response.body.speed.sum[0][0]).toBe(300);
    expect(response.body.speed.min[0][0]).toBe(80);
    expect(response.body.speed.totalCount[0][0]).toBe(3);
  });

  it('queries the history of all entities of a type', async () => {
    const response = await request(
      `${base}/temporal/entities?type=Vehicle&attrs=fuelLevel&lastN=1&options=temporalValues`,
      { headers: etsi },
    );
    expect(response.status).toBe(200);
    expect(response.body.map((entity: { id: string }) => entity.id)).toEqual([
      'urn:ngsi-ld:Vehicle:4656271219750725',
      'urn:ngsi-ld:Vehicle:randomUUID',
    ]);
    const posted = await request(`${base}/temporal/entityOperations/query?options=temporalValues`, {
      method: 'POST',
      headers: etsi,
      body: {
        type: 'Query',
        entities: [{ type: 'Vehicle' }],
        attrs: ['speed'],
        temporalQ: { timerel: 'after', timeAt: '2020-08-01T12:06:00Z' },
      },
    });
    expect(posted.body.map((entity: { speed: { values: unknown[] } }) => entity.speed.values)).toEqual([
      [[100, '2020-08-01T12:07:00Z']],
      [[100, '2020-08-01T12:07:00Z']],
    ]);
  });

  const BAD: Array<[string, number, RegExp]> = [
    ['/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?timerel=after', 400, /timeAt/],
    [
      '/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?timerel=around&timeAt=2020-08-01T12:00:00Z',
      400,
      /timerel 'around'/,
    ],
    [
      '/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?timerel=between&timeAt=2020-08-01T12:00:00Z',
      400,
      /endTimeAt/,
    ],
    [
      '/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?options=aggregatedValues&aggrMethods=median&lastN=2',
      400,
      /aggrMethods 'median'/,
    ],
    [
      '/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1h&lastN=2',
      400,
      /aggrPeriodDuration '1h'/,
    ],
    ['/temporal/entities/urn:ngsi-ld:Vehicle:randomUUID?lastN=0', 400, /lastN '0'/],
    ['/temporal/entities?type=Vehicle', 400, /timerel and timeAt, or lastN/],
    ['/temporal/entities/urn:ngsi-ld:Vehicle:none?lastN=1', 404, /urn:ngsi-ld:Vehicle:none/],
  ];
  it.each(BAD)('answers %s with %i naming the problem', async (path, status, detail) => {
    const response = await request(`${base}${path}`, { headers: etsi });
    expect(response.status).toBe(status);
    expect(response.body.detail).toMatch(detail);
  });
});

describe('broker temporal retention', () => {
  it('prunes history older than the retention when the broker starts', async () => {
    // 0.00001 days = 0.864 s.
    const first = await startTestBroker({ historyRetentionDays: 0.00001 });
    await request(`${first.base}/entities`, {
      method: 'POST',
      body: { id: 'urn:ngsi-ld:T:r', type: 'T', a: { type: 'Property', value: 1 } },
    });
    expect((await request(`${first.base}/temporal/entities/urn:ngsi-ld:T:r?lastN=5`)).body.a).toHaveLength(1);
    await first.close(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const second = await startTestBroker({ historyRetentionDays: 0.00001, directory: first.directory });
    const response = await request(`${second.base}/temporal/entities/urn:ngsi-ld:T:r?lastN=5`);
    expect(response.body.a).toBeUndefined();
    expect((await request(`${second.base}/entities/urn:ngsi-ld:T:r`)).status).toBe(200);
    await second.close();
  });
});
