// Stage: stream CityGML 1.0/2.0/3.0 (plain or gzipped) with the byte-level XmlTokenizer, one city object member at a time, resolving
// xlinks inside the member and, for targets elsewhere in the file, in a second streaming pass over just those ids.
import { DataError } from '../errors';
import { createCollector } from '../memory';
import type { ConversionWarning } from '../errors';
import { CITY_OBJECT_TYPES, THEMATIC_KINDS, defaultKindOf } from '../model';
import type { AttributeValue, CityObjectRecord, Rgba, SourcePolygon, SurfaceKind } from '../model';
import { readByteChunks, readRangeChunks } from './open-input';
import type { ByteRange } from './open-input';
import { XmlSyntaxError, XmlTokenizer } from './xml-tokenizer';
import type { XmlAttributes } from './xml-tokenizer';
import { fileHasAppearances, readCityGmlAppearances } from './read-citygml-textures';
import type { PolygonTexture } from './read-citygml-textures';

/** Options of {@link readCityGml}. */
export interface CityGmlReadOptions {
  /** Target LOD: the highest available LOD ≤ this is used; default: the highest present. */
  lod?: number;
  /** Accepts an object type; default: all. */
  acceptType?: (type: string) => boolean;
  onObject: (record: CityObjectRecord) => void;
  onWarning: (warning: ConversionWarning) => void;
  onBytes?: (bytesRead: number) => void;
  /**
   * Read only this part of the (uncompressed, appearance-free) file, as a document of its own: the parallel pipeline
   * splits large files at city object members. References that do not resolve inside the range are counted in
   * `unresolved` (they may resolve elsewhere in the file; the caller then converts the file as a whole).
   */
  range?: ByteRange;
  /** Whether the file has appearances, when the caller already scanned it (else the reader scans it). */
  hasAppearances?: boolean;
}

/** What the reader learned about the file as a whole. */
export interface CityGmlReadResult {
  /** CityGML version from the root namespace: '1.0', '2.0', '3.0' or 'unknown'. */
  version: string;
  /** The srsName of the root envelope, if any. */
  rootSrsName?: string;
  objects: number;
  /**
   * References that did not resolve (xlinks, implicit geometry templates) or objects that took their CRS from an earlier
   * object rather than the root envelope; with `range`, such objects may be placed differently from a whole-file read.
   */
  unresolved: number;
  /** Lines of the document read (with `range`: header, range and footer). */
  lines: number;
}

const LOD_PROPERTY = /^lod([0-4])(Solid|MultiSurface|CompositeSurface|Geometry|FootPrint|RoofEdge|Surface)$/;
const POLYGON_ELEMENTS = new Set(['Polygon', 'Triangle', 'PolygonPatch', 'Rectangle']);
const AGGREGATE_ELEMENTS = new Set([
  'CompositeSurface',
  'MultiSurface',
  'Solid',
  'Shell',
  'OrientableSurface',
  'Surface',
  'TriangulatedSurface',
  'Tin',
  'MultiSolid',
  'CompositeSolid',
  'MultiGeometry',
]);
/** THEMATIC_KINDS as a Map: a plain object's lookup would find Object.prototype's members for names like toString. */
const THEMATIC = new Map<string, SurfaceKind>(Object.entries(THEMATIC_KINDS));
const CLOSE_POLYGON = 1;
const CLOSE_RING = 2;
const CLOSE_COORDINATES = 3;
const CLOSE_LEAF = 4;
const NO_AGGREGATES: string[] = [];

/**
 * Adds `index` under `key` of a map of polygon indices by id, where an id with one polygon (most: polygon ids) holds
 * the index itself rather than an array of one.
 */
function addIdIndex(map: Map<string, number | number[]>, key: string, index: number): void {
  const known = map.get(key);
  if (known === undefined) map.set(key, index);
  else if (typeof known === 'number') map.set(key, [known, index]);
  else known.push(index);
}

function addIndex<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list) list.push(index);
  else map.set(key, [index]);
}

const GENERIC_ATTRIBUTE = /^(string|int|double|date|uri|measure|code)Attribute$/i;
const SKIPPED_ATTRIBUTES = new Set(['description', 'boundedBy']);

// Roles of element names: what the reader tests a name for, as bits computed once per distinct name (classifyName,
// called by the tokenizer on a name's first start tag), so that each element costs bit tests, not string tests.
const ROLE_CITY_OBJECT = 1 << 0;
/** A generic attribute (stringAttribute, intAttribute, …, any case). */
const ROLE_GENERIC = 1 << 1;
/** A numeric generic attribute of CityGML 1.0/2.0 (int, double or measure, any case). */
const ROLE_GENERIC_NUMERIC = 1 << 2;
/** A numeric generic attribute of CityGML 3.0 (Int, Double or Measure, capitalised). */
const ROLE_GENERIC_NUMERIC_3 = 1 << 3;
/** A geometry property of one LOD (lod2Solid, …); the LOD is the name's fourth character. */
const ROLE_LOD_PROPERTY = 1 << 4;
/** An implicit geometry property (lod1ImplicitRepresentation, …); the LOD is the name's fourth character. */
const ROLE_IMPLICIT = 1 << 5;
const ROLE_SKIPPED = 1 << 6;
const ROLE_AGGREGATE = 1 << 7;
const ROLE_POLYGON = 1 << 8;
const ROLE_EXTERIOR = 1 << 9;
const ROLE_INTERIOR = 1 << 10;
const ROLE_RING = 1 << 11;
/** posList, pos or coordinates. */
const ROLE_COORDINATES = 1 << 12;
const ROLE_THEMATIC = 1 << 13;
const ROLE_GENERIC_WRAPPER = 1 << 14;
const ROLE_MATERIAL = 1 << 15;

