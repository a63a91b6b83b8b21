// The temporal API (clause 5.7.3/5.7.4): attribute history from the tenant's history table, in the normalized,
// temporalValues and aggregatedValues representations, with timerel, lastN and aggregation periods.
import type { NgsiLdContext } from './context';
import { attributeValue, isDateTime, type StoredAttribute } from './entity';
import { badRequestData, resourceNotFound } from './errors';
import type { TenantStore } from './store';

/** Aggregation methods of clause 4.5.19. */
export const AGGREGATION_METHODS = [
  'totalCount',
  'distinctCount',
  'sum',
  'avg',
  'min',
  'max',
  'stddev',
  'sumsq',
] as const;
export type AggregationMethod = (typeof AGGREGATION_METHODS)[number];

/** A parsed temporal query. */
export interface TemporalQuery {
  timerel?: 'before' | 'after' | 'between';
  timeAt?: string;
  endTimeAt?: string;
  /** observedAt (default), createdAt or modifiedAt. */
  timeProperty: 'observedAt' | 'createdAt' | 'modifiedAt';
  lastN?: number;
  /** Expanded attribute IRIs, or all. */
  attributes?: string[];
  representation: 'normalized' | 'temporalValues' | 'aggregatedValues';
  aggrMethods?: AggregationMethod[];
  /** Milliseconds; 0 means one period over the whole range. */
  aggrPeriodMs: number;
}

/**
 * Reads the temporal parameters of a request.
 * @throws ApiError 400 BadRequestData naming the parameter
 */
export function parseTemporalQuery(
  parameters: Record<string, string | undefined>,
  options: Set<string>,
  context: NgsiLdContext,
): TemporalQuery {
  const { timerel, timeAt, endTimeAt, lastN, aggrMethods, aggrPeriodDuration, timeproperty, attrs } =
    parameters;
  const query: TemporalQuery = {
    timeProperty: 'observedAt',
    representation: options.has('aggregatedValues')
      ? 'aggregatedValues'
      : options.has('temporalValues')
        ? 'temporalValues'
        : 'normalized',
    aggrPeriodMs: 0,
  };
  if (parameters.format === 'temporalValues' || parameters.format === 'simplified')
    query.representation = 'temporalValues';
  if (parameters.format === 'aggregatedValues') query.representation = 'aggregatedValues';
  if (timerel !== undefined) {
    if (timerel !== 'before' && timerel !== 'after' && timerel !== 'between') {
      throw badRequestData(`timerel '${timerel}' is not before, after or between`);
    }
    if (!isDateTime(timeAt))
      throw badRequestData(
        `timerel=${timerel} needs timeAt as a date-time, not ${JSON.stringify(timeAt ?? null)}`,
      );
    if (timerel === 'between') {
      if (!isDateTime(endTimeAt)) throw badRequestData('timerel=between needs endTimeAt as a date-time');
      if (Date.parse(endTimeAt) <= Date.parse(timeAt)) throw badRequestData('endTimeAt must be after timeAt');
    }
    query.timerel = timerel;
    query.timeAt = new Date(timeAt).toISOString();
    if (endTimeAt) query.endTimeAt = new Date(endTimeAt).toISOString();
  } else if (timeAt !== undefined || endTimeAt !== undefined) {
    throw badRequestData('timeAt and endTimeAt need timerel');
  }
  if (timeproperty !== undefined) {
    if (timeproperty !== 'observedAt' && timeproperty !== 'createdAt' && timeproperty !== 'modifiedAt') {
      throw badRequestData(`timeproperty '${timeproperty}' is not observedAt, createdAt or modifiedAt`);
    }
    query.timeProperty = timeproperty;
  }
  if (lastN !== undefined) {
    if (!/^\d+$/.test(lastN) || Number(lastN) < 1)
      throw badRequestData(`lastN '${lastN}' is not a positive integer`);
    query.lastN = Number(lastN);
  }
  if (attrs !== undefined) query.attributes = attrs.split(',').map((name) => context.expandTerm(name.trim()));
  if (query.representation === 'aggregatedValues') {
    if (!aggrMethods) throw badRequestData('aggregatedValues needs aggrMethods');
    const methods = aggrMethods.split(',').map((method) => method.trim());
    for (const method of methods) {
      if (!AGGREGATION_METHODS.includes(method as AggregationMethod)) {
        throw badRequestData(`aggrMethods '${method}' is not one of ${AGGREGATION_METHODS.join(', ')}`);
      }
    }
    query.aggrMethods = methods as AggregationMethod[];
    if (aggrPeriodDuration !== undefined) query.aggrPeriodMs = parseDuration(aggrPeriodDuration);
  }
  return query;
}

