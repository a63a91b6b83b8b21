// Stage: read CityJSON 1.1/2.0 documents (streamed with a byte scanner, optionally gzipped) and CityJSONSeq /
// CityJSONFeature lines (streamed line by line), applying `transform`, choosing one LOD per object, keeping semantics
// and materials.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../errors';
import type { ConversionWarning } from '../errors';
import { THEMATIC_KINDS, defaultKindOf } from '../model';
import type { AttributeValue, CityObjectRecord, Rgba, SourcePolygon, SurfaceKind } from '../model';
import { CityJsonVertexStore, lookupArrayVertices } from './cityjson-vertices';
import type { VertexLookup } from './cityjson-vertices';
import { JsonByteScanner, JsonTruncatedError } from './json-scanner';
import { isGzipFile, readBytesFrom, readTextChunks } from './open-input';

/** Options of {@link readCityJson}. */
export interface CityJsonReadOptions {
  lod?: number;
  acceptType?: (type: string) => boolean;
  onObject: (record: CityObjectRecord) => void;
  onWarning: (warning: ConversionWarning) => void;
  onBytes?: (bytesRead: number) => void;
  /** Vertices of a document above this many bytes go to a temporary file (default 64 MB). */
  vertexSpillBytes?: number;
}

/** What the reader learned about the file. */
export interface CityJsonReadResult {
  version: string;
  referenceSystem?: string;
  objects: number;
}

interface CityJsonTransform {
  scale: [number, number, number];
  translate: [number, number, number];
}

interface CityJsonGeometry {
  type: string;
  lod?: string | number;
  boundaries?: unknown;
  semantics?: { surfaces?: Array<{ type?: string }>; values?: unknown };
  material?: Record<string, { values?: unknown; value?: number }>;
  texture?: Record<string, { values?: unknown }>;
  template?: number;
  transformationMatrix?: number[];
}

interface CityJsonObject {
  type?: string;
  attributes?: Record<string, unknown>;
  geometry?: CityJsonGeometry[];
  parents?: string[];
  children?: string[];
}

interface CityJsonContext {
  file: string;
  vertices: VertexLookup;
  transform?: CityJsonTransform;
  materials: Rgba[];
  /** Absolute image path per texture index; undefined where the image is missing. */
  textureImages: Array<string | undefined>;
  textureVertices: number[][];
  templates: CityJsonGeometry[];
  templateVertices: VertexLookup;
  referenceSystem?: string;
  line?: number;
}

/** True when the file name says CityJSONSeq (`.jsonl`, `.city.jsonl`, possibly gzipped). */
export function isCityJsonSequence(file: string): boolean {
  return /\.jsonl(\.gz)?$/i.test(file);
}

function flattenAttributes(attributes: Record<string, unknown> | undefined): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  if (!attributes) return result;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === '') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      result[key] = value;
    else result[key] = JSON.stringify(value);
  }
  return result;
}

function lodNumber(lod: string | number | undefined): number {
  const value = typeof lod === 'number' ? lod : Number.parseFloat(lod ?? '0');
  return Number.isFinite(value) ? value : 0;
}

function materialColors(appearance: unknown): Rgba[] {
  const materials =
    (appearance as { materials?: Array<{ diffuseColor?: number[]; transparency?: number }> } | undefined)
      ?.materials ?? [];
  return materials.map((material) => {
    const [r, g, b] = material.diffuseColor ?? [0.8, 0.8, 0.8];
    return [r, g, b, 1 - (material.transparency ?? 0)];
  });
}

