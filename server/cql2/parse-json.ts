// CQL2-JSON parser: checks a decoded (or raw string) CQL2-JSON document and normalises it into the shared AST.
import type { Geometry, Position } from 'geojson';
import {
  Cql2Error,
  MAXIMUM_NESTING_DEPTH,
  canonicalOperator,
  canonicalTimestamp,
  isDateString,
  type Cql2Expression,
  type Cql2IntervalBound,
} from './model';
import { validateCql2 } from './validate';

function fail(path: string, message: string): never {
  throw new Cql2Error(`${message} at ${path || 'the top level'}`);
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectKeys(value: Record<string, unknown>, allowed: string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(path, `Unexpected member "${key}" (expected ${allowed.join(', ')})`);
  }
}

function readPosition(value: unknown, path: string): Position {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3) {
    fail(path, 'A position must be an array of 2 or 3 numbers');
  }
  value.forEach((coordinate, index) => {
    if (typeof coordinate !== 'number' || !Number.isFinite(coordinate)) {
      fail(join(path, index), 'A coordinate must be a finite number');
    }
  });
  return [...(value as number[])];
}

function readPositions(value: unknown, path: string, minimum: number): Position[] {
  if (!Array.isArray(value) || value.length < minimum)
    fail(path, `Expected an array of at least ${minimum} positions`);
  return value.map((item, index) => readPosition(item, join(path, index)));
}

function readRings(value: unknown, path: string): Position[][] {
  if (!Array.isArray(value) || value.length < 1) fail(path, 'A polygon needs at least one ring');
  return value.map((ring, index) => {
    const positions = readPositions(ring, join(path, index), 4);
    const first = positions[0];
    const last = positions[positions.length - 1];
    if (first.length !== last.length || first.some((coordinate, axis) => coordinate !== last[axis])) {
      fail(join(path, index), 'A polygon ring must be closed (first position = last position)');
    }
    return positions;
  });
}

function readGeometry(value: Record<string, unknown>, path: string): Geometry {
  const type = value.type;
  if (type === 'GeometryCollection') {
    expectKeys(value, ['type', 'geometries', 'bbox'], path);
    if (!Array.isArray(value.geometries) || value.geometries.length === 0) {
      fail(join(path, 'geometries'), 'A GeometryCollection needs a non-empty "geometries" array');
    }
    return {
      type,
      geometries: value.geometries.map((member, index) => {
        const memberPath = join(join(path, 'geometries'), index);
        if (!isPlainObject(member) || typeof member.type !== 'string')
          fail(memberPath, 'Expected a GeoJSON geometry');
        return readGeometry(member, memberPath);
      }),
    };
  }
  expectKeys(value, ['type', 'coordinates', 'bbox'], path);
  const coordinates = value.coordinates;
  const at = join(path, 'coordinates');
  switch (type) {
    case 'Point':
      return { type, coordinates: readPosition(coordinates, at) };
    case 'LineString':
      return { type, coordinates: readPositions(coordinates, at, 2) };
    case 'Polygon':
      return { type, coordinates: readRings(coordinates, at) };
    case 'MultiPoint':
      return { type, coordinates: readPositions(coordinates, at, 1) };
    case 'MultiLineString':
      if (!Array.isArray(coordinates) || coordinates.length === 0)
        fail(at, 'Expected an array of linestrings');
      return { type, coordinates: coordinates.map((line, index) => readPositions(line, join(at, index), 2)) };
    case 'MultiPolygon':
      if (!Array.isArray(coordinates) || coordinates.length === 0) fail(at, 'Expected an array of polygons');
      return { type, coordinates: coordinates.map((polygon, index) => readRings(polygon, join(at, index))) };
    default:
      return fail(path, `Unknown geometry type ${JSON.stringify(type)}`);
  }
}

function readIntervalBound(value: unknown, path: string): Cql2IntervalBound {
  if (typeof value === 'string') {
    if (value === '..' || isDateString(value)) return value;
    const timestamp = canonicalTimestamp(value);
    if (timestamp) return timestamp;
    fail(path, `Invalid interval bound ${JSON.stringify(value)}: expected a date, a timestamp or '..'`);
  }
  const bound = readExpression(value, path, 1);
  if (typeof bound === 'object' && !Array.isArray(bound) && ('property' in bound || 'op' in bound)) {
    return bound as Cql2IntervalBound;
  }
  return fail(path, 'An interval bound must be a date or timestamp string, "..", a property or a function');
}