/** The role bits of an element's local name. */
function classifyName(name: string): number {
  let role = 0;
  if (CITY_OBJECT_TYPES.has(name)) role |= ROLE_CITY_OBJECT;
  if (GENERIC_ATTRIBUTE.test(name)) {
    role |= ROLE_GENERIC;
    if (/^(int|double|measure)/i.test(name)) role |= ROLE_GENERIC_NUMERIC;
    if (/^(Int|Double|Measure)/.test(name)) role |= ROLE_GENERIC_NUMERIC_3;
  }
  if (LOD_PROPERTY.test(name)) role |= ROLE_LOD_PROPERTY;
  if (/^lod\dImplicitRepresentation$/.test(name)) role |= ROLE_IMPLICIT;
  if (SKIPPED_ATTRIBUTES.has(name)) role |= ROLE_SKIPPED;
  if (AGGREGATE_ELEMENTS.has(name)) role |= ROLE_AGGREGATE;
  if (POLYGON_ELEMENTS.has(name)) role |= ROLE_POLYGON;
  if (name === 'exterior' || name === 'outerBoundaryIs') role |= ROLE_EXTERIOR;
  if (name === 'interior' || name === 'innerBoundaryIs') role |= ROLE_INTERIOR;
  if (name === 'LinearRing' || name === 'Ring') role |= ROLE_RING;
  if (name === 'posList' || name === 'pos' || name === 'coordinates') role |= ROLE_COORDINATES;
  if (THEMATIC.has(name)) role |= ROLE_THEMATIC;
  if (name === 'genericAttribute') role |= ROLE_GENERIC_WRAPPER;
  if (name === 'X3DMaterial') role |= ROLE_MATERIAL;
  return role;
}

// Roles of attribute names (XmlTokenizer.classifyAttribute): onOpen gets those of a tag's attributes OR-ed together and
// looks up only the attributes that are there (most tags have none of these, many have none at all).
/** id in any namespace (gml:id). */
const ATTRIBUTE_ID = 1 << 0;
/** href in any namespace (xlink:href). */
const ATTRIBUTE_HREF = 1 << 1;
const ATTRIBUTE_SRS_NAME = 1 << 2;
const ATTRIBUTE_ORIENTATION = 1 << 3;

/** The role bits of an attribute's qualified name. */
function classifyAttributeName(name: string): number {
  if (name === 'id' || name.endsWith(':id')) return ATTRIBUTE_ID;
  if (name === 'href' || name.endsWith(':href')) return ATTRIBUTE_HREF;
  if (name === 'srsName') return ATTRIBUTE_SRS_NAME;
  if (name === 'orientation') return ATTRIBUTE_ORIENTATION;
  return 0;
}

/** The LOD digit of a name classified ROLE_LOD_PROPERTY or ROLE_IMPLICIT (its fourth character). */
function lodOfName(name: string): number {
  return name.charCodeAt(3) - 48;
}

interface ParsedPolygon {
  id?: string;
  rings: number[][];
  /** gml:id of each ring, for texture coordinates. */
  ringIds: Array<string | undefined>;
  kind: SurfaceKind | undefined;
  lod: number;
  line: number;
  reversed: boolean;
  owner: ObjectContext | undefined;
  /** Ids of the geometry aggregates (Solid, CompositeSurface, …) it is part of. */
  aggregates: string[];
  /** The number of the last selection of polygons for an object that took it (0: none). */
  selection: number;
}

interface ObjectContext {
  id: string;
  type: string;
  parentId?: string;
  line: number;
  depth: number;
  attributes: Record<string, AttributeValue>;
  polygonsByLod: Map<number, number[]>;
  references: Array<{ target: string; lod: number }>;
}

interface ImplicitContext {
  lod: number;
  /** Row-major 4×4. */
  matrix: number[] | undefined;
  referencePoint: number[] | undefined;
  templateId: string | undefined;
  firstPolygon: number;
  owner: ObjectContext | undefined;
  line: number;
}

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const NO_INDICES: number[] = [];

/** The polygons chosen for an object: its LOD, indices into its group's polygons, and polygons found elsewhere. */
interface PolygonSelection {
  lod: number;
  /** Ascending, without repeats. */
  indices: number[];
  extra: ParsedPolygon[];
}

/**
 * The LOD to read for an object, among those of its polygons and references: the highest, or with `wanted` the
 * highest up to it, else the lowest; undefined when the object has none.
 */
