// Stage: spill triangulated objects to a temporary file so memory holds only a small index entry per object;
// tiles read their objects back one tile at a time.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { collectGarbage } from '../memory';
import type { AttributeValue } from '../model';
import { createSurfaceColumns } from './triangulate';
import type {
  GeographicBounds,
  ObjectProperties,
  SurfaceColumns,
  TriangulatedObject,
  TriangulatedSurface,
} from './triangulate';

/** What stays in memory per object. */
export interface FeatureIndexEntry {
  id: string;
  parentId?: string;
  type: string;
  bounds: GeographicBounds;
  vertexCount: number;
  triangleCount: number;
  /** Which spill file holds the object (one per worker; 0 when converting in one thread). */
  store: number;
  offset: number;
  length: number;
  /** Line where the object starts in its file, for warnings. */
  line?: number;
}

/**
 * What reading an object back as part of a leaf tile needs of its index entry (no bounds or counts): a leaf's task
 * holds one per object for as long as the tile is written, so that the lighter these are, the less of them survives
 * into V8's old generation.
 */
export type SpillEntry = Pick<FeatureIndexEntry, 'id' | 'parentId' | 'type' | 'store' | 'offset' | 'length'>;

// 256 KB: large enough that writes cost little per byte, small enough that small inputs do not pay for a big buffer
// (4 MB had every conversion hold 4 MB more for its whole run, tile writing included).
const FLUSH_BYTES = 256 << 10;

function align8(value: number): number {
  return (value + 7) & ~7;
}

/** An append-only spill file of triangulated objects. */
export class FeatureStore {
  private readonly descriptor: number;
  /** Objects not yet written, back to back (each a multiple of 8 bytes, so typed-array views stay aligned). */
  private pending!: Uint8Array;
  private pendingView!: DataView;
  // Views of `pending` by element type, kept rather than made per surface (every object starts 8-byte aligned). All
  // five are set together by allocatePending.
  private pendingFloat64!: Float64Array;
  private pendingUint32!: Uint32Array;
  private pendingFloat32!: Float32Array;
  private pendingBytes = 0;
  private readonly encoder = new TextEncoder();
  private written = 0;

  constructor(
    readonly path: string,
    private readonly storeIndex = 0,
  ) {
    this.descriptor = openSync(path, 'w+');
    this.allocatePending(FLUSH_BYTES);
  }

  /** Appends one object and returns its index entry. */
  add(object: TriangulatedObject, line?: number): FeatureIndexEntry {
    // Only what the index entry does not hold: the id, parent id and type come back from the entry.
    const header = JSON.stringify([object.lod, object.attributes]);
    let geometrySize = 0;
    for (const surface of object.surfaces) {
      geometrySize +=
        32 +
        surface.positions.length * 8 +
        align8(surface.indices.length * 4) +
        (surface.uvs ? align8(surface.uvs.length * 4) : 0);
    }
    // The header is UTF-8 encoded straight into the buffer, so room is made for its longest encoding (3 bytes per
    // UTF-16 unit); the object then takes only what it needs.
    const largest = align8(8 + header.length * 3) + geometrySize;
    if (this.pendingBytes + largest > this.pending.length) {
      this.flush();
      if (largest > this.pending.length) this.allocatePending(align8(largest));
    }
    const start = this.pendingBytes;
    const bytes = this.pending;
    const view = this.pendingView;
    const headerLength = this.encoder.encodeInto(header, bytes.subarray(start + 8)).written;
    view.setUint32(start, headerLength, true);
    view.setUint32(start + 4, object.surfaces.length, true);
    const size = align8(8 + headerLength) + geometrySize;
    let cursor = start + align8(8 + headerLength);
    for (const surface of object.surfaces) {
      view.setUint32(cursor, surface.material, true);
      view.setUint32(cursor + 4, surface.positions.length / 3, true);
      view.setUint32(cursor + 8, surface.indices.length, true);
      view.setFloat32(cursor + 12, surface.normal[0], true);
      view.setFloat32(cursor + 16, surface.normal[1], true);
      view.setFloat32(cursor + 20, surface.normal[2], true);
      view.setUint32(cursor + 24, surface.uvs ? 1 : 0, true);
      cursor += 32;
      this.pendingFloat64.set(surface.positions, cursor / 8);
      cursor += surface.positions.length * 8;
      this.pendingUint32.set(surface.indices, cursor / 4);
      cursor += align8(surface.indices.length * 4);
      if (surface.uvs) {
        this.pendingFloat32.set(surface.uvs, cursor / 4);
        cursor += align8(surface.uvs.length * 4);
      }
    }
    const entry: FeatureIndexEntry = {
      id: object.id,
      parentId: object.parentId,
      type: object.type,
      bounds: object.bounds,
      vertexCount: object.vertexCount,
      triangleCount: object.triangleCount,
      store: this.storeIndex,
      offset: this.written + start,
      length: size,
    };
    if (line !== undefined) entry.line = line;
    this.pendingBytes += size;
    return entry;
  }

