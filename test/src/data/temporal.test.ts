import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchAttributeHistory, readTemporalValues } from '../../../src/data/temporal';
import { isAbortError } from '../../../src/data/errors';
import { NgsiLdClient } from '../../../server/ngsi-ld/client';
import { startProfileBroker, type ProfileBroker } from '../../server/ngsi-ld/client/helpers';

describe('readTemporalValues', () => {
  it('reads [value, time] pairs, sorted by time, from one attribute or several dataset instances', () => {
    const points = readTemporalValues([
      { type: 'Property', values: [[20, '2026-11-26T10:00:00Z'], [18.5, '2026-11-26T09:00:00Z']] },
      { type: 'Property', datasetId: 'urn:ngsi-ld:Dataset:b', values: [[21, '2026-11-26T11:00:00Z']] },
    ]);
    expect(points).toEqual([
      { time: Date.UTC(2026, 10, 26, 9), value: 18.5 },
      { time: Date.UTC(2026, 10, 26, 10), value: 20 },
      { time: Date.UTC(2026, 10, 26, 11), value: 21 },
    ]);
  });

  it('skips pairs with a non-numeric value or an unreadable time', () => {
    expect(
      readTemporalValues({ values: [['high', '2026-11-26T10:00:00Z'], [3, 'yesterday'], [4, '2026-11-26T10:00:00Z']] }),
    ).toEqual([{ time: Date.UTC(2026, 10, 26, 10), value: 4 }]);
  });

  it('returns nothing for an attribute that is missing or has no values', () => {
    expect(readTemporalValues(undefined)).toEqual([]);
    expect(readTemporalValues({ type: 'Property' })).toEqual([]);
  });
});

describe('fetchAttributeHistory', () => {
  let broker: ProfileBroker;
  const id = 'urn:ngsi-ld:ChartSensor:1';

  beforeAll(async () => {
    broker = await startProfileBroker();
    const client = new NgsiLdClient({ url: broker.base });
    for (const [value, time] of [
      [5, '2026-11-26T08:00:00Z'],
      [7, '2026-11-26T09:00:00Z'],
      [6, '2026-11-26T10:00:00Z'],
    ] as const)
      await client.batchUpsert([
        { id, type: 'ChartSensor', temperature: { type: 'Property', value, observedAt: time } },
      ]);
  }, 30_000);

  afterAll(async () => {
    await broker?.close();
  });

  it('reads the history of one attribute between two instants through the NGSI-LD client', async () => {
    const points = await fetchAttributeHistory(
      broker.base,
      id,
      'temperature',
      new Date('2026-11-26T08:30:00Z'),
      new Date('2026-11-26T12:00:00Z'),
    );
    expect(points).toEqual([
      { time: Date.parse('2026-11-26T09:00:00Z'), value: 7 },
      { time: Date.parse('2026-11-26T10:00:00Z'), value: 6 },
    ]);
  });

  it('returns no points for an entity the broker does not know and an AbortError when cancelled', async () => {
    const from = new Date('2026-11-26T00:00:00Z');
    const to = new Date('2026-11-27T00:00:00Z');
    expect(await fetchAttributeHistory(broker.base, 'urn:ngsi-ld:ChartSensor:none', 'temperature', from, to)).toEqual(
      [],
    );
    const controller = new AbortController();
    controller.abort();
    const error = await fetchAttributeHistory(broker.base, id, 'temperature', from, to, controller.signal).catch(
      (reason: unknown) => reason,
    );
    expect(isAbortError(error)).toBe(true);
  });
});
