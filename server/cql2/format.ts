// Writes the AST back as CQL2-text (fully parenthesised, so it parses back to the same tree) or CQL2-JSON.
import type { Geometry, Position } from 'geojson';
import {
  ARITHMETIC_OPERATORS,
  COMPARISON_OPERATORS,
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

const INFIX = new Set<string>([...COMPARISON_OPERATORS, ...ARITHMETIC_OPERATORS]);

function formatNumber(value: number): string {
  if (Object.is(value, -0)) return '-0.0';
  return String(value);
}

function formatString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function formatPosition(position: Position): string {
  return position.map(formatNumber).join(' ');
}

function formatPositions(positions: Position[]): string {
  return `(${positions.map(formatPosition).join(', ')})`;
}

function hasZ(geometry: Geometry): boolean {
  const positions = (value: unknown): boolean =>
    Array.isArray(value) && (typeof value[0] === 'number' ? value.length === 3 : value.some(positions));
  return geometry.type === 'GeometryCollection' ? false : positions(geometry.coordinates);
}

/** Writes a GeoJSON geometry as the WKT that CQL2-text accepts. */
export function formatGeometryWkt(geometry: Geometry): string {
  const tag = (name: string) => (hasZ(geometry) ? `${name} Z` : name);
  switch (geometry.type) {
    case 'Point':
      return `${tag('POINT')} (${formatPosition(geometry.coordinates)})`;
    case 'LineString':
      return `${tag('LINESTRING')} ${formatPositions(geometry.coordinates)}`;
    case 'Polygon':
      return `${tag('POLYGON')} (${geometry.coordinates.map(formatPositions).join(', ')})`;
    case 'MultiPoint':
      return `${tag('MULTIPOINT')} (${geometry.coordinates.map((point) => `(${formatPosition(point)})`).join(', ')})`;
    case 'MultiLineString':
      return `${tag('MULTILINESTRING')} (${geometry.coordinates.map(formatPositions).join(', ')})`;
    case 'MultiPolygon':
      return `${tag('MULTIPOLYGON')} (${geometry.coordinates
        .map((polygon) => `(${polygon.map(formatPositions).join(', ')})`)
        .join(', ')})`;
    case 'GeometryCollection':
      return `GEOMETRYCOLLECTION (${geometry.geometries.map(formatGeometryWkt).join(', ')})`;
  }
}

function formatBound(bound: Cql2IntervalBound): string {
  return typeof bound === 'string' ? formatString(bound) : formatNode(bound);
}

function formatNode(e: Cql2Expression): string {
  if (typeof e === 'string') return formatString(e);
  if (typeof e === 'number') return formatNumber(e);
  if (typeof e === 'boolean') return e ? 'TRUE' : 'FALSE';
  if (Array.isArray(e)) return `(${e.map(formatNode).join(', ')})`;
  if (isProperty(e)) return `"${e.property}"`;
  if (isDate(e)) return `DATE(${formatString(e.date)})`;
  if (isTimestamp(e)) return `TIMESTAMP(${formatString(e.timestamp)})`;
  if (isInterval(e)) return `INTERVAL(${formatBound(e.interval[0])}, ${formatBound(e.interval[1])})`;
  if (isBbox(e)) return `BBOX(${e.bbox.map(formatNumber).join(', ')})`;
  if (isGeometry(e)) return formatGeometryWkt(e);
  if (!isOperation(e)) return String(e);
  const name = canonicalOperator(e.op);
  const args = e.args;
  if (name === undefined) return `${e.op}(${args.map(formatNode).join(', ')})`;
  if (name === 'and' || name === 'or') return `(${args.map(formatNode).join(` ${name.toUpperCase()} `)})`;
  if (name === 'not') return `NOT ${formatNode(args[0])}`;
  if (INFIX.has(name)) return `(${formatNode(args[0])} ${name} ${formatNode(args[1])})`;
  switch (name) {
    case 'like':
      return `(${formatNode(args[0])} LIKE ${formatNode(args[1])})`;
    case 'between':
      return `(${formatNode(args[0])} BETWEEN ${formatNode(args[1])} AND ${formatNode(args[2])})`;
    case 'in':
      return `(${formatNode(args[0])} IN ${formatNode(args[1])})`;
    case 'isNull':
      return `(${formatNode(args[0])} IS NULL)`;
    default:
      // casei, accenti, S_*, T_*, A_*: function syntax with the upper-case name the standard uses.
      return `${name.toUpperCase()}(${args.map(formatNode).join(', ')})`;
  }
}

/**
 * Writes `e` as CQL2-text. Operations are parenthesised so that parsing the text gives back `e`.
 */
export function formatCql2Text(e: Cql2Expression): string {
  const text = formatNode(e);
  // Drop the outermost parentheses when they enclose the whole filter.
  if (text.startsWith('(') && text.endsWith(')') && isOperation(e) && canonicalOperator(e.op) !== undefined) {
    let depth = 0;
    let inString = false;
    for (let index = 0; index < text.length; index++) {
      const character = text[index];
      if (character === "'") inString = !inString;
      if (inString) continue;
      if (character === '(') depth++;
      if (character === ')') depth--;
      if (depth === 0 && index < text.length - 1) return text;
    }
    return text.slice(1, -1);
  }
  return text;
}

/** Writes `e` as a CQL2-JSON value (a fresh copy; operators in their CQL2-JSON spelling). */
export function formatCql2Json(e: Cql2Expression): object | string | number | boolean {
  return structuredClone(e);
}