  /** A fresh write buffer of `size` bytes and its views. */
  private allocatePending(size: number): void {
    this.pending = new Uint8Array(size);
    this.pendingView = new DataView(this.pending.buffer);
    this.pendingFloat64 = new Float64Array(this.pending.buffer);
    this.pendingUint32 = new Uint32Array(this.pending.buffer);
    this.pendingFloat32 = new Float32Array(this.pending.buffer);
  }

  /** Writes buffered objects to the file. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const length = this.pendingBytes;
    let offset = 0;
    while (offset < length)
      offset += writeSync(this.descriptor, this.pending, offset, length - offset, this.written + offset);
    this.written += length;
    this.pendingBytes = 0;
  }

  /** Reads one object back. */
  read(entry: FeatureIndexEntry): TriangulatedObject {
    this.flush();
    return decodeObject(readEntryBytes(this.descriptor, this.path, entry), entry);
  }

  /** Closes and deletes the spill file. */
  dispose(): void {
    try {
      closeSync(this.descriptor);
    } finally {
      rmSync(this.path, { force: true });
    }
  }
}

/** Reads objects from the spill files of several stores (by `entry.store`), e.g. in a tile-writing worker. */
export class SpillReader {
  private readonly descriptors: number[];
  /** readTile's buffer, grow-only: a tile's bytes live only until its GLB is written (see readTile). */
  private tileBuffer = new Uint8Array(0);
  /** readTile's per-surface columns, grow-only too (so they may be longer than a tile's surfaces). */
  private tileColumns?: SurfaceColumns;

  constructor(private readonly paths: string[]) {
    this.descriptors = paths.map((file) => openSync(file, 'r'));
  }

  /** Reads several objects (decoded as objects with their surfaces; see {@link readTile} for the cheaper columns). */
  readAll(entries: FeatureIndexEntry[]): TriangulatedObject[] {
    const buffer = this.readBytes(entries, new Uint8Array(byteLengthOf(entries)));
    let at = 0;
    return entries.map((entry) => {
      // Entries are multiples of 8 bytes long, so every object starts aligned for its typed-array views.
      const bytes = buffer.subarray(at, at + entry.length);
      at += entry.length;
      return decodeObject(bytes, entry);
    });
  }

  /**
   * Makes the tile buffer `bytes` long at once (the spill bytes of the largest tile to read, where known), so that it
   * is not grown tile after tile: each larger buffer would come on top of the ones before until they are collected.
   */
  reserveTile(bytes: number): void {
    if (this.tileBuffer.length < bytes) this.tileBuffer = new Uint8Array(bytes);
  }