function chooseLod(object: ObjectContext, wanted: number | undefined): number | undefined {
  let highest = -Infinity;
  let lowest = Infinity;
  let chosen = -Infinity;
  const consider = (lod: number) => {
    highest = Math.max(highest, lod);
    lowest = Math.min(lowest, lod);
    if (wanted !== undefined && lod <= wanted) chosen = Math.max(chosen, lod);
  };
  for (const lod of object.polygonsByLod.keys()) consider(lod);
  for (const reference of object.references) consider(reference.lod);
  if (lowest === Infinity) return undefined;
  if (wanted === undefined) return highest;
  return chosen === -Infinity ? lowest : chosen;
}

interface MemberGroup {
  objects: ObjectContext[];
  polygons: ParsedPolygon[];
  /** Polygon indices by polygon and aggregate id (see addIdIndex). */
  byId: Map<string, number | number[]>;
  srsName?: string;
  materials: Map<string, Rgba>;
}

/** The gml:id (an id in any namespace) of a tag whose attributes have the roles `attributeRoles`. */
function idAttribute(attributes: XmlAttributes, attributeRoles: number): string | undefined {
  return attributeRoles & ATTRIBUTE_ID ? attributes.withRole(ATTRIBUTE_ID) : undefined;
}

function hrefTarget(attributes: XmlAttributes, attributeRoles: number): string | undefined {
  if ((attributeRoles & ATTRIBUTE_HREF) === 0) return undefined;
  const href = attributes.get('xlink:href') ?? attributes.withRole(ATTRIBUTE_HREF);
  if (href === undefined || href === '') return undefined;
  const hash = href.lastIndexOf('#');
  return hash >= 0 ? href.slice(hash + 1) : href;
}

/** Parses whitespace-separated numbers, appending to `out`; returns false on a token that is not a number. */
function parseNumbers(text: string, out: number[]): boolean {
  let ok = true;
  const length = text.length;
  let start = -1;
  for (let index = 0; index <= length; index++) {
    const code = index < length ? text.charCodeAt(index) : 32;
    const space = code === 32 || code === 10 || code === 13 || code === 9;
    if (space) {
      if (start >= 0) {
        const value = +text.slice(start, index);
        if (Number.isNaN(value)) ok = false;
        else out.push(value);
        start = -1;
      }
    } else if (start < 0) start = index;
  }
  return ok;
}

function appendPoints(values: number[], dimension: number, ring: number[]): void {
  if (dimension === 3) {
    for (let index = 0; index + 2 < values.length; index += 3)
      ring.push(values[index], values[index + 1], values[index + 2]);
  } else if (dimension === 2) {
    for (let index = 0; index + 1 < values.length; index += 2) ring.push(values[index], values[index + 1], 0);
  }
}

function parseColor(text: string, transparency: number): Rgba | undefined {
  const values: number[] = [];
  if (!parseNumbers(text, values) || values.length < 3) return undefined;
  const clamp = (value: number) => Math.min(1, Math.max(0, value));
  return [clamp(values[0]), clamp(values[1]), clamp(values[2]), clamp(1 - transparency)];
}

