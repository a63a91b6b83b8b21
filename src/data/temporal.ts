// Reads an attribute's history from the NGSI-LD temporal API (temporalValues representation).
import { fetchJson } from './errors';

/** One observation: time (ms since epoch) and value. */
export interface TimePoint {
  time: number;
  value: number;
}

/**
 * Fetches the numeric history of one attribute between two instants.
 * @param brokerUrl - the NGSI-LD API root (Plaza serves one at `/ngsi-ld/v1`)
 * @throws ResponseError | NetworkError
 */
export async function fetchAttributeHistory(
  brokerUrl: string,
  entityId: string,
  attribute: string,
  from: Date,
  to: Date,
  signal?: AbortSignal,
): Promise<TimePoint[]> {
  const url = new URL(`${brokerUrl}/temporal/entities/${encodeURIComponent(entityId)}`, globalThis.location?.href);
  url.searchParams.set('timerel', 'between');
  url.searchParams.set('timeAt', from.toISOString());
  url.searchParams.set('endTimeAt', to.toISOString());
  url.searchParams.set('attrs', attribute);
  url.searchParams.set('options', 'temporalValues');
  url.searchParams.set('lastN', '5000');
  const body = await fetchJson<Record<string, unknown>>(url.href, { signal });
  return readTemporalValues(body[attribute]);
}

/**
 * Turns an attribute of a temporalValues answer into time points. Accepts one attribute object or a list of them
 * (one per datasetId); pairs whose value is not a number or whose time does not parse are skipped.
 */
export function readTemporalValues(attribute: unknown): TimePoint[] {
  const instances = Array.isArray(attribute) ? attribute : [attribute];
  const points: TimePoint[] = [];
  for (const instance of instances) {
    const values = (instance as { values?: unknown } | undefined)?.values;
    if (!Array.isArray(values)) continue;
    for (const pair of values) {
      if (!Array.isArray(pair)) continue;
      const [value, time] = pair as [unknown, unknown];
      const parsed = typeof time === 'string' ? Date.parse(time) : Number.NaN;
      if (typeof value === 'number' && Number.isFinite(value) && Number.isFinite(parsed)) {
        points.push({ time: parsed, value });
      }
    }
  }
  return points.sort((a, b) => a.time - b.time);
}
