// The CQL2 abstract syntax tree (close to CQL2-JSON), the operator tables and the one CQL2 error class.
import type { Geometry } from 'geojson';

/** A reference to a queryable: `{ "property": "name" }`. */
export interface Cql2Property {
  property: string;
}

/** A calendar date literal, `DATE('2015-01-01')`: `{ "date": "2015-01-01" }`. */
export interface Cql2Date {
  date: string;
}

/**
 * A timestamp literal, `TIMESTAMP('2012-08-10T05:30:00Z')`. The string is an RFC 3339 UTC instant; parsers
 * canonicalise its fractional seconds (trailing zeros removed), so `05:30:00.000Z` and `05:30:00Z` are one AST.
 */
export interface Cql2Timestamp {
  timestamp: string;
}

/**
 * One end of an interval: a date (`YYYY-MM-DD`) or timestamp string, `'..'` for an open end, or a property or
 * function whose value gives the instant.
 */
export type Cql2IntervalBound = string | Cql2Property | Cql2Operation;

/** An interval literal, `INTERVAL('2017-06-10', '..')`: `{ "interval": [start, end] }`. */
export interface Cql2Interval {
  interval: [Cql2IntervalBound, Cql2IntervalBound];
}

/** A bounding box literal, `BBOX(w, s, e, n)` or with heights `BBOX(w, s, minz, e, n, maxz)`. */
export interface Cql2Bbox {
  bbox: number[];
}

/**
 * An operation or function call: `{ "op": name, "args": [...] }`. Standard operators use the CQL2-JSON spelling
 * (`and`, `or`, `not`, `=`, `<>`, `<`, `>`, `<=`, `>=`, `like`, `between`, `in`, `isNull`, `casei`, `accenti`,
 * `s_intersects` …, `t_after` …, `t_finishedBy`, `t_metBy`, `t_overlappedBy`, `t_startedBy`, `a_equals`,
 * `a_contains`, `a_containedBy`, `a_overlaps`, `+`, `-`, `*`, `/`, `%`, `div`, `^`); any other name is a custom
 * function kept as written (`avg`, `Buffer`).
 *
 * Shapes: `and`/`or` take two or more boolean args; `not` one; comparisons two; `like` [value, pattern];
 * `between` [value, low, high]; `in` [value, list array]; `isNull` one; unary minus on a non-literal is
 * `{ op: '*', args: [-1, x] }` as in the standard's examples.
 */
export interface Cql2Operation {
  op: string;
  args: Cql2Expression[];
}

/** An array literal, `('a', 'b')` in text, a JSON array in CQL2-JSON. */
export type Cql2Array = Cql2Expression[];

/**
 * A CQL2 expression. Literals are JSON scalars (string, number, boolean), GeoJSON geometries, and the tagged
 * objects above. The same tree comes out of CQL2-text and CQL2-JSON, so a text filter and its JSON twin compare
 * equal with a deep equality.
 */
export type Cql2Expression =
  | string
  | number
  | boolean
  | Cql2Property
  | Cql2Date
  | Cql2Timestamp
  | Cql2Interval
  | Cql2Bbox
  | Geometry
  | Cql2Operation
  | Cql2Array;

/**
 * A filter that cannot be parsed or evaluated. `position` is the 0-based character offset in CQL2-text; for
 * CQL2-JSON the message names the JSON path (`args[1].args[0]`) instead.
 */
export class Cql2Error extends Error {
  override name = 'Cql2Error';
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

/** Deepest nesting the parsers accept, so that a hostile filter fails cleanly instead of exhausting the stack. */
export const MAXIMUM_NESTING_DEPTH = 200;

export const LOGICAL_OPERATORS = ['and', 'or', 'not'] as const;
export const COMPARISON_OPERATORS = ['=', '<>', '<', '>', '<=', '>='] as const;
export const ARITHMETIC_OPERATORS = ['+', '-', '*', '/', '%', 'div', '^'] as const;
export const SPATIAL_FUNCTIONS = [
  's_intersects',
  's_equals',
  's_disjoint',
  's_touches',
  's_within',
  's_overlaps',
  's_crosses',
  's_contains',
] as const;
export const TEMPORAL_FUNCTIONS = [
  't_after',
  't_before',
  't_contains',
  't_disjoint',
  't_during',
  't_equals',
  't_finishedBy',
  't_finishes',
  't_intersects',
  't_meets',
  't_metBy',
  't_overlappedBy',
  't_overlaps',
  't_startedBy',
  't_starts',
] as const;
export const ARRAY_FUNCTIONS = ['a_equals', 'a_contains', 'a_containedBy', 'a_overlaps'] as const;

/** Every standard operator name in its CQL2-JSON spelling. */
export const STANDARD_OPERATORS: readonly string[] = [
  ...LOGICAL_OPERATORS,
  ...COMPARISON_OPERATORS,
  'like',
  'between',
  'in',
  'isNull',
  'casei',
  'accenti',
  ...SPATIAL_FUNCTIONS,
  ...TEMPORAL_FUNCTIONS,
  ...ARRAY_FUNCTIONS,
  ...ARITHMETIC_OPERATORS,
];

const CANONICAL_BY_LOWER = new Map(STANDARD_OPERATORS.map((name) => [name.toLowerCase(), name]));

/** The CQL2-JSON spelling of a standard operator written in any case, or undefined for a custom function. */
export function canonicalOperator(name: string): string | undefined {
  return CANONICAL_BY_LOWER.get(name.toLowerCase());
}

const GEOMETRY_TYPES = new Set([
  'Point',
  'LineString',
  'Polygon',
  'MultiPoint',
  'MultiLineString',
  'MultiPolygon',
  'GeometryCollection',
]);

export function isOperation(e: unknown): e is Cql2Operation {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'op' in e && 'args' in e;
}
export function isProperty(e: unknown): e is Cql2Property {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'property' in e;
}
export function isDate(e: unknown): e is Cql2Date {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'date' in e;
}
export function isTimestamp(e: unknown): e is Cql2Timestamp {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'timestamp' in e;
}
export function isInterval(e: unknown): e is Cql2Interval {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'interval' in e;
}
export function isBbox(e: unknown): e is Cql2Bbox {
  return typeof e === 'object' && e !== null && !Array.isArray(e) && 'bbox' in e;
}
export function isGeometry(e: unknown): e is Geometry {
  return (
    typeof e === 'object' &&
    e !== null &&
    !Array.isArray(e) &&
    'type' in e &&
    GEOMETRY_TYPES.has((e as { type: string }).type)
  );
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

function isValidCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/** True when `text` is a `YYYY-MM-DD` date that exists in the calendar. */
export function isDateString(text: string): boolean {
  const match = DATE_PATTERN.exec(text);
  return match !== null && isValidCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

/**
 * The canonical form of a CQL2 timestamp (`YYYY-MM-DDTHH:MM:SS[.fff]Z`, fraction without trailing zeros), or
 * undefined when `text` is not one.
 */
export function canonicalTimestamp(text: string): string | undefined {
  const match = TIMESTAMP_PATTERN.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (!isValidCalendarDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return undefined;
  const fraction = (match[7] ?? '').replace(/0+$/, '');
  return `${text.slice(0, 19)}${fraction === '.' ? '' : fraction}Z`;
}
