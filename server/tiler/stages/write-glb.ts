// Stage: encode one tile's objects as a glTF 2.0 binary (GLB): positions relative to the tile centre (float64 maths,
// y-up), flat unit normals, EXT_mesh_features feature ids, EXT_structural_metadata property table, optional
// KHR_mesh_quantization (uint16 positions).
import type { Rgba } from '../model';
import { FLOAT64_NO_DATA, INT32_NO_DATA, propertyValue } from './metadata-schema';
import type { MetadataSchema } from './metadata-schema';
import { surfaceColumnsOf } from './triangulate';
import type { ObjectProperties, SurfaceColumns, TriangulatedObject } from './triangulate';

/** Options of {@link writeGlb}. */
export interface GlbOptions {
  schema: MetadataSchema;
  materials: Rgba[];
  /** Quantize positions to uint16 (KHR_mesh_quantization). Default true. */
  compress?: boolean;
  /** Image file per textured material index. */
  images?: ReadonlyMap<number, string>;
  /** Reads an image's bytes (JPEG or PNG); default: none, textures are left out. */
  loadImage?: (path: string) => Uint8Array | undefined;
}

/** The encoded tile plus what the tileset needs to know about it. */
export interface GlbResult {
  glb: Buffer;
  /** ECEF centre used as the origin of the positions. */
  center: [number, number, number];
  vertexCount: number;
  triangleCount: number;
}

interface BufferViewSpec {
  data: Uint8Array;
  byteStride?: number;
  target?: number;
}

const ARRAY_BUFFER = 34962;
const ELEMENT_ARRAY_BUFFER = 34963;
const FLOAT = 5126;
const UNSIGNED_SHORT = 5123;
const UNSIGNED_INT = 5125;

function pad8(length: number): number {
  return (length + 7) & ~7;
}

/** A typed array's own bytes (not the whole buffer it may be a view of). */
function bytesOf(array: Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Memory for one tile's packed arrays, which live only until the GLB is written (or copied): grow-only and reused
 * from tile to tile, so that a tile written in pieces (writeGlbParts) leaves little more than its JSON to the
 * collector instead of a few MB of arrays that would make RSS grow between collections.
 */
class ScratchArena {
  private buffer = new ArrayBuffer(0);
  private used = 0;

  /** Starts a tile: arrays taken before may be overwritten from now on. */
  reset(): void {
    this.used = 0;
  }

  /** A zeroed array of `length` elements, 8-byte aligned, valid until the next reset. */
  take<T extends Uint16Array | Uint32Array | Int32Array | Float32Array | Float64Array>(
    type: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; BYTES_PER_ELEMENT: number },
    length: number,
  ): T {
    const bytes = pad8(length * type.BYTES_PER_ELEMENT);
    if (this.used + bytes > this.buffer.byteLength) {
      // Arrays taken before stay valid over the old buffer; the next tile starts in the larger one.
      this.buffer = new ArrayBuffer(Math.max(bytes, this.buffer.byteLength * 2, 1 << 20));
      this.used = 0;
    }
    new Uint8Array(this.buffer, this.used, bytes).fill(0);
    const array = new type(this.buffer, this.used, length);
    this.used += bytes;
    return array;
  }
}

const scratch = new ScratchArena();

const unitNormal = new Float32Array(3);

/**
 * An ECEF normal as glTF y-up (x, z, -y), rounded to float32 and divided by its float32 length (the result rounded
 * again): what the attribute holds, computed once per surface. Returns a shared scratch array.
 */
function unitNormalYUp(normals: Float64Array, at: number): Float32Array {
  unitNormal[0] = normals[at];
  unitNormal[1] = normals[at + 2];
  unitNormal[2] = -normals[at + 1];
  const length = Math.hypot(unitNormal[0], unitNormal[1], unitNormal[2]) || 1;
  unitNormal[0] /= length;
  unitNormal[1] /= length;
  unitNormal[2] /= length;
  return unitNormal;
}

/** A tile's GLB as consecutive pieces, to be written one after another (see {@link writeGlbParts}). */
export interface GlbParts extends Omit<GlbResult, 'glb'> {
  parts: Uint8Array[];
  byteLength: number;
}

