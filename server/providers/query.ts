// The parts of query evaluation every provider shares: bbox/datetime/filter matching in memory and sort order.
import type { FeatureQuery, PlazaFeature, SortKey, TimeInterval } from './provider';
import { geometryIntersectsBox } from './geometry';

/** Parses a date, date-time or epoch number to epoch milliseconds, or undefined. */
export function toEpochMilliseconds(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const time = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

/**
 * Whether a feature's instant lies in an interval. Only features that have a time can match (OGC API Features 1.0,
 * /req/core/fc-time-response); a collection without a temporal property matches everything.
 */
export function matchesDatetime(
  feature: PlazaFeature,
  interval: TimeInterval,
  temporalProperty: string | undefined,
): boolean {
  if (!temporalProperty) return true;
  const time = toEpochMilliseconds(feature.properties?.[temporalProperty]);
  if (time === undefined) return false;
  if (interval.start !== undefined && time < interval.start) return false;
  if (interval.end !== undefined && time > interval.end) return false;
  return true;
}

/** Whether a feature satisfies the bbox, datetime and filter parts of a query. */
export function matchesQuery(
  feature: PlazaFeature,
  query: FeatureQuery,
  temporalProperty: string | undefined,
): boolean {
  // Only features with a geometry that intersects the box match (/req/core/fc-bbox-response).
  if (query.bbox) {
    const geometry = feature.geometry;
    if (!geometry || !query.bbox.some((box) => geometryIntersectsBox(geometry, box))) return false;
  }
  if (query.datetime && !matchesDatetime(feature, query.datetime, temporalProperty)) return false;
  if (query.filter && !query.filter.evaluate(feature)) return false;
  return true;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A comparator for sort keys, ties broken by id so that pages are stable. */
export function compareFeatures(sortBy: SortKey[]): (a: PlazaFeature, b: PlazaFeature) => number {
  return (a, b) => {
    for (const key of sortBy) {
      // Missing values sort last in either direction.
      const left = a.properties?.[key.property];
      const right = b.properties?.[key.property];
      const leftMissing = left === null || left === undefined;
      const rightMissing = right === null || right === undefined;
      if (leftMissing !== rightMissing) return leftMissing ? 1 : -1;
      const order = compareValues(a.properties?.[key.property], b.properties?.[key.property]);
      if (order !== 0) return key.direction === 'ascending' ? order : -order;
    }
    return compareValues(a.id, b.id);
  };
}
