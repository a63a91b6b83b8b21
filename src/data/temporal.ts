// Reads an attribute's history from the NGSI-LD temporal API (temporalValues representation), through Plaza's one
// NGSI-LD client (isomorphic: fetch, AbortController and URL only).
import { NgsiLdClient } from '../../server/ngsi-ld/client';

/** One observation: time (ms since epoch) and value. */
export interface TimePoint {
  time: number;
  value: number;
}

/** One client per API root, so that its settings are made once. */
const CLIENTS = new Map<string, NgsiLdClient>();

function clientFor(brokerUrl: string): NgsiLdClient {
  const url = new URL(brokerUrl, globalThis.location?.href).href.replace(/\/+$/, '');
  let client = CLIENTS.get(url);
  if (!client) {
    // The API root serves the temporal API itself (Plaza's broker does): naming it skips discovery.
    client = new NgsiLdClient({ url, temporalUrl: url, retries: 1 });
    CLIENTS.set(url, client);
  }
  return client;
}

/**
 * Fetches the numeric history of one attribute between two instants; none for an entity the broker does not know.
 * @param brokerUrl - the NGSI-LD API root (Plaza serves one at `/ngsi-ld/v1`)
 * @throws NgsiLdClientError when the broker fails (its `kind` and message say how); an AbortError when `signal` aborts
 */
export async function fetchAttributeHistory(
  brokerUrl: string,
  entityId: string,
  attribute: string,
  from: Date,
  to: Date,
  signal?: AbortSignal,
): Promise<TimePoint[]> {
  const entity = await clientFor(brokerUrl).getTemporalEntity(
    entityId,
    {
      timerel: 'between',
      timeAt: from.toISOString(),
      endTimeAt: to.toISOString(),
      attrs: [attribute],
      format: 'temporalValues',
      lastN: 5000,
    },
    signal,
  );
  return entity ? readTemporalValues(entity[attribute]) : [];
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
