// Evaluates a CQL2 expression against one feature with SQL-style three-valued logic (TRUE, FALSE, NULL/unknown).
import type { Geometry } from 'geojson';
import {
  GeometryError,
  contains,
  crosses,
  disjoint,
  equals,
  intersects,
  overlaps,
  parseWkt,
  touches,
  within,
} from '../geometry';
import {
  ARITHMETIC_OPERATORS,
  COMPARISON_OPERATORS,
  Cql2Error,
  canonicalOperator,
  isBbox,
  isDate,
  isGeometry,
  isInterval,
  isOperation,
  isProperty,
  isTimestamp,
  type Cql2Expression,
  type Cql2IntervalBound,
} from './model';
import { TEMPORAL_RELATIONS, parseInstant } from './temporal';

/** The feature shape {@link evaluateCql2} reads. */
export interface Cql2Feature {
  id?: string | number;
  properties: Record<string, unknown> | null;
  geometry: Geometry | null;
}

/** Options of {@link evaluateCql2}. */
export interface Cql2EvaluateOptions {
  /** The property name that refers to the feature's geometry. Default `geometry`. */
  geometryProperty?: string;
}

/** A point in time, epoch milliseconds. */
class Instant {
  constructor(readonly time: number) {}
}

/** A closed interval in epoch milliseconds; ±Infinity for an open end, null for an unknown end. */
class Interval {
  constructor(
    readonly start: number | null,
    readonly end: number | null,
  ) {}
}

const LITERAL_INSTANTS = new WeakMap<object, Instant>();

type Value = null | boolean | number | string | Instant | Interval | Geometry | Value[];
type Truth = boolean | null;

const COMPARISON = new Set<string>(COMPARISON_OPERATORS);
const ARITHMETIC = new Set<string>(ARITHMETIC_OPERATORS);
const SPATIAL_PREDICATES: Record<string, (a: Geometry, b: Geometry) => boolean> = {
  s_intersects: intersects,
  s_equals: equals,
  s_disjoint: disjoint,
  s_touches: touches,
  s_within: within,
  s_overlaps: overlaps,
  s_crosses: crosses,
  s_contains: contains,
};

/** CASEI: case folding through upper case, so that `ß` and `SS` compare equal. */
export function foldCase(text: string): string {
  return text.toUpperCase().toLowerCase();
}

/** ACCENTI: removes combining marks after canonical decomposition (`é` → `e`). */
export function stripAccents(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .normalize('NFC');
}

// Evaluation runs once per feature: compiled patterns and BBOX polygons are kept, so that the geometry module's
// per-object preparation cache applies to literals too.
const LIKE_CACHE = new Map<string, RegExp>();
const LIKE_CACHE_LIMIT = 1000;
const BBOX_GEOMETRIES = new WeakMap<object, Geometry>();

function cachedLikeRegExp(pattern: string): RegExp {
  let regExp = LIKE_CACHE.get(pattern);
  if (!regExp) {
    if (LIKE_CACHE.size >= LIKE_CACHE_LIMIT) LIKE_CACHE.clear();
    regExp = likePatternToRegExp(pattern);
    LIKE_CACHE.set(pattern, regExp);
  }
  return regExp;
}

/** CQL2 LIKE as a regular expression: `%` any run, `_` one character, `\` escapes the next character. */
export function likePatternToRegExp(pattern: string): RegExp {
  let source = '';
  const characters = [...pattern];
  for (let index = 0; index < characters.length; index++) {
    const character = characters[index];
    if (character === '\\' && index + 1 < characters.length) {
      source += escapeRegExp(characters[++index]);
    } else if (character === '%') {
      source += '.*';
    } else if (character === '_') {
      source += '.';
    } else {
      source += escapeRegExp(character);
    }
  }
  return new RegExp(`^${source}$`, 'su');
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** The rectangle(s) a BBOX literal covers: two when it crosses the antimeridian (west > east). */
export function bboxToGeometry(bbox: number[]): Geometry {
  const [west, south, east, north] = bbox.length === 6 ? [bbox[0], bbox[1], bbox[3], bbox[4]] : bbox;
  const rectangle = (w: number, e: number) => [
    [
      [w, south],
      [e, south],
      [e, north],
      [w, north],
      [w, south],
    ],
  ];
  if (west > east)
    return { type: 'MultiPolygon', coordinates: [rectangle(west, 180), rectangle(-180, east)] };
  return { type: 'Polygon', coordinates: rectangle(west, east) };
}

function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const left = [...a];
  const right = [...b];
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const difference = left[index].codePointAt(0)! - right[index].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function and(values: Truth[]): Truth {
  if (values.includes(false)) return false;
  return values.includes(null) ? null : true;
}

function or(values: Truth[]): Truth {
  if (values.includes(true)) return true;
  return values.includes(null) ? null : false;
}

function compareNumbers(left: number, operator: string, right: number): boolean {
  switch (operator) {
    case '=':
      return left === right;
    case '<>':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    default:
      return left >= right;
  }
}

/** Reads a raw property value into an evaluator value. */
function fromRaw(raw: unknown): Value {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'boolean' || typeof raw === 'number' || typeof raw === 'string') {
    return typeof raw === 'number' && !Number.isFinite(raw) ? null : raw;
  }
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? null : new Instant(raw.getTime());
  if (Array.isArray(raw)) return raw.map(fromRaw);
  if (isGeometry(raw)) return raw;
  return null;
}

