// Query parameters of OGC API Features (Parts 1-3): parsed by hand, every malformed value a 400 naming the parameter.
import { ApiError } from '../http/errors';
import type { BoundingBox, SortKey, TimeInterval } from '../providers/provider';
import { boxToCrs84, parseCrs, CRS84, type OgcCrs } from './crs';

/** Largest page (OGC API Features 1.0: maximum 10,000; larger values are clamped). */
export const MAXIMUM_LIMIT = 10_000;
/** Page size when `limit` is absent (OGC API Features 1.0.1). */
export const DEFAULT_LIMIT = 10;

/** Raw query as Fastify parses it: repeated names become arrays. */
export type RawQuery = Record<string, string | string[] | undefined>;

/** 400 naming the parameter. */
export function invalidParameter(name: string, detail: string): ApiError {
  return new ApiError(400, `invalid value for parameter '${name}': ${detail}`, {
    code: 'InvalidParameterValue',
    extensions: { parameter: name },
  });
}

/**
 * Rejects parameters outside `allowed` and repeated parameters.
 * @throws ApiError 400 naming the first offending parameter
 */
export function checkParameterNames(query: RawQuery, allowed: Iterable<string>): void {
  const known = new Set(allowed);
  for (const [name, value] of Object.entries(query)) {
    if (!known.has(name)) {
      throw new ApiError(400, `unknown query parameter '${name}'; accepted here: ${[...known].join(', ')}`, {
        code: 'InvalidParameterValue',
        extensions: { parameter: name },
      });
    }
    if (Array.isArray(value)) throw invalidParameter(name, 'given more than once');
  }
}

/** A single-valued parameter (after {@link checkParameterNames}). */
export function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Parses `limit`: a whole number ≥ 1, clamped to the maximum. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (!/^\s*\d{1,15}\s*$/.test(value))
    throw invalidParameter('limit', `'${value}' is not a whole number ≥ 1`);
  const limit = Number(value);
  if (limit < 1) throw invalidParameter('limit', `${limit} is below the minimum 1`);
  return Math.min(limit, MAXIMUM_LIMIT);
}

/** Parses `offset`: a whole number ≥ 0. */
export function parseOffset(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\s*\d{1,15}\s*$/.test(value))
    throw invalidParameter('offset', `'${value}' is not a whole number ≥ 0`);
  return Number(value);
}

const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/**
 * Parses `bbox` (4 or 6 numbers) in `bbox-crs` (default CRS84) to CRS84 boxes, split at the antimeridian.
 * @throws ApiError 400 naming bbox or bbox-crs
 */
export function parseBbox(
  value: string | undefined,
  crsValue: string | undefined,
  offered: string[],
): BoundingBox[] | undefined {
  let crs: OgcCrs = { uri: CRS84, epsg: 4326, latitudeFirst: false };
  if (crsValue !== undefined) {
    const parsed = parseCrs(crsValue, offered);
    if (!parsed)
      throw invalidParameter(
        'bbox-crs',
        `'${crsValue}' is not a supported CRS; supported: ${offered.join(', ')}`,
      );
    crs = parsed;
  }
  if (value === undefined) {
    if (crsValue !== undefined) throw invalidParameter('bbox-crs', 'given without bbox');
    return undefined;
  }
  const parts = value.split(',');
  if (parts.length !== 4 && parts.length !== 6)
    throw invalidParameter('bbox', `expected 4 or 6 comma-separated numbers, got ${parts.length}`);
  if (!parts.every((part) => NUMBER.test(part)))
    throw invalidParameter('bbox', `'${value}' holds a value that is not a number`);
  const numbers = parts.map(Number);
  if (!numbers.every(Number.isFinite)) throw invalidParameter('bbox', 'values must be finite');
  let box: BoundingBox =
    numbers.length === 4
      ? [numbers[0], numbers[1], numbers[2], numbers[3]]
      : [numbers[0], numbers[1], numbers[3], numbers[4]];
  if (numbers.length === 6 && numbers[2] > numbers[5])
    throw invalidParameter('bbox', 'minimum height is above maximum height');
  if (crs.epsg === 4326) {
    // Geographic: [west, south, east, north] after axis swap; west > east crosses the antimeridian.
    const [west, south, east, north] = crs.latitudeFirst ? [box[1], box[0], box[3], box[2]] : box;
    if (south > north)
      throw invalidParameter('bbox', `southern edge ${south} is north of the northern edge ${north}`);
    if (south < -90 || north > 90) throw invalidParameter('bbox', 'latitudes must lie in [-90, 90]');
    if (west < -180 || west > 180 || east < -180 || east > 180)
      throw invalidParameter('bbox', 'longitudes must lie in [-180, 180]');
    if (west > east) {
      return [
        [west, south, 180, north],
        [-180, south, east, north],
      ];
    }
    return [[west, south, east, north]];
  }
  if (box[0] > box[2] || box[1] > box[3])
    throw invalidParameter('bbox', 'minimum corner is above the maximum corner');
  box = boxToCrs84(box, crs);
  if (!box.every(Number.isFinite)) throw invalidParameter('bbox', `lies outside the area of ${crs.uri}`);
  return [box];
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseInstant(text: string, endOfDay: boolean): number {
  const date = DATE.exec(text);
  if (date) {
    const time = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    const check = new Date(time);
    if (check.getUTCMonth() !== Number(date[2]) - 1 || check.getUTCDate() !== Number(date[3])) {
      throw invalidParameter('datetime', `'${text}' is not a calendar date`);
    }
    return endOfDay ? time + 86_399_999 : time;
  }
  const dateTime = DATE_TIME.exec(text);
  if (!dateTime) throw invalidParameter('datetime', `'${text}' is not an RFC 3339 date or date-time`);
  const [, , month, day, hour, minute, second] = dateTime.map(Number);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw invalidParameter('datetime', `'${text}' has a field out of range`);
  }
  const time = Date.parse(text.toUpperCase());
  if (Number.isNaN(time)) throw invalidParameter('datetime', `'${text}' is not a valid date-time`);
  return time;
}