/**
 * Parses an ISO 8601 duration (months count 30 days, years 365).
 * @throws ApiError 400 when it is not one
 */
export function parseDuration(text: string): number {
  const match =
    /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text,
    );
  if (!match || text === 'P' || text.endsWith('T'))
    throw badRequestData(`aggrPeriodDuration '${text}' is not an ISO 8601 duration`);
  const [, years, months, weeks, days, hours, minutes, seconds] = match.map((part) => Number(part ?? 0));
  const dayMs = 86_400_000;
  return (
    years * 365 * dayMs +
    months * 30 * dayMs +
    weeks * 7 * dayMs +
    days * dayMs +
    hours * 3_600_000 +
    minutes * 60_000 +
    seconds * 1000
  );
}

interface HistoryInstance {
  attribute: string;
  time: string;
  instance: StoredAttribute;
}

/** The temporal representation of one entity, or undefined when it has no history matching the query. */
export function readTemporalEntity(
  store: TenantStore,
  id: string,
  query: TemporalQuery,
  context: NgsiLdContext,
): Record<string, unknown> | undefined {
  const entityRow = store.database
    .prepare<[string], { types: string }>('SELECT types FROM temporal_entities WHERE id = ?')
    .get(id);
  if (!entityRow) return undefined;
  const timeColumn =
    query.timeProperty === 'observedAt' ? 'COALESCE(observed_at, recorded_at)' : 'recorded_at';
  const conditions = ['entity_id = ?'];
  const parameters: unknown[] = [id];
  if (query.attributes) {
    conditions.push(`attribute IN (${query.attributes.map(() => '?').join(',')})`);
    parameters.push(...query.attributes);
  }
  // Times are compared as instants: stored observedAt may carry any zone, so compare through julianday.
  if (query.timerel === 'before') {
    conditions.push(`julianday(${timeColumn}) < julianday(?)`);
    parameters.push(query.timeAt);
  } else if (query.timerel === 'after') {
    conditions.push(`julianday(${timeColumn}) >= julianday(?)`);
    parameters.push(query.timeAt);
  } else if (query.timerel === 'between') {
    conditions.push(`julianday(${timeColumn}) >= julianday(?) AND julianday(${timeColumn}) < julianday(?)`);
    parameters.push(query.timeAt, query.endTimeAt);
  }
  const rows = store.database
    .prepare(
      `SELECT attribute, ${timeColumn} AS time, instance FROM history WHERE ${conditions.join(' AND ')} ORDER BY julianday(${timeColumn}), rowid`,
    )
    .all(...parameters) as Array<{ attribute: string; time: string; instance: string }>;
  const byAttribute = new Map<string, HistoryInstance[]>();
  for (const row of rows) {
    const list = byAttribute.get(row.attribute) ?? [];
    list.push({
      attribute: row.attribute,
      time: row.time,
      instance: JSON.parse(row.instance) as StoredAttribute,
    });
    byAttribute.set(row.attribute, list);
  }
  const types = (JSON.parse(entityRow.types) as string[]).map((type) => context.compactIri(type));
  const output: Record<string, unknown> = { id, type: types.length === 1 ? types[0] : types };
  for (const [attribute, all] of byAttribute) {
    const instances = query.lastN ? all.slice(-query.lastN) : all;
    const name = context.compactIri(attribute);
    const kind = instances[instances.length - 1].instance.type;
    if (query.representation === 'temporalValues') {
      output[name] = renderTemporalValues(kind, instances);
    } else if (query.representation === 'aggregatedValues') {
      output[name] = renderAggregated(kind, instances, query);
    } else {
      output[name] = instances.map(({ instance }) => {
        const rendered: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(instance)) {
          if (key === 'createdAt' || key === 'modifiedAt') continue;
          rendered[key.includes('://') ? context.compactIri(key) : key] = value;
        }
        return rendered;
      });
    }
  }
  return output;
}

const TEMPORAL_VALUE_MEMBERS: Record<string, [string, string]> = {
  Property: ['values', 'value'],
  GeoProperty: ['values', 'value'],
  Relationship: ['objects', 'object'],
  LanguageProperty: ['languageMaps', 'languageMap'],
  JsonProperty: ['jsons', 'json'],
  VocabProperty: ['vocabs', 'vocab'],
  ListProperty: ['valueLists', 'valueList'],
  ListRelationship: ['objectLists', 'objectList'],
};