function toInstantTime(value: Value): number | null {
  if (value instanceof Instant) return value.time;
  if (typeof value === 'string') return parseInstant(value) ?? null;
  return null;
}

function toInterval(value: Value): Interval | null {
  if (value instanceof Interval) return value;
  if (value instanceof Instant) return new Interval(value.time, value.time);
  if (typeof value === 'string') {
    const time = parseInstant(value);
    return time === undefined ? null : new Interval(time, time);
  }
  if (Array.isArray(value) && value.length === 2) {
    const bound = (item: Value, open: number) => (item === '..' ? open : toInstantTime(item));
    return new Interval(bound(value[0], -Infinity), bound(value[1], Infinity));
  }
  return null;
}

function toGeometry(value: Value): Geometry | null {
  if (value === null) return null;
  if (typeof value === 'string') {
    try {
      return parseWkt(value);
    } catch {
      return null;
    }
  }
  return isGeometry(value) ? value : null;
}

/** A key under which equal array elements (A_* functions) coincide. */
function elementKey(value: Value): string {
  if (value instanceof Instant) return `t:${value.time}`;
  if (value instanceof Interval) return `i:${value.start}/${value.end}`;
  if (Array.isArray(value)) return `a:[${value.map(elementKey).join(',')}]`;
  if (typeof value === 'string') {
    // A date-time string and a DATE/TIMESTAMP literal for the same instant are the same element.
    const time = parseInstant(value);
    return time === undefined ? `s:${value}` : `t:${time}`;
  }
  return `${typeof value}:${JSON.stringify(value)}`;
}

class Evaluator {
  private readonly geometryProperty: string;

  constructor(
    private readonly feature: Cql2Feature,
    options: Cql2EvaluateOptions,
  ) {
    this.geometryProperty = options.geometryProperty ?? 'geometry';
  }

  private property(name: string): Value {
    const properties = this.feature.properties ?? {};
    if (name === this.geometryProperty) return this.feature.geometry ?? null;
    if (Object.hasOwn(properties, name)) return fromRaw(properties[name]);
    if (name === 'id') return this.feature.id ?? null;
    return null;
  }

  truth(e: Cql2Expression): Truth {
    const value = this.value(e);
    if (value === null || typeof value === 'boolean') return value;
    throw new Cql2Error(`Expected a boolean, got ${JSON.stringify(value)}`);
  }

  private bound(bound: Cql2IntervalBound, open: number): number | null {
    if (bound === '..') return open;
    if (typeof bound === 'string') return parseInstant(bound) ?? null;
    return toInstantTime(this.value(bound));
  }