/**
 * Encodes the objects of one tile, given as objects or as surface columns (e.g. from SpillReader.readTile, which
 * makes no object per surface). Feature id i is object i; the property table has one row per object.
 * @throws Error when there are no objects (a developer error: tiles are never empty).
 */
export function writeGlb(tile: TriangulatedObject[] | SurfaceColumns, options: GlbOptions): GlbResult {
  const { parts, byteLength, ...result } = writeGlbParts(tile, options);
  return { glb: Buffer.concat(parts, byteLength), ...result };
}

/**
 * Encodes a tile as {@link writeGlb} does, but returns the GLB in pieces (header and JSON, then the binary chunk's
 * buffer views and the zeros between them) that are mostly views of scratch memory, valid until the next call: a tile
 * writer writes them to its file as they are, so that no GLB-sized buffer is made per tile.
 * @throws Error when there are no objects (a developer error: tiles are never empty).
 */
export function writeGlbParts(tile: TriangulatedObject[] | SurfaceColumns, options: GlbOptions): GlbParts {
  const columns = Array.isArray(tile) ? surfaceColumnsOf(tile) : tile;
  const objects = columns.objects;
  if (objects.length === 0) throw new Error('writeGlb: a tile needs at least one object');
  scratch.reset();
  const compress = options.compress ?? true;
  // Centre: middle of the ECEF bounding box, in float64.
  const { minimum, maximum } = boundsOf(columns);
  const center: [number, number, number] = [
    (minimum[0] + maximum[0]) / 2,
    (minimum[1] + maximum[1]) / 2,
    (minimum[2] + maximum[2]) / 2,
  ];
  // glTF is y-up: ECEF (x, y, z) relative to the centre becomes (x, z, -y); Cesium rotates it back.
  const localMinimum = [minimum[0] - center[0], minimum[2] - center[2], -(maximum[1] - center[1])];
  const localMaximum = [maximum[0] - center[0], maximum[2] - center[2], -(minimum[1] - center[1])];
  // One uniform scale, so that normals need no correction for a non-uniform node scale.
  const uniformStep = Math.max(
    ...localMaximum.map((value, axis) => (value - localMinimum[axis]) / 65535),
    1e-9,
  );
  const step = [uniformStep, uniformStep, uniformStep];
  const frame: PositionFrame = {
    centerX: center[0],
    centerY: center[1],
    centerZ: center[2],
    originX: localMinimum[0],
    originY: localMinimum[1],
    originZ: localMinimum[2],
    step: uniformStep,
  };

  const bufferViews: BufferViewSpec[] = [];
  const accessors: Record<string, unknown>[] = [];
  const primitives: Record<string, unknown>[] = [];
  const materials: Record<string, unknown>[] = [];
  const materialIndex = new Map<number, number>();
  const images: Record<string, unknown>[] = [];
  const textures: Record<string, unknown>[] = [];
  let totalVertices = 0;
  let totalTriangles = 0;

  for (const [material, group] of groupByMaterial(columns)) {
    const { vertexCount, indexCount } = group;
    const imagePath = options.images?.get(material);
    const imageBytes = imagePath ? options.loadImage?.(imagePath) : undefined;
    const textured =
      imageBytes !== undefined && group.surfaces.every((surface) => columns.uvStarts[surface] >= 0);
    const { positions, positionMinimum, positionMaximum, normals, featureIds, indices, texcoords } =
      packPrimitive(columns, group, frame, compress, textured);
    const positionView =
      bufferViews.push(
        compress
          ? { data: positions, byteStride: 8, target: ARRAY_BUFFER }
          : { data: positions, target: ARRAY_BUFFER },
      ) - 1;
    const normalView = bufferViews.push({ data: bytesOf(normals), target: ARRAY_BUFFER }) - 1;
    const featureView = bufferViews.push({ data: bytesOf(featureIds), target: ARRAY_BUFFER }) - 1;
    const indexView = bufferViews.push({ data: bytesOf(indices), target: ELEMENT_ARRAY_BUFFER }) - 1;
    let texcoordAccessor: number | undefined;
    if (texcoords) {
      const texcoordView = bufferViews.push({ data: bytesOf(texcoords), target: ARRAY_BUFFER }) - 1;
      texcoordAccessor =
        accessors.push({ bufferView: texcoordView, componentType: FLOAT, count: vertexCount, type: 'VEC2' }) -
        1;
    }
    const positionAccessor =
      accessors.push({
        bufferView: positionView,
        componentType: compress ? UNSIGNED_SHORT : FLOAT,
        count: vertexCount,
        type: 'VEC3',
        min: positionMinimum,
        max: positionMaximum,
      }) - 1;
    const normalAccessor =
      accessors.push({ bufferView: normalView, componentType: FLOAT, count: vertexCount, type: 'VEC3' }) - 1;
    const featureAccessor =
      accessors.push({ bufferView: featureView, componentType: FLOAT, count: vertexCount, type: 'SCALAR' }) -
      1;
    const indexAccessor =
      accessors.push({
        bufferView: indexView,
        componentType: indices instanceof Uint32Array ? UNSIGNED_INT : UNSIGNED_SHORT,
        count: indexCount,
        type: 'SCALAR',
      }) - 1;
    let gltfMaterial = materialIndex.get(material);
    if (gltfMaterial === undefined) {
      const color = options.materials[material];
      gltfMaterial = materials.length;
      const pbrMetallicRoughness: Record<string, unknown> = {
        baseColorFactor: color,
        metallicFactor: 0,
        roughnessFactor: 1,
      };
      if (texcoords && imageBytes && imagePath) {
        const imageView = bufferViews.push({ data: imageBytes }) - 1;
        const mimeType = /\.png$/i.test(imagePath) ? 'image/png' : 'image/jpeg';
        const image = images.push({ bufferView: imageView, mimeType }) - 1;
        const texture = textures.push({ sampler: 0, source: image }) - 1;
        pbrMetallicRoughness.baseColorTexture = { index: texture };
      }
      materials.push({
        pbrMetallicRoughness,
        doubleSided: true,
        ...(color[3] < 1 ? { alphaMode: 'BLEND' } : {}),
      });
      materialIndex.set(material, gltfMaterial);
    }
    const attributes: Record<string, number> = {
      POSITION: positionAccessor,
      NORMAL: normalAccessor,
      _FEATURE_ID_0: featureAccessor,
    };
    if (texcoordAccessor !== undefined) attributes.TEXCOORD_0 = texcoordAccessor;
    primitives.push({
      attributes,
      indices: indexAccessor,
      material: gltfMaterial,
      mode: 4,
      extensions: {
        EXT_mesh_features: { featureIds: [{ featureCount: objects.length, attribute: 0, propertyTable: 0 }] },
      },
    });
    totalVertices += vertexCount;
    totalTriangles += indexCount / 3;
  }

  const tableProperties = encodePropertyTable(objects, options.schema, bufferViews);

  // Lay out the binary chunk, every view 8-byte aligned (the views become parts of the GLB as they are: glbParts).
  let byteLength = 0;
  const offsets: number[] = [];
  const views = bufferViews.map((view) => {
    offsets.push(byteLength);
    const json: Record<string, unknown> = {
      buffer: 0,
      byteOffset: byteLength,
      byteLength: view.data.byteLength,
    };
    if (view.byteStride) json.byteStride = view.byteStride;
    if (view.target) json.target = view.target;
    byteLength = pad8(byteLength + view.data.byteLength);
    return json;
  });

  const node: Record<string, unknown> = { mesh: 0 };
  const centerYUp = [center[0], center[2], -center[1]];
  if (compress) {
    node.translation = centerYUp.map((value, axis) => value + localMinimum[axis]);
    node.scale = step;
  } else {
    node.translation = centerYUp;
  }
  const extensionsUsed = ['EXT_mesh_features', 'EXT_structural_metadata'];
  if (compress) extensionsUsed.push('KHR_mesh_quantization');
  const gltf: Record<string, unknown> = {
    asset: { version: '2.0', generator: 'Plaza tiler' },
    extensionsUsed,
    ...(compress ? { extensionsRequired: ['KHR_mesh_quantization'] } : {}),
    scene: 0,
    scenes: [{ nodes: [0] }],
    nodes: [node],
    meshes: [{ primitives }],
    materials,
    ...(images.length > 0
      ? { images, textures, samplers: [{ magFilter: 9729, minFilter: 9987, wrapS: 10497, wrapT: 10497 }] }
      : {}),
    accessors,
    bufferViews: views,
    buffers: [{ byteLength }],
    extensions: {
      EXT_structural_metadata: {
        schema: options.schema.json,
        propertyTables: [
          { class: options.schema.classIdentifier, count: objects.length, properties: tableProperties },
        ],
      },
    },
  };
  const parts = glbParts(gltf, { parts: bufferViews.map((view) => view.data), offsets, byteLength });
  let glbLength = 0;
  for (const part of parts) glbLength += part.byteLength;
  return { parts, byteLength: glbLength, center, vertexCount: totalVertices, triangleCount: totalTriangles };
}

