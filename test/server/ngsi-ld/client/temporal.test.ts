// History through a separate temporal service, as Orion-LD deployments have it (Mintaka): the broker behaves like
// Orion-LD, a second embedded broker plays the temporal service and holds the only history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgsiLdClient } from '../../../../server/ngsi-ld/client';
import { startProfileBroker, type ProfileBroker } from './helpers';

const ID = 'urn:ngsi-ld:HistorySensor:1';
const observation = (value: number, observedAt: string) => ({
  id: ID,
  type: 'HistorySensor',
  temperature: { type: 'Property', value, observedAt },
});

describe('NgsiLdClient temporal queries', () => {
  let broker: ProfileBroker;
  let temporal: ProfileBroker;

  beforeAll(async () => {
    [broker, temporal] = await Promise.all([startProfileBroker('orion-ld'), startProfileBroker('standard')]);
    const writer = new NgsiLdClient({ url: temporal.base });
    for (const [value, time] of [
      [20, '2024-05-01T10:00:00Z'],
      [21, '2024-05-01T11:00:00Z'],
      [23, '2024-05-01T12:00:00Z'],
    ] as const)
      await writer.batchUpsert([observation(value, time)]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([broker?.close(), temporal?.close()]);
  });

  it('reads the history from the temporal service URL, not from the broker', async () => {
    const client = new NgsiLdClient({ url: broker.base, temporalUrl: temporal.base });
    expect(await client.getEntity(ID)).toBeUndefined();
    const history = await client.getTemporalEntity(ID, {
      timerel: 'between',
      timeAt: '2024-05-01T00:00:00Z',
      endTimeAt: '2024-05-02T00:00:00Z',
      attrs: ['temperature'],
      format: 'temporalValues',
    });
    const values = (history?.temperature as { values: Array<[number, string]> }).values;
    expect(values.map(([value, time]) => [value, Date.parse(time)])).toEqual([
      [20, Date.parse('2024-05-01T10:00:00Z')],
      [21, Date.parse('2024-05-01T11:00:00Z')],
      [23, Date.parse('2024-05-01T12:00:00Z')],
    ]);
    const all = await client.queryTemporal({
      timerel: 'after',
      timeAt: '2024-05-01T10:30:00Z',
      type: 'HistorySensor',
    });
    expect(all.map((entity) => entity.id)).toEqual([ID]);
    // Normalized history: one instance per observation after 10:30.
    expect((all[0].temperature as unknown[]).length).toBe(2);
  });

  it('refuses history on an Orion-LD broker without a temporal service URL', async () => {
    const client = new NgsiLdClient({ url: broker.base });
    await expect(
      client.getTemporalEntity(ID, { timerel: 'after', timeAt: '2024-05-01T00:00:00Z' }),
    ).rejects.toMatchObject({ kind: 'not-implemented' });
    expect(
      await new NgsiLdClient({ url: temporal.base }).getTemporalEntity('urn:ngsi-ld:HistorySensor:none', {
        timerel: 'after',
        timeAt: '2024-05-01T00:00:00Z',
      }),
    ).toBeUndefined();
  });
});
