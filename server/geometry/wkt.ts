// Well-known text (OGC 06-103r4 / ISO 13249-3, 2D and Z) to GeoJSON and back, as CQL2's geometry literals use it.
import type { Geometry, Position } from 'geojson';
import { GeometryError } from './errors';

const TAGS = new Map<string, Geometry['type']>([
  ['POINT', 'Point'],
  ['LINESTRING', 'LineString'],
  ['POLYGON', 'Polygon'],
  ['MULTIPOINT', 'MultiPoint'],
  ['MULTILINESTRING', 'MultiLineString'],
  ['MULTIPOLYGON', 'MultiPolygon'],
  ['GEOMETRYCOLLECTION', 'GeometryCollection'],
]);

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
const WORD = /[A-Za-z]+/y;

/** A small recursive-descent reader over the text; positions in errors are 0-based character offsets. */
class WktReader {
  position: number;
  constructor(
    readonly text: string,
    start: number,
  ) {
    this.position = start;
  }

  fail(message: string): never {
    const found =
      this.position >= this.text.length
        ? 'end of text'
        : `'${this.text.slice(this.position, this.position + 12)}'`;
    throw new GeometryError(`WKT at character ${this.position}: ${message}, found ${found}`);
  }

  skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position]!)) this.position++;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.position] ?? '';
  }

  expect(character: string): void {
    if (this.peek() !== character) this.fail(`expected '${character}'`);
    this.position++;
  }

  word(): string | undefined {
    this.skipSpace();
    WORD.lastIndex = this.position;
    const match = WORD.exec(this.text);
    if (!match) return undefined;
    this.position += match[0].length;
    return match[0].toUpperCase();
  }

  /** Reads a word only when it is the given one. */
  optionalWord(expected: string): boolean {
    const start = this.position;
    if (this.word() === expected) return true;
    this.position = start;
    return false;
  }

  number(): number {
    this.skipSpace();
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('expected a number');
    this.position += match[0].length;
    return Number(match[0]);
  }

  /** `x y [z]`; the count of numbers must match the dimension the tag declared (or the first point's). */
  point(dimensions: { count: number | undefined }): Position {
    const coordinates = [this.number(), this.number()];
    this.skipSpace();
    NUMBER.lastIndex = this.position;
    if (NUMBER.test(this.text)) coordinates.push(this.number());
    this.skipSpace();
    NUMBER.lastIndex = this.position;
    if (NUMBER.test(this.text)) this.fail('M coordinates are not supported (only x y and x y z)');
    if (dimensions.count === undefined) dimensions.count = coordinates.length;
    else if (dimensions.count !== coordinates.length) {
      this.fail(`expected ${dimensions.count} coordinates per point like the rest of the geometry`);
    }
    return coordinates;
  }

  /** `EMPTY` or `( item, item, … )`. */
  list<T>(item: () => T, minimum: number, what: string): T[] {
    if (this.optionalWord('EMPTY')) return [];
    this.expect('(');
    const items = [item()];
    while (this.peek() === ',') {
      this.position++;
      items.push(item());
    }
    this.expect(')');
    if (items.length < minimum) this.fail(`${what} needs at least ${minimum} points, got ${items.length}`);
    return items;
  }

  ring(dimensions: { count: number | undefined }): Position[] {
    const start = this.position;
    const ring = this.list(() => this.point(dimensions), 4, 'a linear ring');
    const first = ring[0];
    const last = ring[ring.length - 1];
    if (first && last && first.some((value, index) => value !== last[index])) {
      this.position = start;
      this.fail('linear ring is not closed (the last point must equal the first)');
    }
    return ring;
  }

  polygon(dimensions: { count: number | undefined }): Position[][] {
    return this.list(() => this.ring(dimensions), 1, 'a polygon');
  }

  geometry(): Geometry {
    const tagStart = this.position;
    const tag = this.word();
    const type = tag === undefined ? undefined : TAGS.get(tag);
    if (type === undefined) {
      this.position = tagStart;
      this.fail(`expected one of ${[...TAGS.keys()].join(', ')}`);
    }
    const dimensions: { count: number | undefined } = { count: undefined };
    const modifierStart = this.position;
    const modifier = this.word();
    if (modifier === 'Z') dimensions.count = 3;
    else if (modifier === 'M' || modifier === 'ZM') {
      this.position = modifierStart;
      this.fail('M coordinates are not supported (only x y and x y z)');
    } else this.position = modifierStart;
    switch (type) {
      case 'Point': {
        if (this.optionalWord('EMPTY')) this.fail('an empty point has no GeoJSON form');
        this.expect('(');
        const coordinates = this.point(dimensions);
        this.expect(')');
        return { type, coordinates };
      }
      case 'LineString':
        return { type, coordinates: this.list(() => this.point(dimensions), 2, 'a line string') };
      case 'Polygon':
        return { type, coordinates: this.polygon(dimensions) };
      case 'MultiPoint':
        // Both `MULTIPOINT ((1 2), (3 4))` (the standard) and `MULTIPOINT (1 2, 3 4)` (common) are read.
        return {
          type,
          coordinates: this.list(
            () => {
              if (this.peek() !== '(') return this.point(dimensions);
              this.position++;
              const point = this.point(dimensions);
              this.expect(')');
              return point;
            },
            1,
            'a multipoint',
          ),
        };
      case 'MultiLineString':
        return {
          type,
          coordinates: this.list(
            () => this.list(() => this.point(dimensions), 2, 'a line string'),
            1,
            'a list',
          ),
        };
      case 'MultiPolygon':
        return { type, coordinates: this.list(() => this.polygon(dimensions), 1, 'a list') };
      case 'GeometryCollection':
        return { type, geometries: this.list(() => this.geometry(), 1, 'a list') };
    }
  }
}

