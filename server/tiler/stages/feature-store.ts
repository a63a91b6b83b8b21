// Stage: spill triangulated objects to a temporary file so memory holds only a small index entry per object;
// tiles read their objects back one tile at a time.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import type { AttributeValue } from '../model';
import type { GeographicBounds, TriangulatedObject, TriangulatedSurface } from './triangulate';

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

const FLUSH_BYTES = 4 << 20;

function align8(value: number): number {
  return (value + 7) & ~7;
}

/** An append-only spill file of triangulated objects. */
export class FeatureStore {
  readonly entries: FeatureIndexEntry[] = [];
  private readonly descriptor: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(
    readonly path: string,
    private readonly storeIndex = 0,
  ) {
    this.descriptor = openSync(path, 'w+');
  }

  /** Appends one object and returns its index entry. */
  add(object: TriangulatedObject, line?: number): FeatureIndexEntry {
    const header = Buffer.from(
      JSON.stringify({
        id: object.id,
        parentId: object.parentId,
        type: object.type,
        lod: object.lod,
        attributes: object.attributes,
      }),
    );
    let size = align8(8 + header.length);
    for (const surface of object.surfaces) {
      size +=
        32 +
        surface.positions.length * 8 +
        align8(surface.indices.length * 4) +
        (surface.uvs ? align8(surface.uvs.length * 4) : 0);
    }
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, header.length, true);
    view.setUint32(4, object.surfaces.length, true);
    bytes.set(header, 8);
    let cursor = align8(8 + header.length);
    for (const surface of object.surfaces) {
      view.setUint32(cursor, surface.material, true);
      view.setUint32(cursor + 4, surface.positions.length / 3, true);
      view.setUint32(cursor + 8, surface.indices.length, true);
      view.setFloat32(cursor + 12, surface.normal[0], true);
      view.setFloat32(cursor + 16, surface.normal[1], true);
      view.setFloat32(cursor + 20, surface.normal[2], true);
      view.setUint32(cursor + 24, surface.uvs ? 1 : 0, true);
      cursor += 32;
      new Float64Array(bytes.buffer, cursor, surface.positions.length).set(surface.positions);
      cursor += surface.positions.length * 8;
      new Uint32Array(bytes.buffer, cursor, surface.indices.length).set(surface.indices);
      cursor += align8(surface.indices.length * 4);
      if (surface.uvs) {
        new Float32Array(bytes.buffer, cursor, surface.uvs.length).set(surface.uvs);
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
      offset: this.written + this.pendingBytes,
      length: size,
    };
    if (line !== undefined) entry.line = line;
    this.pending.push(bytes);
    this.pendingBytes += size;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    this.entries.push(entry);
    return entry;
  }

  /** Writes buffered objects to the file. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    while (offset < joined.length)
      offset += writeSync(this.descriptor, joined, offset, joined.length - offset, this.written + offset);
    this.written += joined.length;
    this.pending = [];
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

  constructor(private readonly paths: string[]) {
    this.descriptors = paths.map((file) => openSync(file, 'r'));
  }

  read(entry: FeatureIndexEntry): TriangulatedObject {
    return decodeObject(readEntryBytes(this.descriptors[entry.store], this.paths[entry.store], entry), entry);
  }

  close(): void {
    for (const descriptor of this.descriptors) closeSync(descriptor);
  }
}

function readEntryBytes(descriptor: number, file: string, entry: FeatureIndexEntry): Uint8Array {
  const bytes = new Uint8Array(entry.length);
  let done = 0;
  while (done < entry.length) {
    const count = readSync(descriptor, bytes, done, entry.length - done, entry.offset + done);
    if (count === 0) throw new Error(`spill file ${file} ended early`);
    done += count;
  }
  return bytes;
}

function decodeObject(bytes: Uint8Array, entry: FeatureIndexEntry): TriangulatedObject {
  const view = new DataView(bytes.buffer);
  const headerLength = view.getUint32(0, true);
  const surfaceCount = view.getUint32(4, true);
  const header = JSON.parse(Buffer.from(bytes.buffer, 8, headerLength).toString('utf8')) as {
    id: string;
    parentId?: string;
    type: string;
    lod: number;
    attributes: Record<string, AttributeValue>;
  };
  let cursor = align8(8 + headerLength);
  const surfaces: TriangulatedSurface[] = [];
  for (let index = 0; index < surfaceCount; index++) {
    const material = view.getUint32(cursor, true);
    const vertexCount = view.getUint32(cursor + 4, true);
    const indexCount = view.getUint32(cursor + 8, true);
    const textured = view.getUint32(cursor + 24, true) === 1;
    const normal: [number, number, number] = [
      view.getFloat32(cursor + 12, true),
      view.getFloat32(cursor + 16, true),
      view.getFloat32(cursor + 20, true),
    ];
    cursor += 32;
    const positions = new Float64Array(bytes.buffer, cursor, vertexCount * 3);
    cursor += vertexCount * 24;
    const indices = new Uint32Array(bytes.buffer, cursor, indexCount);
    cursor += align8(indexCount * 4);
    let uvs: Float32Array | undefined;
    if (textured) {
      uvs = new Float32Array(bytes.buffer, cursor, vertexCount * 2);
      cursor += align8(vertexCount * 8);
    }
    surfaces.push({ material, positions, normal, indices, uvs });
  }
  return {
    ...header,
    surfaces,
    bounds: entry.bounds,
    vertexCount: entry.vertexCount,
    triangleCount: entry.triangleCount,
  };
}
