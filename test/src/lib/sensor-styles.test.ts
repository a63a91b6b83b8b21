import { describe, expect, it } from 'vitest';
import {
  classifyValue,
  colourEntity,
  findSensorStyle,
  isStale,
  UNKNOWN_COLOR,
} from '../../../src/lib/sensor-styles';

const entity = (
  type: string,
  values: Record<string, number | string | boolean | null>,
  observedAt?: string,
) => ({
  id: `urn:ngsi-ld:${type}:1`,
  type,
  values,
  units: {},
  relationships: {},
  observedAt,
});

describe('sensor-styles', () => {
  it('puts NO2 into the European Air Quality Index bands (40 fair, 90 moderate, 120 poor)', () => {
    const style = findSensorStyle('AirQualityObserved')!;
    expect(classifyValue(style, 39.9)?.label).toBe('good');
    expect(classifyValue(style, 40)?.label).toBe('fair');
    expect(classifyValue(style, 95)?.label).toBe('moderate');
    expect(classifyValue(style, 120)?.label).toBe('poor');
    expect(classifyValue(style, 400)?.label).toBe('extremely poor');
  });

  it('colours categorical states and leaves unknown states grey', () => {
    expect(colourEntity(entity('ParkingSpot', { status: 'occupied' })).band?.label).toBe('occupied');
    expect(colourEntity(entity('ParkingSpot', { status: 'teleported' })).color).toBe(UNKNOWN_COLOR);
  });

  it('gives odd or missing values and unknown types the unknown colour', () => {
    expect(colourEntity(entity('NoiseLevelObserved', { LAeq: 'loud' })).color).toBe(UNKNOWN_COLOR);
    expect(colourEntity(entity('NoiseLevelObserved', {})).color).toBe(UNKNOWN_COLOR);
    expect(colourEntity(entity('Spaceship', { speed: 3 })).color).toBe(UNKNOWN_COLOR);
  });

  it('marks values older than 15 minutes as stale', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0);
    expect(isStale({ observedAt: '2026-11-26T11:50:00Z' }, now)).toBe(false);
    expect(isStale({ observedAt: '2026-11-26T11:40:00Z' }, now)).toBe(true);
    expect(isStale({ observedAt: undefined }, now)).toBe(false);
  });
});