  /**
   * Reads the objects of a tile as surface columns over the bytes read: no object or typed array per surface, so a
   * tile's geometry is never materialised as JS objects before it is packed into a GLB. The bytes are read into a
   * buffer that the next call reuses (one buffer for every tile rather than a few MB of garbage per tile), and so are
   * the per-surface columns: what is returned is valid only until the next call, and its per-surface arrays may be
   * longer than `surfaceCount`.
   * @param remaps per store, the store's material index -> the one the columns get (default: kept as stored).
   */
  readTile(entries: SpillEntry[], remaps?: Int32Array[]): SurfaceColumns {
    const total = byteLengthOf(entries);
    if (this.tileBuffer.length < total)
      this.tileBuffer = new Uint8Array(Math.max(total, this.tileBuffer.length * 2));
    const buffer = this.readBytes(entries, this.tileBuffer.subarray(0, total));
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    // One Buffer over the tile's bytes for every object's JSON header (not one per object).
    const text = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let surfaceCount = 0;
    let at = 0;
    for (const entry of entries) {
      surfaceCount += view.getUint32(at + 4, true);
      at += entry.length;
    }
    // The buffer starts 8-byte aligned and so does every object in it: whole-buffer views serve every surface.
    const data = {
      positions: new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8),
      indices: new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4),
      uvs: new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4),
    };
    const capacity = this.tileColumns?.features.length ?? 0;
    if (!this.tileColumns || capacity < surfaceCount)
      this.tileColumns = createSurfaceColumns([], Math.max(surfaceCount, capacity * 2), data);
    const columns: SurfaceColumns = { ...this.tileColumns, ...data, objects: [], surfaceCount };
    let surface = 0;
    at = 0;
    for (let feature = 0; feature < entries.length; feature++) {
      const entry = entries[feature];
      const remap = remaps?.[entry.store];
      const { properties, count } = decodeHeader(text, view, at, entry);
      columns.objects.push(properties);
      let cursor = at + surfacesStart(view, at);
      for (let index = 0; index < count; index++) {
        const stored = readSurfaceHeader(view, cursor);
        columns.features[surface] = feature;
        columns.materials[surface] = remap ? remap[stored.material] : stored.material;
        columns.vertexCounts[surface] = stored.vertexCount;
        columns.indexCounts[surface] = stored.indexCount;
        columns.normals[surface * 3] = view.getFloat32(cursor + 12, true);
        columns.normals[surface * 3 + 1] = view.getFloat32(cursor + 16, true);
        columns.normals[surface * 3 + 2] = view.getFloat32(cursor + 20, true);
        cursor += SURFACE_HEADER_BYTES;
        columns.positionStarts[surface] = cursor / 8;
        cursor += stored.vertexCount * 24;
        columns.indexStarts[surface] = cursor / 4;
        cursor += align8(stored.indexCount * 4);
        columns.uvStarts[surface] = stored.textured ? cursor / 4 : -1;
        if (stored.textured) cursor += align8(stored.vertexCount * 8);
        surface++;
      }
      at += entry.length;
    }
    return columns;
  }

  /**
   * Reads the bytes of several objects into `buffer` (of their total length; one buffer per tile rather than one per
   * object), with one read per run of entries that follow each other in the same spill file (objects of a tile were
   * often spilled one after another).
   */
  private readBytes(entries: SpillEntry[], buffer: Uint8Array): Uint8Array {
    let at = 0;
    for (let first = 0; first < entries.length;) {
      const start = entries[first];
      let end = start.offset + start.length;
      let last = first + 1;
      while (last < entries.length && entries[last].store === start.store && entries[last].offset === end) {
        end += entries[last].length;
        last++;
      }
      const length = end - start.offset;
      readInto(
        this.descriptors[start.store],
        this.paths[start.store],
        start.offset,
        buffer.subarray(at, at + length),
      );
      at += length;
      first = last;
    }
    return buffer;
  }

  close(): void {
    for (const descriptor of this.descriptors) closeSync(descriptor);
  }
}

/** The bytes that `entries` take in their spill files. */
function byteLengthOf(entries: SpillEntry[]): number {
  let total = 0;
  for (const entry of entries) total += entry.length;
  return total;
}

function readEntryBytes(descriptor: number, file: string, entry: FeatureIndexEntry): Uint8Array {
  return readInto(descriptor, file, entry.offset, new Uint8Array(entry.length));
}

/** Fills `bytes` from the file at `offset`. */
function readInto(descriptor: number, file: string, offset: number, bytes: Uint8Array): Uint8Array {
  let done = 0;
  while (done < bytes.length) {
    const count = readSync(descriptor, bytes, done, bytes.length - done, offset + done);
    if (count === 0) throw new Error(`spill file ${file} ended early`);
    done += count;
  }
  return bytes;
}

