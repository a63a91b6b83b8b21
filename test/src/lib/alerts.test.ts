import { describe, expect, it } from 'vitest';
import { AlertTracker, describeRule, matchesRule, type AlertRule } from '../../../src/lib/alerts';

const rule: AlertRule = {
  id: 'r1',
  type: 'AirQualityObserved',
  attribute: 'no2',
  comparison: 'above',
  threshold: 120,
};
const station = (no2: number | string | null, id = 'urn:ngsi-ld:AirQualityObserved:1') => ({
  id,
  type: 'AirQualityObserved',
  values: { no2 },
  units: {},
  relationships: {},
});

describe('alerts', () => {
  it("matches only the rule's type, and compares numbers strictly", () => {
    expect(matchesRule(rule, station(121))).toBe(true);
    expect(matchesRule(rule, station(120))).toBe(false);
    expect(matchesRule(rule, station('150'))).toBe(false);
    expect(matchesRule(rule, { ...station(500), type: 'NoiseLevelObserved' })).toBe(false);
    expect(
      matchesRule(
        { ...rule, comparison: 'equals', threshold: 'occupied', attribute: 'status', type: 'ParkingSpot' },
        {
          id: 'p',
          type: 'ParkingSpot',
          values: { status: 'occupied' },
          units: {},
          relationships: {},
        },
      ),
    ).toBe(true);
  });

  it('fires when an entity enters the range, stays quiet while it stays, and fires again after it left', () => {
    const tracker = new AlertTracker();
    expect(tracker.check([rule], [station(100)], 1)).toEqual([]);
    expect(tracker.check([rule], [station(130)], 2)).toEqual([
      { ruleId: 'r1', entityId: 'urn:ngsi-ld:AirQualityObserved:1', value: 130, time: 2 },
    ]);
    expect(tracker.check([rule], [station(140)], 3)).toEqual([]);
    expect([...tracker.activeEntities()]).toEqual(['urn:ngsi-ld:AirQualityObserved:1']);
    expect(tracker.check([rule], [station(90)], 4)).toEqual([]);
    expect(tracker.activeEntities().size).toBe(0);
    expect(tracker.check([rule], [station(125)], 5)).toHaveLength(1);
  });

  it('fires afresh for an entity it was told to forget', () => {
    const tracker = new AlertTracker();
    tracker.check([rule], [station(130)], 1);
    tracker.forget((_, entityId) => entityId.endsWith(':1'));
    expect(tracker.check([rule], [station(130)], 2)).toHaveLength(1);
  });

  it('describes a rule as a sentence', () => {
    expect(describeRule(rule)).toBe('AirQualityObserved no2 above 120');
  });
});
