// GeoPackageBinary geometry blobs (GeoPackage 1.3 §2.1.3): header, envelope and ISO WKB, read and written.
import type { Geometry, Position } from 'geojson';
import { boundingBoxOf } from './geometry';

const ENVELOPE_BYTES = [0, 32, 48, 48, 64];
const TYPE_CODES: Record<Geometry['type'], number> = {
  Point: 1,
  LineString: 2,
  Polygon: 3,
  MultiPoint: 4,
  MultiLineString: 5,
  MultiPolygon: 6,
  GeometryCollection: 7,
};

/** Header facts of a GeoPackageBinary blob. */
export interface GeoPackageBlobHeader {
  srsId: number;
  empty: boolean;
  /** [minx, maxx, miny, maxy] when the blob carries an envelope. */
  envelope?: [number, number, number, number];
  /** Byte offset of the WKB. */
  wkbOffset: number;
}

/**
 * Reads the header of a GeoPackageBinary blob.
 * @throws Error when the magic or envelope code is wrong
 */
export function readGeoPackageHeader(blob: Uint8Array): GeoPackageBlobHeader {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50)
    throw new Error('not a GeoPackageBinary blob (no GP magic)');
  const flags = blob[3];
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const littleEndian = (flags & 1) === 1;
  const envelopeCode = (flags >> 1) & 7;
  if (envelopeCode > 4) throw new Error(`invalid GeoPackageBinary envelope code ${envelopeCode}`);
  const envelopeLength = ENVELOPE_BYTES[envelopeCode];
  const header: GeoPackageBlobHeader = {
    srsId: view.getInt32(4, littleEndian),
    empty: (flags & 0x10) !== 0,
    wkbOffset: 8 + envelopeLength,
  };
  if (envelopeLength > 0) {
    header.envelope = [
      view.getFloat64(8, littleEndian),
      view.getFloat64(16, littleEndian),
      view.getFloat64(24, littleEndian),
      view.getFloat64(32, littleEndian),
    ];
  }
  return header;
}

/**
 * Decodes a GeoPackageBinary blob to a GeoJSON geometry (null when empty).
 * @throws Error on a malformed blob
 */
export function decodeGeoPackageGeometry(blob: Uint8Array): Geometry | null {
  const header = readGeoPackageHeader(blob);
  if (header.empty && blob.length <= header.wkbOffset) return null;
  const reader = new WkbReader(blob.subarray(header.wkbOffset));
  const geometry = reader.read();
  return isEmpty(geometry) ? null : geometry;
}

function isEmpty(geometry: Geometry): boolean {
  if (geometry.type === 'GeometryCollection') return geometry.geometries.length === 0;
  if (geometry.type === 'Point')
    return geometry.coordinates.length === 0 || geometry.coordinates.every(Number.isNaN);
  return geometry.coordinates.length === 0;
}