/** Bytes before each surface's arrays: material, vertex count, index count, normal (3 × float32), textured flag. */
const SURFACE_HEADER_BYTES = 32;

/**
 * The object at `at` of `bytes` (`view` over the same bytes): its properties (JSON header and index entry) and how many
 * surfaces follow.
 */
function decodeHeader(
  bytes: Buffer,
  view: DataView,
  at: number,
  entry: SpillEntry,
): { properties: ObjectProperties; count: number } {
  const headerLength = view.getUint32(at, true);
  const [lod, attributes] = JSON.parse(bytes.toString('utf8', at + 8, at + 8 + headerLength)) as [
    number,
    Record<string, AttributeValue>,
  ];
  const properties: ObjectProperties = { id: entry.id, type: entry.type, lod, attributes };
  if (entry.parentId !== undefined) properties.parentId = entry.parentId;
  return { properties, count: view.getUint32(at + 4, true) };
}

/** Where the first surface of the object at `at` starts, relative to it (after its 8-aligned JSON header). */
function surfacesStart(view: DataView, at: number): number {
  return align8(8 + view.getUint32(at, true));
}

/** The fixed fields of the surface at `cursor` (its normal is read by the caller, as it needs it). */
function readSurfaceHeader(
  view: DataView,
  cursor: number,
): { material: number; vertexCount: number; indexCount: number; textured: boolean } {
  return {
    material: view.getUint32(cursor, true),
    vertexCount: view.getUint32(cursor + 4, true),
    indexCount: view.getUint32(cursor + 8, true),
    textured: view.getUint32(cursor + 24, true) === 1,
  };
}

function decodeObject(bytes: Uint8Array, entry: FeatureIndexEntry): TriangulatedObject {
  const base = bytes.byteOffset;
  const view = new DataView(bytes.buffer, base, bytes.byteLength);
  const { properties, count } = decodeHeader(
    Buffer.from(bytes.buffer, base, bytes.byteLength),
    view,
    0,
    entry,
  );
  let cursor = surfacesStart(view, 0);
  const surfaces: TriangulatedSurface[] = [];
  for (let index = 0; index < count; index++) {
    const { material, vertexCount, indexCount, textured } = readSurfaceHeader(view, cursor);
    const normal: [number, number, number] = [
      view.getFloat32(cursor + 12, true),
      view.getFloat32(cursor + 16, true),
      view.getFloat32(cursor + 20, true),
    ];
    cursor += SURFACE_HEADER_BYTES;
    const positions = new Float64Array(bytes.buffer, base + cursor, vertexCount * 3);
    cursor += vertexCount * 24;
    const indices = new Uint32Array(bytes.buffer, base + cursor, indexCount);
    cursor += align8(indexCount * 4);
    let uvs: Float32Array | undefined;
    if (textured) {
      uvs = new Float32Array(bytes.buffer, base + cursor, vertexCount * 2);
      cursor += align8(vertexCount * 8);
    }
    surfaces.push({ material, positions, normal, indices, uvs });
  }
  // A literal rather than `{ ...properties, … }` (an object spread per object read back costs more).
  const object: TriangulatedObject = {
    id: properties.id,
    type: properties.type,
    lod: properties.lod,
    attributes: properties.attributes,
    surfaces,
    bounds: entry.bounds,
    vertexCount: entry.vertexCount,
    triangleCount: entry.triangleCount,
  };
  if (properties.parentId !== undefined) object.parentId = properties.parentId;
  return object;
}

/** Read access to the objects of a conversion by number (a {@link FeatureIndex}, or a plain array in tests). */
export interface FeatureList {
  readonly length: number;
  at(index: number): FeatureIndexEntry | undefined;
}

/** A {@link FeatureIndex} as plain data. */
export interface FeatureIndexData {
  length: number;
  bounds: Float64Array;
  counts: Int32Array;
  offsets: Float64Array;
  lengths: Uint32Array;
  stores: Uint16Array;
  lines: Int32Array;
  /** Every id's UTF-8 bytes, back to back; object i's end at `idEnds[i]` and start where object i - 1's end. */
  idBytes: Uint8Array;
  idEnds: Uint32Array;
  /** The ids that UTF-8 cannot hold exactly (see {@link FeatureIndex}), by object number. */
  oddIds: Map<number, string>;
  parentIds: Array<string | undefined>;
  typeOf: Uint16Array;
  types: string[];
}