function renderTemporalValues(kind: string, instances: HistoryInstance[]): Record<string, unknown> {
  const [listMember, valueMember] = TEMPORAL_VALUE_MEMBERS[kind] ?? ['values', 'value'];
  // Properties carry the bare value; the other kinds wrap it in their member (clause 4.5.9, ETSI expectations).
  const wrap = kind === 'Property' || kind === 'GeoProperty' || kind === 'Relationship';
  return {
    type: kind,
    [listMember]: instances.map(({ instance, time }) => [
      wrap ? attributeValue(instance) : { [valueMember]: attributeValue(instance) },
      instance.observedAt ?? time,
    ]),
  };
}

function renderAggregated(
  kind: string,
  instances: HistoryInstance[],
  query: TemporalQuery,
): Record<string, unknown> {
  const output: Record<string, unknown> = { type: kind };
  const times = instances.map(({ time, instance }) => Date.parse(instance.observedAt ?? time));
  const start = query.timeAt && query.timerel !== 'before' ? Date.parse(query.timeAt) : Math.min(...times);
  const end = query.endTimeAt ? Date.parse(query.endTimeAt) : Math.max(...times) + 1;
  const period = query.aggrPeriodMs > 0 ? query.aggrPeriodMs : Math.max(1, end - start);
  const buckets = new Map<number, unknown[]>();
  instances.forEach(({ instance }, index) => {
    const bucket = Math.floor((times[index] - start) / period);
    if (bucket < 0) return;
    const values = buckets.get(bucket) ?? [];
    values.push(attributeValue(instance));
    buckets.set(bucket, values);
  });
  const ordered = [...buckets.entries()].sort(([a], [b]) => a - b);
  for (const method of query.aggrMethods ?? []) {
    output[method] = ordered.map(([bucket, values]) => [
      aggregate(method, values),
      new Date(start + bucket * period).toISOString().replace('.000Z', 'Z'),
      new Date(start + (bucket + 1) * period).toISOString().replace('.000Z', 'Z'),
    ]);
  }
  return output;
}

function aggregate(method: AggregationMethod, values: unknown[]): number | null {
  const numbers = values
    .map((value) => (typeof value === 'boolean' ? Number(value) : value))
    .filter((value): value is number => typeof value === 'number');
  switch (method) {
    case 'totalCount':
      return values.length;
    case 'distinctCount':
      return new Set(values.map((value) => JSON.stringify(value))).size;
    case 'sum':
      return numbers.length ? numbers.reduce((a, b) => a + b, 0) : null;
    case 'avg':
      return numbers.length ? numbers.reduce((a, b) => a + b, 0) / numbers.length : null;
    case 'min':
      return numbers.length ? Math.min(...numbers) : null;
    case 'max':
      return numbers.length ? Math.max(...numbers) : null;
    case 'sumsq':
      return numbers.length ? numbers.reduce((a, b) => a + b * b, 0) : null;
    case 'stddev': {
      if (!numbers.length) return null;
      const mean = numbers.reduce((a, b) => a + b, 0) / numbers.length;
      return Math.sqrt(numbers.reduce((a, b) => a + (b - mean) ** 2, 0) / numbers.length);
    }
  }
}

/** Ids of entities with history of the given types (expanded IRIs), in id order. */
export function temporalEntityIds(
  store: TenantStore,
  types: string[] | undefined,
  ids: string[] | undefined,
): string[] {
  const conditions: string[] = [];
  const parameters: unknown[] = [];
  if (types) {
    conditions.push(
      `EXISTS (SELECT 1 FROM json_each(t.types) j WHERE j.value IN (${types.map(() => '?').join(',')}))`,
    );
    parameters.push(...types);
  }
  if (ids) {
    conditions.push(`t.id IN (${ids.map(() => '?').join(',')})`);
    parameters.push(...ids);
  }
  return (
    store.database
      .prepare(
        `SELECT id FROM temporal_entities t${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY id`,
      )
      .all(...parameters) as Array<{ id: string }>
  ).map((row) => row.id);
}

/** Reads one entity's temporal representation, or 404. */
export function requireTemporalEntity(
  store: TenantStore,
  id: string,
  query: TemporalQuery,
  context: NgsiLdContext,
): Record<string, unknown> {
  const entity = readTemporalEntity(store, id, query, context);
  if (!entity) throw resourceNotFound(`entity ${id} has no temporal evolution`);
  return entity;
}