/** Widens `box` (minimum x, y, z, then maximum x, y, z) to hold the point (x, y, z). */
function widenBox(box: Float64Array, x: number, y: number, z: number): void {
  if (x < box[0]) box[0] = x;
  if (y < box[1]) box[1] = y;
  if (z < box[2]) box[2] = z;
  if (x > box[3]) box[3] = x;
  if (y > box[4]) box[4] = y;
  if (z > box[5]) box[5] = z;
}

/** An empty box for {@link widenBox}. */
function emptyBox(): Float64Array {
  return new Float64Array([Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity]);
}

/** The ECEF bounding box of every surface's positions. */
function boundsOf(columns: SurfaceColumns): { minimum: number[]; maximum: number[] } {
  const { positions, positionStarts, vertexCounts } = columns;
  const box = emptyBox();
  for (let surface = 0; surface < columns.surfaceCount; surface++) {
    const end = positionStarts[surface] + vertexCounts[surface] * 3;
    for (let index = positionStarts[surface]; index < end; index += 3)
      widenBox(box, positions[index], positions[index + 1], positions[index + 2]);
  }
  return { minimum: [box[0], box[1], box[2]], maximum: [box[3], box[4], box[5]] };
}

/** The surfaces (indices into the columns) of one material in object order. */
interface MaterialGroup {
  surfaces: number[];
  vertexCount: number;
  indexCount: number;
}