/** From this capacity on, FeatureIndex collects garbage right after it grows (see grow). */
const LARGE_CAPACITY = 32_768;

/** The bounds stored at `at` of `sides`, six numbers in FeatureIndex's order of sides (WEST … MAXIMUM_HEIGHT). */
export function boundsFrom(sides: Float64Array, at: number): GeographicBounds {
  return {
    west: sides[at],
    south: sides[at + 1],
    east: sides[at + 2],
    north: sides[at + 3],
    minimumHeight: sides[at + 4],
    maximumHeight: sides[at + 5],
  };
}

/** A lone surrogate: a string with one cannot be written as UTF-8 and read back unchanged. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Every object's index entry in typed arrays (about 90 bytes per object instead of ~400 for entry objects), so that
 * the memory a conversion holds grows as little as possible with the input. Entries are materialised on access.
 *
 * Ids are kept as UTF-8 bytes in one buffer (an 11-character id takes 15 bytes with its end offset, against 40 as a
 * string and its array element) and decoded on access. An id with a lone surrogate (CityJSON may spell one as a
 * `\ud800` escape) has no exact UTF-8 form: it is kept as a string as well, in `oddIds`, and its bytes (with
 * replacement characters) serve only for hashing.
 */
export class FeatureIndex implements FeatureList {
  // Sides of an object's bounds for boundAt, in the order of the bounds array.
  static readonly WEST = 0;
  static readonly SOUTH = 1;
  static readonly EAST = 2;
  static readonly NORTH = 3;
  static readonly MINIMUM_HEIGHT = 4;
  static readonly MAXIMUM_HEIGHT = 5;

  length = 0;
  private capacity = 0;
  private bounds: Float64Array = new Float64Array(0);
  private counts: Int32Array = new Int32Array(0);
  private offsets: Float64Array = new Float64Array(0);
  private lengths: Uint32Array = new Uint32Array(0);
  private stores: Uint16Array = new Uint16Array(0);
  private lines: Int32Array = new Int32Array(0);
  private idBytes: Uint8Array = new Uint8Array(0);
  /** A Buffer over `idBytes`, for decoding. */
  private idText: Buffer = Buffer.alloc(0);
  private idBytesUsed = 0;
  private idEnds: Uint32Array = new Uint32Array(0);
  private oddIds = new Map<number, string>();
  /**
   * Sparse: set only for objects that have a parent (most objects have none, e.g. buildings without parts, and an
   * element per object would cost 8 bytes each for nothing); a hole reads as undefined.
   */
  private parentIds: Array<string | undefined> = [];
  /** Per object, its type's number in `types` (2 bytes rather than an 8-byte array element). */
  private typeOf: Uint16Array = new Uint16Array(0);
  private types: string[] = [];
  private readonly typeNumbers = new Map<string, number>();
  /** Set by releasePlanningFields. */
  private planningReleased = false;

  /**
   * The index as plain, structured-clonable data: trimmed copies of its arrays or, with `copy` false, views of them
   * (no second index at once where the data stays in this thread; the room left for growth is kept with them).
   */
  toData(copy = true): FeatureIndexData {
    const n = this.length;
    const part = <T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(
      array: T,
      length: number,
    ): T => (copy ? array.slice(0, length) : array.subarray(0, length)) as T;
    return {
      length: n,
      bounds: part(this.bounds, n * 6),
      counts: part(this.counts, n * 2),
      offsets: part(this.offsets, n),
      lengths: part(this.lengths, n),
      stores: part(this.stores, n),
      lines: part(this.lines, n),
      idBytes: part(this.idBytes, this.idBytesUsed),
      idEnds: part(this.idEnds, n),
      oddIds: this.oddIds,
      parentIds: this.parentIds,
      typeOf: part(this.typeOf, n),
      types: this.types,
    };
  }