/**
 * Reads one WKT geometry starting at `start` and reports where it ends: for parsers (CQL2) that embed WKT literals.
 * @throws GeometryError naming the character offset and what was expected
 */
export function readWkt(text: string, start = 0): { geometry: Geometry; end: number } {
  const reader = new WktReader(text, start);
  const geometry = reader.geometry();
  return { geometry, end: reader.position };
}

/**
 * Parses a WKT geometry (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION;
 * optional `Z`; EMPTY for all but POINT) into GeoJSON. Keywords are case-insensitive. Coordinates are taken as
 * longitude, latitude[, height], as CQL2 (CRS84) orders them.
 * @throws GeometryError on anything else, naming the character offset and what was expected
 */
export function parseWkt(text: string): Geometry {
  const reader = new WktReader(text, 0);
  const geometry = reader.geometry();
  reader.skipSpace();
  if (reader.position < text.length) reader.fail('unexpected text after the geometry');
  return geometry;
}

function hasHeights(geometry: Geometry): boolean {
  const all = (positions: Position[]): boolean => positions.every((position) => position.length >= 3);
  switch (geometry.type) {
    case 'Point':
      return geometry.coordinates.length >= 3;
    case 'MultiPoint':
    case 'LineString':
      return geometry.coordinates.length > 0 && all(geometry.coordinates);
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates.length > 0 && geometry.coordinates.every(all);
    case 'MultiPolygon':
      return geometry.coordinates.length > 0 && geometry.coordinates.every((polygon) => polygon.every(all));
    case 'GeometryCollection':
      return geometry.geometries.length > 0 && geometry.geometries.every(hasHeights);
  }
}

function formatBody(geometry: Geometry, withHeights: boolean): string {
  const point = (position: Position): string =>
    (withHeights ? position.slice(0, 3) : position.slice(0, 2)).map((value) => String(value)).join(' ');
  const path = (positions: Position[]): string => `(${positions.map(point).join(', ')})`;
  const polygon = (rings: Position[][]): string => `(${rings.map(path).join(', ')})`;
  const list = <T>(items: T[], format: (item: T) => string): string =>
    items.length === 0 ? 'EMPTY' : `(${items.map(format).join(', ')})`;
  switch (geometry.type) {
    case 'Point':
      return `(${point(geometry.coordinates)})`;
    case 'MultiPoint':
      return list(geometry.coordinates, (position) => `(${point(position)})`);
    case 'LineString':
      return geometry.coordinates.length === 0 ? 'EMPTY' : path(geometry.coordinates);
    case 'Polygon':
      return list(geometry.coordinates, path);
    case 'MultiLineString':
      return list(geometry.coordinates, path);
    case 'MultiPolygon':
      return list(geometry.coordinates, polygon);
    case 'GeometryCollection':
      return list(geometry.geometries, (member) => writeWkt(member, withHeights));
  }
}

function writeWkt(geometry: Geometry, withHeights: boolean): string {
  const tag = [...TAGS].find(([, type]) => type === geometry.type)![0];
  return `${tag}${withHeights ? ' Z' : ''} ${formatBody(geometry, withHeights)}`;
}

/**
 * Writes a GeoJSON geometry as WKT: `Z` when every position has a height (otherwise heights are left out), numbers
 * in JavaScript's shortest round-trip form, MULTIPOINT with parenthesised points, EMPTY for empty parts.
 */
export function formatWkt(geometry: Geometry): string {
  return writeWkt(geometry, hasHeights(geometry));
}