/** Groups surfaces by material, materials in order of first use: one primitive per material. */
function groupByMaterial(columns: SurfaceColumns): Map<number, MaterialGroup> {
  const groups = new Map<number, MaterialGroup>();
  for (let surface = 0; surface < columns.surfaceCount; surface++) {
    const material = columns.materials[surface];
    let group = groups.get(material);
    if (!group) {
      group = { surfaces: [], vertexCount: 0, indexCount: 0 };
      groups.set(material, group);
    }
    group.surfaces.push(surface);
    group.vertexCount += columns.vertexCounts[surface];
    group.indexCount += columns.indexCounts[surface];
  }
  return groups;
}

/** Where positions go: the tile centre (ECEF) and the quantization grid (y-up, relative to the centre). */
interface PositionFrame {
  centerX: number;
  centerY: number;
  centerZ: number;
  originX: number;
  originY: number;
  originZ: number;
  step: number;
}

/** The vertex and index data of one primitive. */
interface PackedPrimitive {
  /** Quantized (3 × uint16 padded to an 8-byte stride) or float32 positions, as bytes. */
  positions: Uint8Array;
  positionMinimum: number[];
  positionMaximum: number[];
  normals: Float32Array;
  featureIds: Float32Array;
  indices: Uint16Array | Uint32Array;
  texcoords?: Float32Array;
}

// The per-vertex loops live in these small functions rather than in writeGlb: a large function that V8 deoptimizes
// (for a reason far from its loops) runs them unoptimized until it is compiled again, several times per tile.