/** Parses `datetime`: an instant, or an interval `a/b` whose ends may be open (`..` or empty). */
export function parseDatetime(value: string | undefined): TimeInterval | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') throw invalidParameter('datetime', 'is empty');
  const parts = text.split('/');
  if (parts.length > 2) throw invalidParameter('datetime', `'${text}' has more than one '/'`);
  if (parts.length === 1) {
    if (text === '..') throw invalidParameter('datetime', "'..' is only allowed as an interval end");
    return { start: parseInstant(text, false), end: parseInstant(text, true) };
  }
  const open = (part: string) => part === '' || part === '..';
  if (open(parts[0]) && open(parts[1])) return {};
  const interval: TimeInterval = {};
  if (!open(parts[0])) interval.start = parseInstant(parts[0], false);
  if (!open(parts[1])) interval.end = parseInstant(parts[1], true);
  if (interval.start !== undefined && interval.end !== undefined && interval.start > interval.end) {
    throw invalidParameter('datetime', 'the interval starts after it ends');
  }
  return interval;
}

/** Parses `properties`: a comma list of known property names. */
export function parseProperties(value: string | undefined, known: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') return [];
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!known.includes(name))
      throw invalidParameter('properties', `'${name}' is not a property of this collection`);
  }
  return names;
}

/** Parses a boolean parameter (`true`/`false`). */
export function parseBoolean(name: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidParameter(name, `'${value}' is neither true nor false`);
}

/** Parses `sortby`: comma list of `[+|-]name`. A leading space is a `+` that the URL decoding turned into a space. */
export function parseSortBy(value: string | undefined, sortable: string[]): SortKey[] | undefined {
  if (value === undefined) return undefined;
  const keys: SortKey[] = [];
  for (const raw of value.split(',')) {
    const match = /^\s*([+-]?)\s*([A-Za-z_][\w.:-]*)\s*(?:\s(ASC|DESC))?$/i.exec(raw);
    if (!match) throw invalidParameter('sortby', `'${raw}' is not [+|-]property`);
    const property = match[2];
    if (!sortable.includes(property))
      throw invalidParameter('sortby', `'${property}' is not a sortable property of this collection`);
    const descending = match[1] === '-' || match[3]?.toUpperCase() === 'DESC';
    keys.push({ property, direction: descending ? 'descending' : 'ascending' });
  }
  return keys;
}

/** Parses `crs` for output. */
export function parseOutputCrs(value: string | undefined, offered: string[]): OgcCrs {
  if (value === undefined) return { uri: CRS84, epsg: 4326, latitudeFirst: false };
  const crs = parseCrs(value, offered);
  if (!crs)
    throw invalidParameter('crs', `'${value}' is not a supported CRS; supported: ${offered.join(', ')}`);
  return crs;
}

/** Output formats and how `f` names them. */
export type OutputFormat = 'json' | 'html';

/**
 * Decides between JSON and HTML: `f` wins, else `Accept` when it prefers text/html, else JSON.
 * @throws ApiError 400 for an unknown `f`, 406 when Accept allows neither
 */
export function negotiateFormat(f: string | undefined, accept: string | undefined): OutputFormat {
  if (f !== undefined) {
    if (f === 'json' || f === 'geojson' || f === 'application/json' || f === 'application/geo+json')
      return 'json';
    if (f === 'html' || f === 'text/html') return 'html';
    throw invalidParameter('f', `'${f}' is not one of json, html`);
  }
  if (!accept) return 'json';
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [type, ...parameters] = part.trim().toLowerCase().split(';');
      const q = parameters.map((parameter) => /^\s*q=([\d.]+)\s*$/.exec(parameter)).find(Boolean);
      return { type: type.trim(), q: q ? Number(q[1]) : 1, index };
    })
    .filter((range) => range.q > 0);
  const score = (format: OutputFormat) => {
    let best = -1;
    for (const range of ranges) {
      const matches =
        format === 'html'
          ? range.type === 'text/html' || range.type === 'application/xhtml+xml'
          : /^application\/(?:[\w.+-]*\+)?json$/.test(range.type) || range.type === 'application/*';
      if (matches) best = Math.max(best, range.q * 1000 - range.index);
    }
    const wildcard = ranges.find((range) => range.type === '*/*');
    if (best < 0 && wildcard && format === 'json') best = wildcard.q * 1000 - 999;
    return best;
  };
  const html = score('html');
  const json = score('json');
  if (html < 0 && json < 0) {
    throw new ApiError(
      406,
      `cannot answer with any type in Accept '${accept}'; offered: application/json, application/geo+json, text/html`,
      {
        code: 'NotAcceptable',
      },
    );
  }
  return html > json ? 'html' : 'json';
}