/** Converts one CityJSON object to records (one per object; the caller handles parents). */
function convertObject(
  id: string,
  object: CityJsonObject,
  context: CityJsonContext,
  options: CityJsonReadOptions,
): CityObjectRecord | undefined {
  const type = object.type ?? 'GenericCityObject';
  const normalizedType = type.startsWith('+') ? type.slice(1) : type;
  if (options.acceptType && !options.acceptType(normalizedType)) return undefined;
  const geometries = (object.geometry ?? []).filter(
    (geometry) => geometry && typeof geometry.type === 'string',
  );
  const warn = (message: string) =>
    options.onWarning({
      file: context.file,
      line: context.line,
      message: `${normalizedType} ${id}: ${message}`,
    });
  if (geometries.length === 0) {
    if (!object.children || object.children.length === 0) warn('has no geometry; skipped');
    return undefined;
  }
  const lods = [
    ...new Set(
      geometries.map((geometry) =>
        lodNumber(
          geometry.type === 'GeometryInstance'
            ? context.templates[geometry.template ?? -1]?.lod
            : geometry.lod,
        ),
      ),
    ),
  ].sort((a, b) => b - a);
  const lod =
    options.lod === undefined
      ? lods[0]
      : (lods.find((value) => value <= options.lod! + 0.999) ?? lods[lods.length - 1]);
  const fallbackKind = defaultKindOf(normalizedType);
  const polygons: SourcePolygon[] = [];
  let danglingIndices = 0;

  const scale = context.transform?.scale ?? [1, 1, 1];
  const translate = context.transform?.translate ?? [0, 0, 0];
  const ringCoordinates = (
    ring: unknown,
    vertices: VertexLookup,
    transformed: boolean,
    matrix?: number[],
    reference?: number[],
  ): number[] | undefined => {
    if (!Array.isArray(ring)) return undefined;
    const coordinates: number[] = [];
    for (const index of ring) {
      const vertex = typeof index === 'number' ? vertices(index) : undefined;
      if (!vertex) {
        danglingIndices++;
        return undefined;
      }
      let x = transformed ? vertex[0] * scale[0] + translate[0] : vertex[0];
      let y = transformed ? vertex[1] * scale[1] + translate[1] : vertex[1];
      let z = transformed ? vertex[2] * scale[2] + translate[2] : vertex[2];
      if (matrix && reference) {
        const mx = matrix[0] * x + matrix[1] * y + matrix[2] * z + matrix[3];
        const my = matrix[4] * x + matrix[5] * y + matrix[6] * z + matrix[7];
        const mz = matrix[8] * x + matrix[9] * y + matrix[10] * z + matrix[11];
        x = mx + reference[0];
        y = my + reference[1];
        z = mz + reference[2];
      }
      coordinates.push(x, y, z);
    }
    return coordinates;
  };

  for (const geometry of geometries) {
    let source = geometry;
    let vertices = context.vertices;
    let transformed = true;
    let matrix: number[] | undefined;
    let reference: number[] | undefined;
    if (geometry.type === 'GeometryInstance') {
      const template = context.templates[geometry.template ?? -1];
      const referenceIndex = Array.isArray(geometry.boundaries) ? (geometry.boundaries[0] as number) : -1;
      const referenceVertex = context.vertices(referenceIndex);
      if (!template || !referenceVertex) {
        warn('GeometryInstance with a missing template or reference point; skipped');
        continue;
      }
      source = template;
      vertices = context.templateVertices;
      transformed = false;
      matrix = geometry.transformationMatrix ?? [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
      reference = [
        referenceVertex[0] * scale[0] + translate[0],
        referenceVertex[1] * scale[1] + translate[1],
        referenceVertex[2] * scale[2] + translate[2],
      ];
    }
    if (lodNumber(source.lod) !== lod) continue;
    const semanticSurfaces = source.semantics?.surfaces ?? [];
    const materialTheme = source.material ? Object.values(source.material)[0] : undefined;
    // Surfaces as a flat list with their semantic and material values, whatever the nesting.
    const textureTheme = source.texture ? Object.values(source.texture)[0] : undefined;
    const addSurface = (surface: unknown, semantic: unknown, material: unknown, texture: unknown) => {
      if (!Array.isArray(surface)) return;
      const rings: number[][] = [];
      for (const ring of surface) {
        const coordinates = ringCoordinates(ring, vertices, transformed, matrix, reference);
        if (!coordinates) return;
        rings.push(coordinates);
      }
      const semanticType = typeof semantic === 'number' ? semanticSurfaces[semantic]?.type : undefined;
      const kind: SurfaceKind = (semanticType && THEMATIC_KINDS[semanticType]) || fallbackKind;
      const materialIndex = typeof material === 'number' ? material : materialTheme?.value;
      const color = materialIndex !== undefined ? context.materials[materialIndex] : undefined;
      polygons.push({ rings, kind, color, texture: textureOf(texture, rings) });
    };
    // A surface's texture: per ring [textureIndex, uvIndex…]; only when every ring has one and the image exists.
    const textureOf = (texture: unknown, rings: number[][]): SourcePolygon['texture'] => {
      if (!Array.isArray(texture) || texture.length !== rings.length) return undefined;
      let image: string | undefined;
      const uvs: number[][] = [];
      for (let ringIndex = 0; ringIndex < rings.length; ringIndex++) {
        const ringTexture = texture[ringIndex] as unknown;
        if (!Array.isArray(ringTexture) || typeof ringTexture[0] !== 'number') return undefined;
        const path = context.textureImages[ringTexture[0]];
        if (!path || (image !== undefined && image !== path)) return undefined;
        image = path;
        const ringUvs: number[] = [];
        for (let index = 1; index < ringTexture.length; index++) {
          const uv = context.textureVertices[ringTexture[index] as number];
          if (!uv) return undefined;
          ringUvs.push(uv[0], uv[1]);
        }
        uvs.push(ringUvs);
      }
      return image ? { image, uvs } : undefined;
    };
    const boundaries = source.boundaries;
    if (!Array.isArray(boundaries)) continue;
    const semantics = source.semantics?.values;
    const materials = materialTheme?.values;
    const textures = textureTheme?.values;
    const at = (values: unknown, index: number): unknown =>
      Array.isArray(values) ? values[index] : undefined;
    switch (source.type) {
      case 'MultiSurface':
      case 'CompositeSurface':
        boundaries.forEach((surface, index) =>
          addSurface(surface, at(semantics, index), at(materials, index), at(textures, index)),
        );
        break;
      case 'Solid':
        boundaries.forEach((shell, shellIndex) => {
          if (Array.isArray(shell))
            shell.forEach((surface, index) =>
              addSurface(
                surface,
                at(at(semantics, shellIndex), index),
                at(at(materials, shellIndex), index),
                at(at(textures, shellIndex), index),
              ),
            );
        });
        break;
      case 'MultiSolid':
      case 'CompositeSolid':
        boundaries.forEach((solid, solidIndex) => {
          if (!Array.isArray(solid)) return;
          solid.forEach((shell, shellIndex) => {
            if (Array.isArray(shell)) {
              shell.forEach((surface, index) =>
                addSurface(
                  surface,
                  at(at(at(semantics, solidIndex), shellIndex), index),
                  at(at(at(materials, solidIndex), shellIndex), index),
                  at(at(at(textures, solidIndex), shellIndex), index),
                ),
              );
            }
          });
        });
        break;
      default:
        // MultiPoint and MultiLineString carry no surfaces.
        break;
    }
  }
  if (danglingIndices > 0) warn(`${danglingIndices} surface(s) refer to vertices that do not exist; skipped`);
  if (polygons.length === 0) {
    warn('has no surface geometry; skipped');
    return undefined;
  }
  return {
    id,
    parentId: object.parents?.[0],
    type: normalizedType,
    lod,
    attributes: flattenAttributes(object.attributes),
    polygons,
    srsName: context.referenceSystem,
    file: context.file,
    line: context.line,
  };
}

function referenceSystemOf(document: Record<string, unknown>): string | undefined {
  const metadata = document.metadata as Record<string, unknown> | undefined;
  const value = metadata?.referenceSystem ?? metadata?.crs;
  return typeof value === 'string' ? value : undefined;
}

/** What a document (or a CityJSONSeq header line) gives every object: transform, materials, textures, templates, CRS. */
function headerContext(
  document: Record<string, unknown>,
  vertices: VertexLookup,
  file: string,
  options: CityJsonReadOptions,
): CityJsonContext {
  const templates = document['geometry-templates'] as
    { templates?: CityJsonGeometry[]; 'vertices-templates'?: number[][] } | undefined;
  return {
    file,
    vertices,
    transform: document.transform as CityJsonTransform | undefined,
    materials: materialColors(document.appearance),
    ...textureImagesOf(document.appearance, file, options),
    templates: templates?.templates ?? [],
    templateVertices: lookupArrayVertices(templates?.['vertices-templates'] ?? []),
    referenceSystem: referenceSystemOf(document),
  };
}

/** Converts and emits one object; a value that is not a JSON object is skipped with a warning. */
function emitObject(
  id: string,
  object: unknown,
  context: CityJsonContext,
  options: CityJsonReadOptions,
  result: CityJsonReadResult,
): void {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) {
    options.onWarning({
      file: context.file,
      line: context.line,
      message: `${id}: not a CityJSON object; skipped`,
    });
    return;
  }
  const record = convertObject(id, object as CityJsonObject, context, options);
  if (record) {
    result.objects++;
    options.onObject(record);
  }
}