  /** An index over data from {@link toData} (taken over, not copied). */
  static fromData(data: FeatureIndexData): FeatureIndex {
    const index = new FeatureIndex();
    index.length = index.capacity = data.length;
    index.bounds = data.bounds;
    index.counts = data.counts;
    index.offsets = data.offsets;
    index.lengths = data.lengths;
    index.stores = data.stores;
    index.lines = data.lines;
    index.idBytes = data.idBytes;
    index.idText = Buffer.from(data.idBytes.buffer, data.idBytes.byteOffset, data.idBytes.byteLength);
    index.idBytesUsed = data.idBytes.length;
    index.idEnds = data.idEnds;
    index.oddIds = data.oddIds;
    index.parentIds = data.parentIds;
    index.typeOf = data.typeOf;
    index.types = data.types;
    data.types.forEach((type, number) => index.typeNumbers.set(type, number));
    return index;
  }

  /** Grows to `minimum` objects or, by default, to twice the capacity. */
  private grow(minimum = Math.max(1024, this.capacity * 2)): void {
    this.capacity = minimum;
    const grown = <T extends Float64Array | Int32Array | Uint32Array | Uint16Array>(
      array: T,
      size: number,
    ): T => {
      const next = new (array.constructor as new (length: number) => T)(this.capacity * size);
      next.set(array);
      return next;
    };
    this.bounds = grown(this.bounds, 6);
    this.counts = grown(this.counts, 2);
    this.offsets = grown(this.offsets, 1);
    this.lengths = grown(this.lengths, 1);
    this.stores = grown(this.stores, 1);
    this.lines = grown(this.lines, 1);
    this.idEnds = grown(this.idEnds, 1);
    this.typeOf = grown(this.typeOf, 1);
    // The arrays just replaced are garbage, but old by now: they would be held until the next full collection (up to
    // 48 MB of input later while reading), beside their doubles. From 32,768 objects (about 1.3 MB replaced), one
    // collection now costs less than that (at 100,000 objects: 3 collections, peak RSS while reading 81 -> 76 MB).
    if (this.capacity >= LARGE_CAPACITY) collectGarbage();
  }

  push(entry: FeatureIndexEntry): void {
    if (this.length === this.capacity) this.grow();
    const index = this.length++;
    // Field by field rather than `set([...])`: no array literal per object.
    const { west, south, east, north, minimumHeight, maximumHeight } = entry.bounds;
    const bounds = this.bounds;
    const at = index * 6;
    bounds[at] = west;
    bounds[at + 1] = south;
    bounds[at + 2] = east;
    bounds[at + 3] = north;
    bounds[at + 4] = minimumHeight;
    bounds[at + 5] = maximumHeight;
    this.counts[index * 2] = entry.vertexCount;
    this.counts[index * 2 + 1] = entry.triangleCount;
    this.offsets[index] = entry.offset;
    this.lengths[index] = entry.length;
    this.stores[index] = entry.store;
    this.lines[index] = entry.line ?? -1;
    this.pushId(index, entry.id);
    if (entry.parentId !== undefined) this.parentIds[index] = entry.parentId;
    this.typeOf[index] = this.typeNumber(entry.type);
  }

  /** Appends the bytes of object `index`'s id. */
  private pushId(index: number, id: string): void {
    // At most 3 bytes per UTF-16 unit.
    this.reserveIdBytes(id.length * 3);
    this.idBytesUsed += this.idText.write(id, this.idBytesUsed);
    this.idEnds[index] = this.idBytesUsed;
    if (LONE_SURROGATE.test(id)) this.oddIds.set(index, id);
  }