/** Coerces an attribute text: numbers stay numbers, everything else stays text. */
function coerceValue(text: string): AttributeValue {
  const trimmed = text.trim();
  if (trimmed !== '' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  return trimmed;
}

/**
 * Streams a CityGML file and emits one {@link CityObjectRecord} per city object (Building, BuildingPart, Bridge, …)
 * with the polygons of the chosen LOD. External entities and DTDs are never resolved; a DOCTYPE declaring entities
 * is refused.
 * @throws DataError when the XML is malformed or truncated (objects emitted before the error stay emitted).
 */
export async function readCityGml(file: string, options: CityGmlReadOptions): Promise<CityGmlReadResult> {
  const result: CityGmlReadResult = { version: 'unknown', objects: 0, unresolved: 0, lines: 0 };
  const range = options.range;
  const chunks = (onBytes: (bytes: number) => void) =>
    range ? readRangeChunks(file, range, onBytes) : readByteChunks(file, onBytes);
  const pending: MemberGroup[] = [];
  const wanted = new Set<string>();
  // Appearances usually follow the objects, so textures are collected first, and only when the file has any.
  const hasAppearances =
    !range && (options.hasAppearances ?? (await fileHasAppearances(file).catch(() => false)));
  const appearances = hasAppearances ? await readCityGmlAppearances(file, options.onWarning) : undefined;
  const textures = appearances?.textures;
  const globalMaterials = appearances?.materials ?? new Map<string, Rgba>();
  const templates = new Map<string, ParsedPolygon[]>();
  let firstSrsName: string | undefined;
  /** Numbers the polygon selections of finishGroup (see ParsedPolygon.selection). */
  let selections = 0;

  const finishGroup = (
    group: MemberGroup,
    lookup: (id: string) => ParsedPolygon[] | undefined,
    finalPass: boolean,
  ): boolean => {
    // Returns false when some reference is unresolved and the group must wait for the second pass.
    const chosen: Array<PolygonSelection | undefined> = [];
    let unresolved = false;
    for (const object of group.objects) {
      const lod = chooseLod(object, options.lod);
      if (lod === undefined) {
        chosen.push(undefined);
        continue;
      }
      // Polygon indices in document order without repeats. References mostly name the object's own polygons again
      // (a solid of the surfaces under boundedBy): polygons taken are marked with the selection's number, and the own
      // list is copied and sorted only when a reference adds another.
      const own = object.polygonsByLod.get(lod) ?? NO_INDICES;
      let indices = own;
      let selection = 0;
      const take = (index: number) => {
        const polygon = group.polygons[index];
        if (polygon.selection === selection) return;
        polygon.selection = selection;
        if (indices === own) indices = own.slice();
        indices.push(index);
      };
      const extra: ParsedPolygon[] = [];
      for (const reference of object.references) {
        if (reference.lod !== lod) continue;
        const local = group.byId.get(reference.target);
        if (local !== undefined) {
          if (selection === 0) {
            selection = ++selections;
            for (const index of own) group.polygons[index].selection = selection;
          }
          if (typeof local === 'number') take(local);
          else local.forEach(take);
          continue;
        }
        const remote = lookup(reference.target);
        if (remote) extra.push(...remote);
        else if (!finalPass) {
          unresolved = true;
          wanted.add(reference.target);
        } else {
          result.unresolved++;
          options.onWarning({
            file,
            line: object.line,
            message: `${object.type} ${object.id}: xlink:href="#${reference.target}" does not resolve to a surface`,
          });
        }
      }
      if (indices !== own) indices.sort((a, b) => a - b);
      chosen.push({ lod, indices, extra });
    }
    if (unresolved) return false;
    for (let objectIndex = 0; objectIndex < group.objects.length; objectIndex++) {
      const object = group.objects[objectIndex];
      const selection = chosen[objectIndex];
      const fallbackKind = defaultKindOf(object.type);
      const polygons: SourcePolygon[] = [];
      const add = (polygon: ParsedPolygon) => {
        const rings = polygon.reversed ? polygon.rings.map(reverseRing) : polygon.rings;
        const texture = polygon.id !== undefined ? textureOf(polygon, textures?.get(polygon.id)) : undefined;
        const color = materialOf(polygon, group.materials) ?? materialOf(polygon, globalMaterials);
        polygons.push({ rings, kind: polygon.kind ?? fallbackKind, color, texture, line: polygon.line });
      };
      if (selection) {
        // Each index is a polygon of its own (indices have no repeats); polygons found elsewhere may repeat.
        for (const index of selection.indices) add(group.polygons[index]);
        if (selection.extra.length > 0) {
          const seen = new Set<ParsedPolygon>(selection.indices.map((index) => group.polygons[index]));
          for (const polygon of selection.extra) {
            if (seen.has(polygon)) continue;
            seen.add(polygon);
            add(polygon);
          }
        }
      }
      if (polygons.length === 0) {
        if (!group.objects.some((other) => other.parentId === object.id))
          options.onWarning({
            file,
            line: object.line,
            message: `${object.type} ${object.id} has no surface geometry; skipped`,
          });
        continue;
      }
      result.objects++;
      if (group.srsName === undefined && result.rootSrsName === undefined && firstSrsName !== undefined)
        result.unresolved++;
      options.onObject({
        id: object.id,
        parentId: object.parentId,
        type: object.type,
        lod: selection!.lod,
        attributes: object.attributes,
        polygons,
        // An object without a CRS of its own takes the root envelope's, else the first one the file declared.
        srsName: group.srsName ?? result.rootSrsName ?? firstSrsName,
        file,
        line: object.line,
      });
    }
    return true;
  };

  // Pass 1: everything. Pass 2 (only when needed): polygons whose id (or aggregate id) some pending group wants.
  const collected = new Map<string, ParsedPolygon[]>();
  const runPass = async (collectOnly: boolean): Promise<void> => {
    const parser = new XmlTokenizer();
    parser.classify = classifyName;
    parser.classifyAttribute = classifyAttributeName;
    const names: string[] = [];
    const closers: Array<(() => void) | undefined> = [];
    const codes: number[] = [];
    let ringRoleOfRing: 'exterior' | 'interior' = 'exterior';
    let ringId: string | undefined;
    let implicit: ImplicitContext | undefined;
    const bakeImplicit = (context: ImplicitContext) => {
      const target = group;
      if (!target || !context.owner) return;
      const matrix = context.matrix ?? IDENTITY;
      const reference = context.referencePoint ?? [0, 0, 0];
      let template: ParsedPolygon[];
      const inline = target.polygons.slice(context.firstPolygon);
      if (inline.length > 0) {
        // Keep the untransformed template for later xlinks, under every id it carries.
        const copies = inline.map((polygon) => ({
          ...polygon,
          rings: polygon.rings.map((ring) => ring.slice()),
        }));
        const ids = new Set<string>();
        for (const polygon of copies) {
          if (polygon.id) ids.add(polygon.id);
          polygon.aggregates.forEach((id) => ids.add(id));
        }
        for (const id of ids) templates.set(id, copies);
        template = inline;
      } else {
        const found = context.templateId !== undefined ? templates.get(context.templateId) : undefined;
        if (!found) {
          result.unresolved++;
          options.onWarning({
            file,
            line: context.line,
            message: `ImplicitGeometry template ${context.templateId ?? '(none)'} not found (templates must come before their xlinks); skipped`,
          });
          return;
        }
        template = found.map((polygon) => ({
          ...polygon,
          id: undefined,
          aggregates: NO_AGGREGATES,
          owner: context.owner,
          kind: polygon.kind,
          rings: polygon.rings.map((ring) => ring.slice()),
        }));
        for (const polygon of template) {
          const index = target.polygons.length;
          target.polygons.push(polygon);
          addIndex(context.owner.polygonsByLod, context.lod, index);
        }
      }
      for (const polygon of template) {
        polygon.lod = context.lod;
        for (const ring of polygon.rings) {
          for (let index = 0; index < ring.length; index += 3) {
            const x = ring[index];
            const y = ring[index + 1];
            const z = ring[index + 2];
            ring[index] = matrix[0] * x + matrix[1] * y + matrix[2] * z + matrix[3] + reference[0];
            ring[index + 1] = matrix[4] * x + matrix[5] * y + matrix[6] * z + matrix[7] + reference[1];
            ring[index + 2] = matrix[8] * x + matrix[9] * y + matrix[10] * z + matrix[11] + reference[2];
          }
        }
      }
    };
    const coordinates = {
      dimension: 3,
      decimal: '.',
      tupleSeparator: ' ',
      coordinateSeparator: ',',
      name: '',
      before: 0,
    };
    const objectStack: ObjectContext[] = [];
    let group: MemberGroup | undefined;
    let lod = -1;
    let kind: SurfaceKind | undefined;
    let polygon: ParsedPolygon | undefined;
    let ringRole: 'exterior' | 'interior' = 'exterior';
    let ring: number[] | undefined;
    let text: string[] | undefined;
    let reversed = false;
    const aggregateIds: string[] = [];
    let leaf: { object: ObjectContext; name: string; hasChild: boolean } | undefined;
    let generic: { object: ObjectContext; name: string; value: string; numeric: boolean } | undefined;
    let material: { diffuse: string; transparency: number; targets: string[] } | undefined;

    const startText = () => {
      text = [];
      parser.captureText = true;
    };
    const takeText = (): string => {
      const value = text ? (text.length === 1 ? text[0] : text.join('')) : '';
      text = undefined;
      parser.captureText = false;
      return value;
    };

    /**
     * Keeps the points of one coordinate element: numbers parsed straight into `current` from `before` on (3D; dropped
     * again when not well formed), or the whole points of `numbers` appended (any other dimension; `before` unused).
     * @returns whether the list was well formed.
     */
    const keepPoints = (
      current: number[],
      ok: boolean,
      numbers: number[] | undefined,
      before: number,
    ): boolean => {
      if (numbers === undefined) {
        if (ok && (current.length - before) % 3 !== 0) ok = false;
        if (!ok) current.length = before;
      } else {
        if (ok && numbers.length % coordinates.dimension !== 0) ok = false;
        appendPoints(numbers, coordinates.dimension, current);
      }
      return ok;
    };
    const closeCoordinates = () => {
      const current = ring;
      const captured = parser.captureNumbers;
      let ok = true;
      if (captured !== undefined) {
        // posList/pos: the tokenizer parsed the numbers from the bytes.
        parser.captureNumbers = undefined;
        if (!current) return;
        ok = keepPoints(
          current,
          parser.numbersOk,
          captured === current ? undefined : captured,
          coordinates.before,
        );
      } else {
        const value = takeText();
        if (!current) return;
        if (coordinates.name === 'coordinates') {
          const { tupleSeparator, coordinateSeparator, decimal } = coordinates;
          for (const tuple of value.trim().split(tupleSeparator === ' ' ? /\s+/ : tupleSeparator)) {
            const parts = tuple
              .split(coordinateSeparator)
              .map((part) => +(decimal === '.' ? part : part.replace(decimal, '.')));
            if (parts.some(Number.isNaN)) ok = false;
            else appendPoints(parts, parts.length === 2 ? 2 : 3, current);
          }
        } else if (coordinates.dimension === 3) {
          // The common case parses straight into the ring.
          const before = current.length;
          ok = keepPoints(current, parseNumbers(value, current), undefined, before);
        } else {
          const numbers: number[] = [];
          ok = keepPoints(current, parseNumbers(value, numbers), numbers, 0);
        }
      }
      if (!ok && !collectOnly) {
        options.onWarning({
          file,
          line: parser.markedLine(),
          message: `gml:${coordinates.name} holds text that is not a list of ${coordinates.dimension}D coordinates`,
        });
      }
    };
    const closeRing = () => {
      const current = ring!;
      ring = undefined;
      if (!polygon) return;
      const length = current.length;
      if (
        length >= 6 &&
        current[0] === current[length - 3] &&
        current[1] === current[length - 2] &&
        current[2] === current[length - 1]
      ) {
        current.length = length - 3;
      }
      if (ringRoleOfRing === 'exterior') {
        if (polygon.rings.length === 0) {
          // Arrays of one (most polygons have no hole): a push onto an empty array reserves room for 17.
          polygon.rings = [current];
          polygon.ringIds = [ringId];
        } else {
          polygon.rings[0] = current;
          polygon.ringIds[0] = ringId;
        }
      } else {
        if (polygon.rings.length === 0) {
          polygon.rings.push([]);
          polygon.ringIds.push(undefined);
        }
        polygon.rings.push(current);
        polygon.ringIds.push(ringId);
      }
    };
    const closeLeaf = () => {
      const current = leaf;
      leaf = undefined;
      const value = takeText();
      if (
        current &&
        !current.hasChild &&
        value.trim() !== '' &&
        current.object.attributes[current.name] === undefined
      ) {
        current.object.attributes[current.name] = coerceValue(value);
      }
    };
    const closePolygon = () => {
      const current = polygon!;
      polygon = undefined;
      if (collectOnly) {
        for (const key of [current.id, ...current.aggregates]) {
          if (key !== undefined && wanted.has(key)) {
            const list = collected.get(key) ?? [];
            list.push(current);
            collected.set(key, list);
          }
        }
        return;
      }
      // Outside a city object a polygon belongs to nothing we emit (an xlink to it is resolved by the second pass).
      const target = group;
      if (!target) return;
      const index = target.polygons.length;
      target.polygons.push(current);
      if (current.id !== undefined) addIdIndex(target.byId, current.id, index);
      for (const key of current.aggregates) addIdIndex(target.byId, key, index);
      const owner = current.owner;
      if (owner) addIndex(owner.polygonsByLod, current.lod, index);
    };

    parser.onDoctype = (doctype) => {
      if (/<!ENTITY/i.test(doctype))
        throw new DataError(
          'DOCTYPE with entity declarations refused (external entities and DTDs are never resolved)',
          file,
          parser.line,
        );
    };
    parser.onText = (chunk) => {
      if (text) text.push(chunk);
    };
    const openRing = (attributes: XmlAttributes, attributeRoles: number): number => {
      ring = [];
      ringRoleOfRing = ringRole;
      ringId = idAttribute(attributes, attributeRoles);
      return CLOSE_RING;
    };
    const openCoordinates = (name: string, attributes: XmlAttributes): number => {
      if (ring) {
        coordinates.dimension = Number(attributes.get('srsDimension') ?? attributes.get('dimension') ?? 3);
        coordinates.decimal = attributes.get('decimal') ?? '.';
        coordinates.tupleSeparator = attributes.get('ts') ?? ' ';
        coordinates.coordinateSeparator = attributes.get('cs') ?? ',';
        // Its line is needed only for a warning: marked, counted only then.
        parser.markLine();
        coordinates.name = name;
        if (name === 'coordinates') startText();
        else {
          coordinates.before = ring.length;
          parser.numbersOk = true;
          parser.captureNumbers = coordinates.dimension === 3 ? ring : [];
        }
        return CLOSE_COORDINATES;
      }
      if (name === 'posList' && polygon && !collectOnly) {
        options.onWarning({
          file,
          line: parser.line,
          message: 'gml:posList outside a gml:LinearRing; the polygon is skipped',
        });
      }
      return 0;
    };

    parser.onOpen = (name, attributes, role, attributeRoles) => {
      const depth = names.length;
      names.push(name);
      if (polygon !== undefined) {
        // Inside a polygon only rings and coordinates matter: skip every other check (most elements are here).
        let code = 0;
        if (role & ROLE_RING) code = openRing(attributes, attributeRoles);
        else if (role & ROLE_COORDINATES) code = openCoordinates(name, attributes);
        else if (role & ROLE_EXTERIOR) ringRole = 'exterior';
        else if (role & ROLE_INTERIOR) ringRole = 'interior';
        closers.push(undefined);
        codes.push(code);
        return;
      }
      const isGenericName = (role & ROLE_GENERIC) !== 0;
      let closer: (() => void) | undefined;
      let code = 0;
      if (leaf && !leaf.hasChild && depth > leaf.object.depth + 1) {
        // An element with children is a property, not an attribute: stop buffering its text.
        leaf.hasChild = true;
        text = undefined;
        parser.captureText = false;
      }

      if (depth === 0) {
        for (let index = 0; index < attributes.length; index++) {
          const version = /citygml\/(\d\.\d)$/.exec(attributes.valueAt(index));
          if (version && attributes.nameAt(index).startsWith('xmlns')) {
            result.version = version[1];
            break;
          }
        }
      }
      const srsName = attributeRoles & ATTRIBUTE_SRS_NAME ? attributes.get('srsName') : undefined;
      if (srsName !== undefined && !collectOnly) {
        if (objectStack.length === 0 && result.rootSrsName === undefined) result.rootSrsName = srsName;
        else if (group && group.srsName === undefined) group.srsName = srsName;
        firstSrsName ??= srsName;
      }

      if (!collectOnly && (role & ROLE_CITY_OBJECT) !== 0) {
        const parent = objectStack[objectStack.length - 1];
        const id =
          idAttribute(attributes, attributeRoles) ??
          // No gml:id: named after the byte offset of its tag in the file (the same whether the file is read whole or
          // in parts).
          `${name}_at_${range ? range.start + parser.offset - range.header.length : parser.offset}`;
        const object: ObjectContext = {
          id,
          type: name,
          parentId: parent?.id,
          line: parser.line,
          depth,
          attributes: {},
          polygonsByLod: new Map(),
          references: [],
        };
        if (!group) group = { objects: [], polygons: [], byId: new Map(), materials: new Map() };
        const accepted = !options.acceptType || options.acceptType(name);
        if (accepted) group.objects.push(object);
        objectStack.push(object);
        const savedLod = lod;
        const savedKind = kind;
        lod = -1;
        kind = undefined;
        closer = () => {
          objectStack.pop();
          lod = savedLod;
          kind = savedKind;
          if (object.attributes.lod !== undefined && typeof object.attributes.lod === 'number') {
            const own = object.polygonsByLod.get(-1);
            if (own) {
              object.polygonsByLod.delete(-1);
              object.polygonsByLod.set(object.attributes.lod, own);
            }
          }
          if (objectStack.length === 0 && group) {
            const finished = group;
            group = undefined;
            if (!finishGroup(finished, () => undefined, false)) pending.push(finished);
          }
        };
      } else if (
        !collectOnly &&
        objectStack.length > 0 &&
        depth === objectStack[objectStack.length - 1].depth + 1
      ) {
        const object = objectStack[objectStack.length - 1];
        if (isGenericName) {
          generic = {
            object,
            name: attributes.get('name') ?? '',
            value: '',
            numeric: (role & ROLE_GENERIC_NUMERIC) !== 0,
          };
        } else if (role & ROLE_GENERIC_WRAPPER) {
          // CityGML 3.0 wraps each generic attribute; the typed element inside carries name and value.
        } else if ((role & (ROLE_SKIPPED | ROLE_LOD_PROPERTY)) === 0) {
          leaf = { object, name, hasChild: false };
          startText();
          code = CLOSE_LEAF;
        }
      }
      if (
        !collectOnly &&
        objectStack.length > 0 &&
        depth === objectStack[objectStack.length - 1].depth + 2 &&
        isGenericName &&
        names[depth - 1] === 'genericAttribute'
      ) {
        generic = {
          object: objectStack[objectStack.length - 1],
          name: '',
          value: '',
          numeric: (role & ROLE_GENERIC_NUMERIC_3) !== 0,
        };
      }
      if (generic && isGenericName) {
        const capture = generic;
        const previous = closer;
        closer = () => {
          previous?.();
          generic = undefined;
          if (capture.name !== '' && capture.value.trim() !== '') {
            capture.object.attributes[capture.name] = capture.numeric
              ? coerceValue(capture.value)
              : capture.value.trim();
          }
        };
      } else if (generic && (name === 'name' || name === 'value')) {
        startText();
        const capture = generic;
        // Closures capture block constants, never onOpen's parameters: a captured parameter would cost a context
        // object on every call, for every element.
        const isName = name === 'name';
        closer = () => {
          const value = takeText();
          if (isName) capture.name = value.trim();
          else capture.value = value;
        };
      }

      if (role & ROLE_LOD_PROPERTY) {
        const savedLod = lod;
        lod = lodOfName(name);
        const previous = closer;
        closer = () => {
          previous?.();
          lod = savedLod;
        };
      } else if ((role & ROLE_IMPLICIT) !== 0 && !collectOnly && group) {
        // ImplicitGeometry: template polygons (inline or by xlink) × transformationMatrix + referencePoint, baked.
        const savedLod = lod;
        lod = lodOfName(name);
        const current: ImplicitContext = {
          lod,
          matrix: undefined,
          referencePoint: undefined,
          templateId: undefined,
          firstPolygon: group.polygons.length,
          owner: objectStack[objectStack.length - 1],
          line: parser.line,
        };
        implicit = current;
        const previous = closer;
        closer = () => {
          previous?.();
          lod = savedLod;
          implicit = undefined;
          bakeImplicit(current);
        };
      } else if (
        implicit &&
        (name === 'transformationMatrix' || (name === 'pos' && names[depth - 2] === 'referencePoint'))
      ) {
        const current = implicit;
        const isMatrix = name === 'transformationMatrix';
        startText();
        closer = () => {
          const numbers: number[] = [];
          parseNumbers(takeText(), numbers);
          if (isMatrix) current.matrix = numbers.length === 16 ? numbers : undefined;
          else current.referencePoint = numbers.length >= 3 ? numbers : undefined;
        };
      }
      const thematic = role & ROLE_THEMATIC ? THEMATIC.get(name) : undefined;
      if (thematic) {
        const savedKind = kind;
        kind = thematic;
        const previous = closer;
        closer = () => {
          previous?.();
          kind = savedKind;
        };
      }

      const target = hrefTarget(attributes, attributeRoles);
      if (
        target !== undefined &&
        implicit &&
        (name === 'relativeGMLGeometry' || name === 'relativeGeometry')
      ) {
        implicit.templateId = target;
      } else if (target !== undefined && !collectOnly && objectStack.length > 0 && lod >= 0 && !material) {
        const object = objectStack[objectStack.length - 1];
        object.references.push({ target, lod });
      }

      if (role & ROLE_AGGREGATE) {
        const id = idAttribute(attributes, attributeRoles);
        const reverse =
          (attributeRoles & ATTRIBUTE_ORIENTATION) !== 0 && attributes.get('orientation') === '-';
        if (id || reverse) {
          const savedReversed = reversed;
          if (reverse) reversed = !reversed;
          if (id) aggregateIds.push(id);
          const previous = closer;
          closer = () => {
            previous?.();
            reversed = savedReversed;
            if (id) aggregateIds.pop();
          };
        }
      } else if (role & ROLE_POLYGON) {
        // Hot paths (polygon, ring, coordinates) close through a code, not a closure: one per element adds up.
        polygon = {
          id: idAttribute(attributes, attributeRoles),
          rings: [],
          ringIds: [],
          kind,
          lod,
          line: parser.line,
          reversed,
          owner: objectStack[objectStack.length - 1],
          aggregates: aggregateIds.length > 0 ? [...aggregateIds] : NO_AGGREGATES,
          selection: 0,
        };
        ringRole = 'exterior';
        code = CLOSE_POLYGON;
      } else if (role & ROLE_EXTERIOR) {
        ringRole = 'exterior';
      } else if (role & ROLE_INTERIOR) {
        ringRole = 'interior';
      } else if (role & ROLE_RING) {
        code = openRing(attributes, attributeRoles);
      } else if (role & ROLE_COORDINATES) {
        code = openCoordinates(name, attributes);
      } else if ((role & ROLE_MATERIAL) !== 0 && !collectOnly) {
        const current = { diffuse: '', transparency: 0, targets: [] as string[] };
        material = current;
        closer = () => {
          material = undefined;
          const color = parseColor(current.diffuse || '0.8 0.8 0.8', current.transparency);
          if (!color) return;
          const map = group ? group.materials : globalMaterials;
          for (const id of current.targets) map.set(id, color);
        };
      } else if (material && (name === 'diffuseColor' || name === 'transparency' || name === 'target')) {
        const current = material;
        const property = name;
        if (property === 'target' && target !== undefined) current.targets.push(target);
        startText();
        closer = () => {
          const value = takeText().trim();
          if (property === 'diffuseColor') current.diffuse = value;
          else if (property === 'transparency') current.transparency = Number(value) || 0;
          else if (value !== '') current.targets.push(value.startsWith('#') ? value.slice(1) : value);
        };
      }
      closers.push(closer);
      codes.push(code);
    };
    parser.onClose = () => {
      names.pop();
      const closer = closers.pop();
      const code = codes.pop();
      if (closer) closer();
      if (code === CLOSE_COORDINATES) closeCoordinates();
      else if (code === CLOSE_RING) closeRing();
      else if (code === CLOSE_POLYGON) closePolygon();
      else if (code === CLOSE_LEAF) closeLeaf();
    };

    try {
      const collect = createCollector();
      let decoded = 0;
      for await (const chunk of chunks((bytes) => {
        if (!collectOnly) options.onBytes?.(bytes);
      })) {
        parser.write(chunk);
        decoded += chunk.length;
        collect(decoded);
      }
      parser.close();
      if (!collectOnly) result.lines = parser.line;
    } catch (error) {
      if (error instanceof DataError) throw error;
      if (error instanceof XmlSyntaxError)
        throw new DataError(`malformed XML: ${error.message}`, file, error.line);
      const message = (error as Error).message;
      if (/ENOENT|EACCES|EISDIR/.test(message))
        throw new DataError(`cannot read the file (${message})`, file);
      if (/incorrect header check|unexpected end of file/i.test(message))
        throw new DataError(`corrupt gzip data (${message})`, file);
      throw new DataError(
        `malformed XML: ${message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`,
        file,
        parser.line,
      );
    }
  };

  await runPass(false);
  if (pending.length > 0) {
    await runPass(true);
    for (const group of pending) finishGroup(group, (id) => collected.get(id), true);
  }
  return result;
}

/** An X3DMaterial colour targeting the polygon itself or a surface aggregate that contains it. */
function materialOf(polygon: ParsedPolygon, materials: Map<string, Rgba>): Rgba | undefined {
  if (materials.size === 0) return undefined;
  if (polygon.id !== undefined) {
    const color = materials.get(polygon.id);
    if (color) return color;
  }
  for (const id of polygon.aggregates) {
    const color = materials.get(id);
    if (color) return color;
  }
  return undefined;
}

/** The texture of a polygon when every ring has texture coordinates (closing pair dropped, reversed with the ring). */
function textureOf(polygon: ParsedPolygon, texture: PolygonTexture | undefined): SourcePolygon['texture'] {
  if (!texture) return undefined;
  const uvs: number[][] = [];
  for (let index = 0; index < polygon.rings.length; index++) {
    const ringId = polygon.ringIds[index];
    const list = ringId !== undefined ? texture.ringUvs.get(ringId) : undefined;
    const vertices = polygon.rings[index].length / 3;
    if (!list || list.length < vertices * 2) return undefined;
    const ringUvs = list.slice(0, vertices * 2);
    uvs.push(polygon.reversed ? reversePairs(ringUvs) : ringUvs);
  }
  return { image: texture.image, uvs };
}

function reversePairs(values: number[]): number[] {
  const reversed: number[] = [];
  for (let index = values.length - 2; index >= 0; index -= 2) reversed.push(values[index], values[index + 1]);
  return reversed;
}

function reverseRing(ring: number[]): number[] {
  const reversed: number[] = [];
  for (let index = ring.length - 3; index >= 0; index -= 3)
    reversed.push(ring[index], ring[index + 1], ring[index + 2]);
  return reversed;
}