  value(e: Cql2Expression): Value {
    if (typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean') return e;
    if (Array.isArray(e)) return e.map((item) => this.value(item));
    if (isProperty(e)) return this.property(e.property);
    if (isDate(e) || isTimestamp(e)) {
      let instant = LITERAL_INSTANTS.get(e);
      if (!instant)
        LITERAL_INSTANTS.set(e, (instant = new Instant(parseInstant(isDate(e) ? e.date : e.timestamp)!)));
      return instant;
    }
    if (isInterval(e))
      return new Interval(this.bound(e.interval[0], -Infinity), this.bound(e.interval[1], Infinity));
    if (isBbox(e)) {
      let geometry = BBOX_GEOMETRIES.get(e);
      if (!geometry) BBOX_GEOMETRIES.set(e, (geometry = bboxToGeometry(e.bbox)));
      return geometry;
    }
    if (isGeometry(e)) return e;
    if (!isOperation(e)) throw new Cql2Error(`Cannot evaluate ${JSON.stringify(e)}`);
    return this.operation(e.op, e.args);
  }

  private operation(op: string, args: Cql2Expression[]): Value {
    const name = canonicalOperator(op);
    if (name === undefined)
      throw new Cql2Error(`Unsupported function '${op}': Plaza implements no custom functions`);
    switch (name) {
      case 'and':
        return and(args.map((arg) => this.truth(arg)));
      case 'or':
        return or(args.map((arg) => this.truth(arg)));
      case 'not': {
        const truth = this.truth(args[0]);
        return truth === null ? null : !truth;
      }
      case 'isNull':
        return this.value(args[0]) === null;
      case 'casei':
      case 'accenti': {
        const text = this.value(args[0]);
        if (typeof text !== 'string') return null;
        return name === 'casei' ? foldCase(text) : stripAccents(text);
      }
      case 'like': {
        const text = this.value(args[0]);
        const pattern = this.value(args[1]);
        if (typeof text !== 'string' || typeof pattern !== 'string') return null;
        return cachedLikeRegExp(pattern).test(text);
      }
      case 'between': {
        const [value, low, high] = args.map((arg) => this.value(arg));
        return and([this.compare(low, '<=', value), this.compare(value, '<=', high)]);
      }
      case 'in': {
        const value = this.value(args[0]);
        const list = args[1] as Cql2Expression[];
        return or(list.map((item) => this.compare(value, '=', this.value(item))));
      }
    }
    if (COMPARISON.has(name)) return this.compare(this.value(args[0]), name, this.value(args[1]));
    if (ARITHMETIC.has(name)) return this.arithmetic(name, this.value(args[0]), this.value(args[1]));
    if (name in SPATIAL_PREDICATES) {
      const left = toGeometry(this.value(args[0]));
      const right = toGeometry(this.value(args[1]));
      if (left === null || right === null) return null;
      try {
        return SPATIAL_PREDICATES[name](left, right);
      } catch (error) {
        // An invalid or malformed geometry in the data (literals are checked by the parsers) is unknown, not a
        // failed request.
        if (error instanceof GeometryError || error instanceof TypeError) return null;
        throw error;
      }
    }
    if (name in TEMPORAL_RELATIONS) {
      const first = toInterval(this.value(args[0]));
      const second = toInterval(this.value(args[1]));
      if (first === null || second === null) return null;
      const endpoints = { s1: first.start, e1: first.end, s2: second.start, e2: second.end };
      const relation = TEMPORAL_RELATIONS[name];
      const results = relation.comparisons.map(([left, operator, right]): Truth => {
        const a = endpoints[left];
        const b = endpoints[right];
        return a === null || b === null ? null : compareNumbers(a, operator, b);
      });
      return relation.combine === 'and' ? and(results) : or(results);
    }
    return this.arrayFunction(name, this.value(args[0]), this.value(args[1]));
  }

  private arrayFunction(name: string, left: Value, right: Value): Truth {
    if (!Array.isArray(left) || !Array.isArray(right)) return null;
    const leftKeys = left.map(elementKey);
    const rightKeys = right.map(elementKey);
    const leftSet = new Set(leftKeys);
    const rightSet = new Set(rightKeys);
    switch (name) {
      // CQL2 1.0 /req/array-functions/array-predicates B: arrays are compared as sets, without order.
      case 'a_equals':
        return leftSet.size === rightSet.size && [...leftSet].every((key) => rightSet.has(key));
      case 'a_contains':
        return rightKeys.every((key) => leftSet.has(key));
      case 'a_containedBy':
        return leftKeys.every((key) => rightSet.has(key));
      default:
        return leftKeys.some((key) => rightSet.has(key));
    }
  }

  compare(left: Value, operator: string, right: Value): Truth {
    if (left === null || right === null) return null;
    if (left instanceof Instant || right instanceof Instant) {
      const a = toInstantTime(left);
      const b = toInstantTime(right);
      return a === null || b === null ? null : compareNumbers(a, operator, b);
    }
    if (typeof left === 'number' && typeof right === 'number') return compareNumbers(left, operator, right);
    if (typeof left === 'string' && typeof right === 'string') {
      return compareNumbers(compareCodePoints(left, right), operator, 0);
    }
    if (typeof left === 'boolean' && typeof right === 'boolean') {
      return compareNumbers(Number(left), operator, Number(right));
    }
    // Values of different kinds (or geometries, arrays) have no order: unknown.
    return null;
  }

  private arithmetic(operator: string, left: Value, right: Value): Value {
    if (typeof left !== 'number' || typeof right !== 'number') return null;
    let result: number;
    switch (operator) {
      case '+':
        result = left + right;
        break;
      case '-':
        result = left - right;
        break;
      case '*':
        result = left * right;
        break;
      case '/':
        result = left / right;
        break;
      case '%':
        result = left % right;
        break;
      case 'div':
        result = Math.trunc(left / right);
        break;
      default:
        result = left ** right;
    }
    // Division by zero and overflow are NULL, as in SQL.
    return Number.isFinite(result) ? result : null;
  }
}

/**
 * Evaluates `e` for one feature. Three-valued: any comparison with NULL (a missing property) is unknown, and
 * only TRUE selects the feature. Properties are looked up in `feature.properties`; the `geometryProperty` name
 * (default `geometry`) is the feature geometry, and `id` falls back to `feature.id`. Strings are compared by code
 * point; a string compared with a DATE/TIMESTAMP is read as an RFC 3339 instant (a date as 00:00:00Z).
 * @throws Cql2Error for a custom function (none is implemented).
 */
export function evaluateCql2(
  e: Cql2Expression,
  feature: Cql2Feature,
  options: Cql2EvaluateOptions = {},
): boolean {
  return new Evaluator(feature, options).truth(e) === true;
}