  /** Makes room for `count` more id bytes (doubling, so that appending stays cheap). */
  private reserveIdBytes(count: number): void {
    if (this.idBytesUsed + count <= this.idBytes.length) return;
    const grown = new Uint8Array(Math.max(this.idBytesUsed + count, this.idBytes.length * 2, 16 << 10));
    grown.set(this.idBytes.subarray(0, this.idBytesUsed));
    this.idBytes = grown;
    this.idText = Buffer.from(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** Where object `index`'s id bytes start. */
  private idStart(index: number): number {
    return index === 0 ? 0 : this.idEnds[index - 1];
  }

  /** The number of type `name`, added to the types if new. */
  private typeNumber(name: string): number {
    let type = this.typeNumbers.get(name);
    if (type === undefined) {
      type = this.types.length;
      if (type > 0xffff) throw new Error(`FeatureIndex: more than 65,536 object types (at ${name})`);
      this.types.push(name);
      this.typeNumbers.set(name, type);
    }
    return type;
  }

  /** Makes room for `count` objects in all: one allocation, and no slack, where the final count is known. */
  reserve(count: number): void {
    if (count > this.capacity) this.grow(count);
  }

  /** Appends object `index` of `source` with `line` as its line, copied array to array (no entry object). */
  pushFrom(source: FeatureIndex, index: number, line: number | undefined): void {
    if (this.length === this.capacity) this.grow();
    const to = this.length++;
    this.bounds.set(source.bounds.subarray(index * 6, index * 6 + 6), to * 6);
    this.counts[to * 2] = source.counts[index * 2];
    this.counts[to * 2 + 1] = source.counts[index * 2 + 1];
    this.offsets[to] = source.offsets[index];
    this.lengths[to] = source.lengths[index];
    this.stores[to] = source.stores[index];
    this.lines[to] = line ?? -1;
    const start = source.idStart(index);
    const end = source.idEnds[index];
    this.reserveIdBytes(end - start);
    this.idBytes.set(source.idBytes.subarray(start, end), this.idBytesUsed);
    this.idBytesUsed += end - start;
    this.idEnds[to] = this.idBytesUsed;
    const oddId = source.oddIds.get(index);
    if (oddId !== undefined) this.oddIds.set(to, oddId);
    const parentId = source.parentIds[index];
    if (parentId !== undefined) this.parentIds[to] = parentId;
    this.typeOf[to] = this.typeNumber(source.typeAt(index));
  }

  // Read access by field, for passes over every object (quadtree, tile plans, id index) that would otherwise create an
  // entry object per object and call.

  /** The persistent id of object `index`. */
  idAt(index: number): string {
    return this.oddIds.get(index) ?? this.idText.toString('utf8', this.idStart(index), this.idEnds[index]);
  }

  /** A hash of object `index`'s id (FNV-1a over its bytes): equal ids have equal hashes. */
  idHashAt(index: number): number {
    const bytes = this.idBytes;
    let hash = 0x811c9dc5;
    for (let at = this.idStart(index), end = this.idEnds[index]; at < end; at++)
      hash = Math.imul(hash ^ bytes[at], 0x01000193);
    return hash >>> 0;
  }

  /** True when object `index` has the same id as object `otherIndex` of `other` (which may be this index). */
  sameIdAt(index: number, other: FeatureIndex, otherIndex: number): boolean {
    if (this.oddIds.size > 0 || other.oddIds.size > 0) {
      // Different odd ids may share their bytes, and an odd id those of a plain one: only the strings can tell.
      if (this.oddIds.has(index) || other.oddIds.has(otherIndex))
        return this.idAt(index) === other.idAt(otherIndex);
    }
    const start = this.idStart(index);
    const length = this.idEnds[index] - start;
    const otherStart = other.idStart(otherIndex);
    if (other.idEnds[otherIndex] - otherStart !== length) return false;
    for (let offset = 0; offset < length; offset++)
      if (this.idBytes[start + offset] !== other.idBytes[otherStart + offset]) return false;
    return true;
  }

  /** The type of object `index`, e.g. `BuildingPart`. */
  typeAt(index: number): string {
    return this.types[this.typeOf[index]];
  }

  /** The id of the object that object `index` is a part of, if any. */
  parentIdAt(index: number): string | undefined {
    return this.parentIds[index];
  }

  /** The line where object `index` starts, if known. */
  lineAt(index: number): number | undefined {
    const line = this.lines[index];
    return line >= 0 ? line : undefined;
  }

  /** The bytes object `index` takes in its spill file. */
  lengthAt(index: number): number {
    return this.lengths[index];
  }

  /** The vertex count of object `index`. */
  vertexCountAt(index: number): number {
    return this.counts[index * 2];
  }

  /**
   * One side of object `index`'s bounds: `FeatureIndex.WEST`, `.SOUTH`, `.EAST`, `.NORTH` (degrees),
   * `.MINIMUM_HEIGHT` or `.MAXIMUM_HEIGHT` (metres).
   */
  boundAt(index: number, side: number): number {
    return this.bounds[index * 6 + side];
  }

  /** The bounds of object `index` as an object. */
  boundsAt(index: number): GeographicBounds {
    return boundsFrom(this.bounds, index * 6);
  }

  /** What reading object `index` back in a leaf tile needs (see {@link SpillEntry}). */
  spillEntryAt(index: number): SpillEntry {
    const entry: SpillEntry = {
      id: this.idAt(index),
      type: this.types[this.typeOf[index]],
      store: this.stores[index],
      offset: this.offsets[index],
      length: this.lengths[index],
    };
    const parentId = this.parentIds[index];
    if (parentId !== undefined) entry.parentId = parentId;
    return entry;
  }

  /**
   * Lets go of what only reading, merging and planning need: the bounds, counts and lines (64 bytes per object), once
   * the tiles are planned and the id index written. Afterwards only the ids, types, parent ids and spill places remain
   * (idAt, typeAt, parentIdAt, spillEntryAt); at() throws.
   */
  releasePlanningFields(): void {
    this.bounds = new Float64Array(0);
    this.counts = new Int32Array(0);
    this.lines = new Int32Array(0);
    this.planningReleased = true;
  }

  at(index: number): FeatureIndexEntry | undefined {
    if (this.planningReleased) throw new Error('FeatureIndex.at: the bounds, counts and lines were let go');
    if (index < 0 || index >= this.length) return undefined;
    const entry: FeatureIndexEntry = {
      id: this.idAt(index),
      type: this.types[this.typeOf[index]],
      bounds: this.boundsAt(index),
      vertexCount: this.counts[index * 2],
      triangleCount: this.counts[index * 2 + 1],
      store: this.stores[index],
      offset: this.offsets[index],
      length: this.lengths[index],
    };
    const parentId = this.parentIds[index];
    if (parentId !== undefined) entry.parentId = parentId;
    if (this.lines[index] >= 0) entry.line = this.lines[index];
    return entry;
  }
}

/**
 * A set of objects of one {@link FeatureIndex} (the home index), looked up by id: for finding duplicate ids without a
 * string per id, an open-addressing table of object numbers over the indexes' id bytes (4 bytes per slot).
 */
export class IdSet {
  /** Object numbers of the home index; -1 for an empty slot. Never more than half full. */
  private slots: Int32Array;
  private size = 0;

  /** @param expected how many objects the set will likely hold (it grows past that if need be). */
  constructor(
    private readonly home: FeatureIndex,
    expected = 0,
  ) {
    this.slots = new Int32Array(slotCountFor(expected)).fill(-1);
  }

  /** True when the set holds an object with the id of object `index` of `source`. */
  has(source: FeatureIndex, index: number): boolean {
    const mask = this.slots.length - 1;
    for (let slot = source.idHashAt(index) & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot];
      if (held < 0) return false;
      if (this.home.sameIdAt(held, source, index)) return true;
    }
  }

  /** Adds object `index` of the home index (whose id the set does not hold yet). */
  add(index: number): void {
    if ((this.size + 1) * 2 > this.slots.length) {
      const held = this.slots;
      this.slots = new Int32Array(held.length * 2).fill(-1);
      for (const object of held) if (object >= 0) this.place(object);
    }
    this.place(index);
    this.size++;
  }

  private place(index: number): void {
    const mask = this.slots.length - 1;
    let slot = this.home.idHashAt(index) & mask;
    while (this.slots[slot] >= 0) slot = (slot + 1) & mask;
    this.slots[slot] = index;
  }
}

/** The smallest power of two of at least twice `count` slots (at least 1 024). */
function slotCountFor(count: number): number {
  let slots = 1024;
  while (slots < count * 2) slots *= 2;
  return slots;
}