/** Packs one material's surfaces into vertex attributes and indices. */
function packPrimitive(
  columns: SurfaceColumns,
  group: MaterialGroup,
  frame: PositionFrame,
  compress: boolean,
  textured: boolean,
): PackedPrimitive {
  const { vertexCount, indexCount, surfaces } = group;
  const quantized = compress ? scratch.take(Uint16Array, vertexCount * 4) : undefined;
  const floats = compress ? undefined : scratch.take(Float32Array, vertexCount * 3);
  const normals = scratch.take(Float32Array, vertexCount * 3);
  const featureIds = scratch.take(Float32Array, vertexCount);
  const indices =
    vertexCount > 65535 ? scratch.take(Uint32Array, indexCount) : scratch.take(Uint16Array, indexCount);
  const texcoords = textured ? scratch.take(Float32Array, vertexCount * 2) : undefined;
  const box = emptyBox();
  const sourceIndices = columns.indices;
  let vertexCursor = 0;
  let indexCursor = 0;
  for (const surface of surfaces) {
    const count = columns.vertexCounts[surface];
    const start = columns.positionStarts[surface];
    if (quantized) quantizePositions(columns.positions, start, count, frame, quantized, vertexCursor, box);
    else placePositions(columns.positions, start, count, frame, floats!, vertexCursor, box);
    // The surface's normal, y-up and normalised in float32 once (not per vertex) so that the validator's unit-length
    // check holds exactly.
    const normal = unitNormalYUp(columns.normals, surface * 3);
    const nx = normal[0];
    const ny = normal[1];
    const nz = normal[2];
    for (let vertex = vertexCursor * 3; vertex < (vertexCursor + count) * 3; vertex += 3) {
      normals[vertex] = nx;
      normals[vertex + 1] = ny;
      normals[vertex + 2] = nz;
    }
    featureIds.fill(columns.features[surface], vertexCursor, vertexCursor + count);
    const indexEnd = columns.indexStarts[surface] + columns.indexCounts[surface];
    for (let at = columns.indexStarts[surface]; at < indexEnd; at++)
      indices[indexCursor++] = vertexCursor + sourceIndices[at];
    if (texcoords) {
      const uvStart = columns.uvStarts[surface];
      texcoords.set(columns.uvs.subarray(uvStart, uvStart + count * 2), vertexCursor * 2);
    }
    vertexCursor += count;
  }
  return {
    positions: bytesOf(quantized ?? floats!),
    positionMinimum: [box[0], box[1], box[2]],
    positionMaximum: [box[3], box[4], box[5]],
    normals,
    featureIds,
    indices,
    texcoords,
  };
}

/**
 * Writes `count` ECEF positions from `positions[start]` as quantized y-up positions (x, z, -y relative to the centre,
 * on the grid) from vertex `first` of `out` (4 values per vertex), widening `box` to them.
 */
function quantizePositions(
  positions: Float64Array,
  start: number,
  count: number,
  frame: PositionFrame,
  out: Uint16Array,
  first: number,
  box: Float64Array,
): void {
  const { centerX, centerY, centerZ, originX, originY, originZ, step } = frame;
  let offset = first * 4;
  for (let index = start; index < start + count * 3; index += 3) {
    const localX = positions[index] - centerX;
    const localY = positions[index + 2] - centerZ;
    const localZ = -(positions[index + 1] - centerY);
    const qx = Math.min(65535, ((localX - originX) / step + 0.5) | 0);
    const qy = Math.min(65535, ((localY - originY) / step + 0.5) | 0);
    const qz = Math.min(65535, ((localZ - originZ) / step + 0.5) | 0);
    out[offset] = qx;
    out[offset + 1] = qy;
    out[offset + 2] = qz;
    widenBox(box, qx, qy, qz);
    offset += 4;
  }
}

/**
 * Writes `count` ECEF positions from `positions[start]` as float32 y-up positions relative to the centre from vertex
 * `first` of `out`, widening `box` to the float32 values written.
 */
function placePositions(
  positions: Float64Array,
  start: number,
  count: number,
  frame: PositionFrame,
  out: Float32Array,
  first: number,
  box: Float64Array,
): void {
  const { centerX, centerY, centerZ } = frame;
  let offset = first * 3;
  for (let index = start; index < start + count * 3; index += 3) {
    out[offset] = positions[index] - centerX;
    out[offset + 1] = positions[index + 2] - centerZ;
    out[offset + 2] = -(positions[index + 1] - centerY);
    widenBox(box, out[offset], out[offset + 1], out[offset + 2]);
    offset += 3;
  }
}

/**
 * The property table's columns (one row per object) as buffer views appended to `bufferViews`; properties no object
 * has are left out. @returns the table's `properties` JSON.
 */
