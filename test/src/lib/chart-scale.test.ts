import { describe, expect, it } from 'vitest';
import { linearScale, niceTicks, timeTicks } from '../../../src/lib/chart-scale';

describe('chart-scale', () => {
  it('maps a domain onto a range, reversed ranges included', () => {
    const scale = linearScale(0, 50, 100, 0);
    expect(scale(0)).toBe(100);
    expect(scale(25)).toBe(50);
    expect(scale(50)).toBe(0);
  });

  it('returns round ticks inside the domain', () => {
    expect(niceTicks(0, 100, 4)).toEqual([0, 50, 100]);
    expect(niceTicks(12.3, 47.9, 4)).toEqual([20, 30, 40]);
    expect(niceTicks(0.01, 0.09, 4)).toEqual([0.02, 0.04, 0.06, 0.08]);
  });

  it('returns hourly ticks for a six-hour window', () => {
    const from = Date.UTC(2026, 10, 26, 6, 30);
    const to = Date.UTC(2026, 10, 26, 12, 30);
    expect(timeTicks(from, to, 6).map((time) => new Date(time).getUTCHours())).toEqual([7, 8, 9, 10, 11, 12]);
  });
});
