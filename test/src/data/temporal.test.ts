import { describe, expect, it } from 'vitest';
import { readTemporalValues } from '../../../src/data/temporal';

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