function encodePropertyTable(
  objects: ObjectProperties[],
  schema: MetadataSchema,
  bufferViews: BufferViewSpec[],
): Record<string, unknown> {
  const tableProperties: Record<string, unknown> = {};
  const encoder = new TextEncoder();
  const count = objects.length;
  for (const property of schema.properties) {
    let present = false;
    if (property.type === 'STRING') {
      const strings: string[] = [];
      for (let row = 0; row < count; row++) {
        const value = propertyValue(property, objects[row]);
        if (value !== undefined) present = true;
        strings.push(value === undefined ? '' : String(value));
      }
      if (!present) continue;
      const { joined, offsets } = encodeStrings(strings, encoder);
      const valuesView = bufferViews.push({ data: joined }) - 1;
      const offsetsView = bufferViews.push({ data: bytesOf(offsets) }) - 1;
      tableProperties[property.identifier] = {
        values: valuesView,
        stringOffsets: offsetsView,
        stringOffsetType: 'UINT32',
      };
      continue;
    }
    const column =
      property.type === 'INT32' ? scratch.take(Int32Array, count) : scratch.take(Float64Array, count);
    for (let row = 0; row < count; row++) {
      const value = propertyValue(property, objects[row]);
      if (value !== undefined) present = true;
      if (property.type === 'INT32')
        column[row] = typeof value === 'number' && Number.isInteger(value) ? value : INT32_NO_DATA;
      else column[row] = typeof value === 'number' ? value : FLOAT64_NO_DATA;
    }
    if (present)
      tableProperties[property.identifier] = {
        values: bufferViews.push({ data: bytesOf(column) }) - 1,
      };
  }
  return tableProperties;
}

/**
 * UTF-8 bytes of `strings` back to back, with the offset of each and the total at the end. ASCII text (ids, codes:
 * nearly all) is encoded in one call, its byte lengths read off the string lengths; other text string by string.
 */
function encodeStrings(
  strings: string[],
  encoder: TextEncoder,
): { joined: Uint8Array; offsets: Uint32Array } {
  const all = strings.join('');
  const encoded = ASCII.test(all) ? undefined : strings.map((text) => encoder.encode(text));
  const offsets = new Uint32Array(strings.length + 1);
  let total = 0;
  strings.forEach((text, index) => {
    offsets[index] = total;
    total += encoded ? encoded[index].length : text.length;
  });
  offsets[strings.length] = total;
  if (!encoded) return { joined: encoder.encode(all), offsets };
  const joined = new Uint8Array(total);
  let cursor = 0;
  for (const bytes of encoded) {
    joined.set(bytes, cursor);
    cursor += bytes.length;
  }
  return { joined, offsets };
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** A GLB's binary chunk in parts: part i at byte `offsets[i]`, zeros between parts, `byteLength` bytes in all. */
interface GlbBinary {
  parts: Uint8Array[];
  offsets: number[];
  byteLength: number;
}

/** Zeros between the binary chunk's parts (each part starts 8-byte aligned, so at most 7 are needed). */
const ZEROS = new Uint8Array(8);

/**
 * A glTF JSON and its binary chunk as the pieces of a GLB container, in order: the GLB header, the JSON chunk and the
 * binary chunk's header in one buffer, then each part of the binary chunk with the zeros that pad it.
 */
function glbParts(gltf: Record<string, unknown>, binary: GlbBinary): Uint8Array[] {
  const json = JSON.stringify(gltf);
  const jsonByteLength = Buffer.byteLength(json, 'utf8');
  const jsonLength = (jsonByteLength + 3) & ~3;
  const binaryLength = (binary.byteLength + 3) & ~3;
  const total = 12 + 8 + jsonLength + 8 + binaryLength;
  const head = Buffer.alloc(20 + jsonLength + 8);
  head.writeUInt32LE(0x46546c67, 0);
  head.writeUInt32LE(2, 4);
  head.writeUInt32LE(total, 8);
  head.writeUInt32LE(jsonLength, 12);
  head.writeUInt32LE(0x4e4f534a, 16);
  head.write(json, 20, jsonByteLength, 'utf8');
  head.fill(0x20, 20 + jsonByteLength, 20 + jsonLength);
  head.writeUInt32LE(binaryLength, 20 + jsonLength);
  head.writeUInt32LE(0x004e4942, 20 + jsonLength + 4);
  const parts: Uint8Array[] = [head];
  let end = 0;
  binary.parts.forEach((part, index) => {
    const gap = binary.offsets[index] - end;
    if (gap > 0) parts.push(ZEROS.subarray(0, gap));
    parts.push(part);
    end = binary.offsets[index] + part.byteLength;
  });
  if (binaryLength > end) parts.push(ZEROS.subarray(0, binaryLength - end));
  return parts;
}