/**
 * Reads a CityJSON document or CityJSONSeq file and emits one record per object with geometry. Memory stays bounded
 * whatever the file size: a document is scanned as bytes, its vertices are stored compactly (spilled to a temporary
 * file when large) and each city object is parsed on its own.
 * @throws DataError when the file is not CityJSON, not valid JSON (with the line) or truncated (with the line; the
 *   objects before the cut have been emitted).
 */
export async function readCityJson(file: string, options: CityJsonReadOptions): Promise<CityJsonReadResult> {
  if (isCityJsonSequence(file)) return readCityJsonSequence(file, options);
  return readCityJsonDocument(file, options);
}

/** Members of a document parsed whole with JSON.parse (all small next to `CityObjects` and `vertices`). */
const SMALL_MEMBERS = new Set([
  'type',
  'version',
  'transform',
  'metadata',
  'appearance',
  'geometry-templates',
  'extensions',
]);

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** The document's uncompressed bytes from `start` on (see readBytesFrom); read errors become DataErrors. */
async function* readDocumentBytes(
  file: string,
  gzip: boolean,
  start: number,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  try {
    yield* readBytesFrom(file, gzip, start, onBytes);
  } catch (error) {
    if (error instanceof DataError) throw error;
    // A cut gzip stream ends like a cut plain file: the scanner then names the line and what was left open.
    if ((error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') return;
    throw new DataError(`cannot read the file (${(error as Error).message})`, file);
  }
}

/**
 * Streams one CityJSON document in two passes. CityJSON allows `vertices` (and `transform`, `appearance`, templates)
 * before or after `CityObjects`, and writers commonly put the objects first (all files in the shared test data do),
 * while converting an object needs them. Pass 1 reads every member but `CityObjects`, whose structure it only checks
 * while skipping it, and notes where it starts; pass 2 reads the file again from there (a gzipped file is decompressed
 * again) and converts the objects one by one. Re-reading costs less than spilling the objects' bytes to a temporary
 * file and needs no extra disk space.
 */
async function readCityJsonDocument(file: string, options: CityJsonReadOptions): Promise<CityJsonReadResult> {
  let gzip: boolean;
  try {
    gzip = await isGzipFile(file);
  } catch (error) {
    throw new DataError(`cannot read the file (${(error as Error).message})`, file);
  }
  const notCityJson = () =>
    new DataError('not a CityJSON document (needs "type": "CityJSON", "CityObjects" and "vertices")', file);
  const members: Record<string, unknown> = {};
  let store: CityJsonVertexStore | undefined;
  let objectsStart: { offset: number; line: number } | undefined;
  let truncation: DataError | undefined;
  let insideObjects = false;
  try {
    const scanner = new JsonByteScanner(
      // Progress: the file is read twice, so each pass counts for half of its bytes.
      readDocumentBytes(file, gzip, 0, (bytes) => options.onBytes?.(Math.floor(bytes / 2))),
      file,
    );
    try {
      const first = await scanner.peek();
      if (first !== OPEN_BRACE) throw notCityJson();
      try {
        await scanner.forEachMember('the document', async (key, line) => {
          if (key === 'CityObjects') {
            if ((await scanner.peek()) !== OPEN_BRACE) {
              await scanner.scanValue(false, '"CityObjects"');
              return;
            }
            objectsStart = { offset: scanner.offset, line: scanner.line };
            insideObjects = true;
            await scanner.forEachMember('"CityObjects"', () => scanner.scanValue(false, 'a city object'));
            insideObjects = false;
          } else if (
            key === 'vertices' &&
            (await scanner.peek()) === OPEN_BRACKET &&
            (members.type === undefined || members.type === 'CityJSON')
          ) {
            store?.close();
            // Int32 first, even when `transform` comes later (cjio writes it last): coordinates of a file with a transform
            // are integers by the spec, and the store widens to Float64 at the first value that is not one.
            store = new CityJsonVertexStore(true, options.vertexSpillBytes);
            await scanner.readTriples('"vertices"', store);
          } else if (SMALL_MEMBERS.has(key)) {
            members[key] = scanner.parse(await scanner.scanValue(true, `"${key}"`), line);
          } else await scanner.scanValue(false, `"${key}"`);
        });
      } catch (error) {
        // A file cut inside CityObjects after the vertices: convert the complete objects, then report the cut.
        // Only there: a cut elsewhere (say in vertices after the objects) leaves nothing complete to convert.
        if (!(error instanceof JsonTruncatedError && insideObjects && store)) throw error;
        truncation = error;
      }
      if (!truncation && (await scanner.peek()) >= 0)
        throw scanner.error('content after the end of the document');
    } finally {
      await scanner.close();
    }
    if (members.type !== 'CityJSON' || !objectsStart || !store) {
      if (truncation) throw truncation;
      throw notCityJson();
    }
    const context = headerContext(members, store.lookup, file, options);
    const result: CityJsonReadResult = {
      version: String(members.version ?? 'unknown'),
      referenceSystem: context.referenceSystem,
      objects: 0,
    };
    const start = objectsStart;
    const fileSize = statSync(file).size;
    const objects = new JsonByteScanner(
      readDocumentBytes(file, gzip, start.offset, (bytes) =>
        options.onBytes?.(Math.floor(fileSize / 2 + bytes / 2)),
      ),
      file,
      start.line,
      start.offset,
    );
    try {
      await objects.forEachMember('"CityObjects"', async (id, line) => {
        const object = objects.parse(await objects.scanValue(true, `city object ${id}`), line);
        emitObject(id, object, { ...context, line }, options, result);
      });
    } finally {
      await objects.close();
    }
    // Pass 2 stops at the same cut and throws there; this only guards against it ever reading further.
    if (truncation) throw truncation;
    return result;
  } finally {
    store?.close();
  }
}

/** Resolves texture images beside the file; each missing image is reported once, its surfaces fall back to colours. */
function textureImagesOf(
  appearance: unknown,
  file: string,
  options: CityJsonReadOptions,
): { textureImages: Array<string | undefined>; textureVertices: number[][] } {
  const value = appearance as
    { textures?: Array<{ image?: string }>; 'vertices-texture'?: number[][] } | undefined;
  const textures = value?.textures ?? [];
  const directory = path.dirname(file);
  let missing = 0;
  let firstMissing = '';
  const textureImages = textures.map((texture) => {
    if (typeof texture.image !== 'string') return undefined;
    const image = path.resolve(directory, texture.image);
    if (!/\.(jpe?g|png)$/i.test(image)) {
      options.onWarning({
        file,
        message: `texture ${texture.image} is neither JPEG nor PNG; its surfaces use their material or neutral colour`,
      });
      return undefined;
    }
    if (existsSync(image)) return image;
    missing++;
    firstMissing ||= texture.image;
    return undefined;
  });
  if (missing > 0) {
    options.onWarning({
      file,
      message: `${missing} of ${textures.length} texture image(s) missing (first: ${firstMissing}); their surfaces use their material or neutral colour`,
    });
  }
  return { textureImages, textureVertices: value?.['vertices-texture'] ?? [] };
}

async function readCityJsonSequence(file: string, options: CityJsonReadOptions): Promise<CityJsonReadResult> {
  const result: CityJsonReadResult = { version: 'unknown', objects: 0 };
  let header: CityJsonContext | undefined;
  let buffer = '';
  let lineNumber = 0;
  const handleLine = (line: string) => {
    lineNumber++;
    if (line.trim() === '') return;
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      options.onWarning({
        file,
        line: lineNumber,
        message: `malformed JSON line skipped: ${(error as Error).message}`,
      });
      return;
    }
    if (document.type === 'CityJSON') {
      header = headerContext(document, lookupArrayVertices([]), file, options);
      result.version = String(document.version ?? 'unknown');
      result.referenceSystem = header.referenceSystem;
      return;
    }
    if (document.type !== 'CityJSONFeature') {
      options.onWarning({
        file,
        line: lineNumber,
        message: `line is neither CityJSON nor CityJSONFeature (type ${String(document.type)}); skipped`,
      });
      return;
    }
    if (!header)
      throw new DataError(
        'CityJSONSeq must start with a CityJSON header line (with "transform")',
        file,
        lineNumber,
      );
    const context: CityJsonContext = {
      ...header,
      vertices: lookupArrayVertices((document.vertices as number[][]) ?? []),
      materials: document.appearance ? materialColors(document.appearance) : header.materials,
      ...(document.appearance ? textureImagesOf(document.appearance, file, options) : {}),
      line: lineNumber,
    };
    for (const [id, object] of Object.entries((document.CityObjects as Record<string, unknown>) ?? {}))
      emitObject(id, object, context, options, result);
  };
  for await (const chunk of readTextChunks(file, (bytes) => options.onBytes?.(bytes))) {
    buffer += chunk;
    let start = 0;
    let newline = buffer.indexOf('\n', start);
    while (newline >= 0) {
      handleLine(buffer.slice(start, newline));
      start = newline + 1;
      newline = buffer.indexOf('\n', start);
    }
    buffer = buffer.slice(start);
  }
  if (buffer.length > 0) handleLine(buffer);
  if (!header) throw new DataError('empty CityJSONSeq: no CityJSON header line', file);
  return result;
}