class WkbReader {
  #view: DataView;
  #offset = 0;
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  read(): Geometry {
    const littleEndian = this.#view.getUint8(this.#offset) === 1;
    this.#offset += 1;
    let code = this.#view.getUint32(this.#offset, littleEndian);
    this.#offset += 4;
    // EWKB flags (PostGIS) and ISO thousands both say which ordinates follow.
    let dimensions = 2;
    if (code & 0x80000000) dimensions++;
    if (code & 0x40000000) dimensions++;
    code &= 0x0fffffff;
    const family = Math.floor(code / 1000);
    code %= 1000;
    if (family === 1 || family === 2) dimensions = 3;
    if (family === 3) dimensions = 4;
    const position = (): Position => {
      const values: number[] = [];
      for (let index = 0; index < dimensions; index++) {
        values.push(this.#view.getFloat64(this.#offset, littleEndian));
        this.#offset += 8;
      }
      // Keep x, y and z; a measure is not part of GeoJSON.
      return family === 2 ? values.slice(0, 2) : values.slice(0, 3);
    };
    const count = (): number => {
      const value = this.#view.getUint32(this.#offset, littleEndian);
      this.#offset += 4;
      return value;
    };
    const line = (): Position[] => Array.from({ length: count() }, position);
    switch (code) {
      case 1: {
        const point = position();
        return { type: 'Point', coordinates: point.some(Number.isNaN) ? [] : point };
      }
      case 2:
        return { type: 'LineString', coordinates: line() };
      case 3:
        return { type: 'Polygon', coordinates: Array.from({ length: count() }, line) };
      case 4:
        return {
          type: 'MultiPoint',
          coordinates: Array.from(
            { length: count() },
            () => (this.read() as { coordinates: Position }).coordinates,
          ),
        };
      case 5:
        return {
          type: 'MultiLineString',
          coordinates: Array.from(
            { length: count() },
            () => (this.read() as { coordinates: Position[] }).coordinates,
          ),
        };
      case 6:
        return {
          type: 'MultiPolygon',
          coordinates: Array.from(
            { length: count() },
            () => (this.read() as { coordinates: Position[][] }).coordinates,
          ),
        };
      case 7:
        return { type: 'GeometryCollection', geometries: Array.from({ length: count() }, () => this.read()) };
      default:
        throw new Error(`unsupported WKB geometry type ${code}`);
    }
  }
}

/** Encodes a GeoJSON geometry as little-endian ISO WKB (2D, or 3D when the first position has z). */
export function encodeWkb(geometry: Geometry): Buffer {
  const parts: Buffer[] = [];
  const hasZ = firstPosition(geometry)?.length === 3;
  const write = (value: Geometry) => {
    const head = Buffer.alloc(5);
    head.writeUInt8(1, 0);
    head.writeUInt32LE(TYPE_CODES[value.type] + (hasZ ? 1000 : 0), 1);
    parts.push(head);
    const positions = (list: Position[]) => {
      const buffer = Buffer.alloc(4 + list.length * (hasZ ? 24 : 16));
      buffer.writeUInt32LE(list.length, 0);
      list.forEach((point, index) => writePosition(buffer, 4 + index * (hasZ ? 24 : 16), point, hasZ));
      parts.push(buffer);
    };
    const counted = (length: number) => {
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32LE(length, 0);
      parts.push(buffer);
    };
    switch (value.type) {
      case 'Point': {
        const buffer = Buffer.alloc(hasZ ? 24 : 16);
        writePosition(buffer, 0, value.coordinates.length ? value.coordinates : [NaN, NaN, NaN], hasZ);
        parts.push(buffer);
        return;
      }
      case 'LineString':
        positions(value.coordinates);
        return;
      case 'Polygon':
        counted(value.coordinates.length);
        value.coordinates.forEach(positions);
        return;
      case 'MultiPoint':
        counted(value.coordinates.length);
        value.coordinates.forEach((coordinates) => write({ type: 'Point', coordinates }));
        return;
      case 'MultiLineString':
        counted(value.coordinates.length);
        value.coordinates.forEach((coordinates) => write({ type: 'LineString', coordinates }));
        return;
      case 'MultiPolygon':
        counted(value.coordinates.length);
        value.coordinates.forEach((coordinates) => write({ type: 'Polygon', coordinates }));
        return;
      case 'GeometryCollection':
        counted(value.geometries.length);
        value.geometries.forEach(write);
    }
  };
  write(geometry);
  return Buffer.concat(parts);
}

function writePosition(buffer: Buffer, offset: number, position: Position, hasZ: boolean): void {
  buffer.writeDoubleLE(position[0], offset);
  buffer.writeDoubleLE(position[1], offset + 8);
  if (hasZ) buffer.writeDoubleLE(position[2] ?? 0, offset + 16);
}

function firstPosition(geometry: Geometry): Position | undefined {
  switch (geometry.type) {
    case 'Point':
      return geometry.coordinates;
    case 'MultiPoint':
    case 'LineString':
      return geometry.coordinates[0];
    case 'MultiLineString':
    case 'Polygon':
      return geometry.coordinates[0]?.[0];
    case 'MultiPolygon':
      return geometry.coordinates[0]?.[0]?.[0];
    case 'GeometryCollection':
      return geometry.geometries[0] ? firstPosition(geometry.geometries[0]) : undefined;
  }
}

/** Encodes a geometry as a little-endian GeoPackageBinary blob with an [minx,maxx,miny,maxy] envelope. */
export function encodeGeoPackageGeometry(geometry: Geometry, srsId: number): Buffer {
  const box = boundingBoxOf(geometry);
  const header = Buffer.alloc(box ? 40 : 8);
  header.write('GP', 0, 'ascii');
  header.writeUInt8(0, 2);
  // flags: little endian (bit 0), envelope code 1 (bits 1-3), empty (bit 4).
  header.writeUInt8(box ? 0b0000_0011 : 0b0001_0001, 3);
  header.writeInt32LE(srsId, 4);
  if (box) {
    header.writeDoubleLE(box[0], 8);
    header.writeDoubleLE(box[2], 16);
    header.writeDoubleLE(box[1], 24);
    header.writeDoubleLE(box[3], 32);
  }
  return Buffer.concat([header, encodeWkb(geometry)]);
}