function readExpression(value: unknown, path: string, depth = 0): Cql2Expression {
  if (depth > MAXIMUM_NESTING_DEPTH) {
    throw new Cql2Error(`Filter nested too deeply: at most ${MAXIMUM_NESTING_DEPTH} levels`);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, 'Numbers must be finite');
    return value;
  }
  if (value === null || value === undefined) fail(path, 'null is not a CQL2 value (use isNull)');
  if (Array.isArray(value))
    return value.map((item, index) => readExpression(item, join(path, index), depth + 1));
  if (!isPlainObject(value)) return fail(path, `Unexpected ${typeof value}`);
  if ('op' in value) {
    expectKeys(value, ['op', 'args'], path);
    if (typeof value.op !== 'string' || value.op.length === 0)
      fail(join(path, 'op'), '"op" must be a non-empty string');
    const args = value.args ?? [];
    if (!Array.isArray(args)) fail(join(path, 'args'), '"args" must be an array');
    const op = canonicalOperator(value.op) ?? value.op;
    return {
      op,
      args: args.map((arg, index) => readExpression(arg, join(join(path, 'args'), index), depth + 1)),
    };
  }
  if ('property' in value) {
    expectKeys(value, ['property'], path);
    if (typeof value.property !== 'string' || value.property.length === 0) {
      fail(join(path, 'property'), '"property" must be a non-empty string');
    }
    return { property: value.property };
  }
  if ('date' in value) {
    expectKeys(value, ['date'], path);
    if (typeof value.date !== 'string' || !isDateString(value.date)) {
      fail(join(path, 'date'), `Invalid date ${JSON.stringify(value.date)}: expected YYYY-MM-DD`);
    }
    return { date: value.date };
  }
  if ('timestamp' in value) {
    expectKeys(value, ['timestamp'], path);
    const timestamp = typeof value.timestamp === 'string' ? canonicalTimestamp(value.timestamp) : undefined;
    if (!timestamp) {
      fail(
        join(path, 'timestamp'),
        `Invalid timestamp ${JSON.stringify(value.timestamp)}: expected YYYY-MM-DDTHH:MM:SS[.fff]Z`,
      );
    }
    return { timestamp };
  }
  if ('interval' in value) {
    expectKeys(value, ['interval'], path);
    const at = join(path, 'interval');
    if (!Array.isArray(value.interval) || value.interval.length !== 2)
      fail(at, 'An interval must be an array of 2 bounds');
    return {
      interval: [
        readIntervalBound(value.interval[0], join(at, 0)),
        readIntervalBound(value.interval[1], join(at, 1)),
      ],
    };
  }
  if ('bbox' in value && !('type' in value)) {
    expectKeys(value, ['bbox'], path);
    const bbox = value.bbox;
    if (!Array.isArray(bbox) || (bbox.length !== 4 && bbox.length !== 6))
      fail(join(path, 'bbox'), 'A bbox must hold 4 or 6 numbers');
    bbox.forEach((item, index) => {
      if (typeof item !== 'number' || !Number.isFinite(item))
        fail(join(join(path, 'bbox'), index), 'A bbox value must be a number');
    });
    return { bbox: [...(bbox as number[])] };
  }
  if (typeof value.type === 'string') return readGeometry(value, path);
  return fail(path, `Unrecognised object with members ${Object.keys(value).join(', ') || '(none)'}`);
}

/**
 * Parses CQL2-JSON, given as text or as an already decoded value, into the shared AST and checks operand kinds.
 * Operator names are matched case-insensitively and stored in their CQL2-JSON spelling.
 * @throws Cql2Error naming the JSON path of the problem (or the JSON syntax error).
 */
export function parseCql2Json(json: unknown): Cql2Expression {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      throw new Cql2Error(
        `Invalid JSON in CQL2-JSON filter: ${message}`,
        position ? Number(position[1]) : undefined,
      );
    }
  }
  const expression = readExpression(value, '');
  validateCql2(expression);
  return expression;
}
