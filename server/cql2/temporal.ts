// CQL2 temporal semantics: instants as epoch milliseconds, and the T_* relations as endpoint comparisons that the
// evaluator and the SQL translation share, so both give the same answer (including on NULL endpoints).

/** An interval endpoint: `s1`/`e1` of the first argument, `s2`/`e2` of the second. */
export type TemporalEndpoint = 's1' | 'e1' | 's2' | 'e2';
export type TemporalComparison = [TemporalEndpoint, '<' | '=' | '>' | '<=' | '>=', TemporalEndpoint];

/**
 * Each T_* function as comparisons of interval endpoints (Allen's interval algebra, as CQL2 1.0 §7.8 defines
 * them). An instant is the degenerate interval [t, t]; an open end `'..'` is −∞ or +∞. All comparisons must hold
 * (`and`), except for `t_disjoint`, where one suffices (`or`).
 */
export const TEMPORAL_RELATIONS: Record<
  string,
  { combine: 'and' | 'or'; comparisons: TemporalComparison[] }
> = {
  t_after: { combine: 'and', comparisons: [['s1', '>', 'e2']] },
  t_before: { combine: 'and', comparisons: [['e1', '<', 's2']] },
  t_contains: {
    combine: 'and',
    comparisons: [
      ['s1', '<', 's2'],
      ['e1', '>', 'e2'],
    ],
  },
  t_disjoint: {
    combine: 'or',
    comparisons: [
      ['e1', '<', 's2'],
      ['s1', '>', 'e2'],
    ],
  },
  t_during: {
    combine: 'and',
    comparisons: [
      ['s1', '>', 's2'],
      ['e1', '<', 'e2'],
    ],
  },
  t_equals: {
    combine: 'and',
    comparisons: [
      ['s1', '=', 's2'],
      ['e1', '=', 'e2'],
    ],
  },
  t_finishedBy: {
    combine: 'and',
    comparisons: [
      ['s1', '<', 's2'],
      ['e1', '=', 'e2'],
    ],
  },
  t_finishes: {
    combine: 'and',
    comparisons: [
      ['s1', '>', 's2'],
      ['e1', '=', 'e2'],
    ],
  },
  t_intersects: {
    combine: 'and',
    comparisons: [
      ['s1', '<=', 'e2'],
      ['e1', '>=', 's2'],
    ],
  },
  t_meets: { combine: 'and', comparisons: [['e1', '=', 's2']] },
  t_metBy: { combine: 'and', comparisons: [['s1', '=', 'e2']] },
  t_overlappedBy: {
    combine: 'and',
    comparisons: [
      ['s1', '>', 's2'],
      ['s1', '<', 'e2'],
      ['e1', '>', 'e2'],
    ],
  },
  t_overlaps: {
    combine: 'and',
    comparisons: [
      ['s1', '<', 's2'],
      ['e1', '>', 's2'],
      ['e1', '<', 'e2'],
    ],
  },
  t_startedBy: {
    combine: 'and',
    comparisons: [
      ['s1', '=', 's2'],
      ['e1', '>', 'e2'],
    ],
  },
  t_starts: {
    combine: 'and',
    comparisons: [
      ['s1', '=', 's2'],
      ['e1', '<', 'e2'],
    ],
  },
};

const INSTANT_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Epoch milliseconds (fraction kept for microseconds) of an RFC 3339 date or date-time; a date is its day's
 * 00:00:00Z and a date-time without offset is read as UTC (as SQLite does). Undefined when `text` is neither.
 */
export function parseInstant(text: string): number | undefined {
  const match = INSTANT_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const values = [year, month, day, hour, minute, second].map(Number);
  if (
    values[1] < 1 ||
    values[1] > 12 ||
    values[2] < 1 ||
    values[3] > 23 ||
    values[4] > 59 ||
    values[5] > 60
  ) {
    return undefined;
  }
  let time = Date.UTC(values[0], values[1] - 1, values[2], values[3], values[4], values[5]);
  if (new Date(Date.UTC(values[0], values[1] - 1, values[2])).getUTCDate() !== values[2]) return undefined;
  if (fraction) time += Number(fraction) * 1000;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return time;
}
