// LiveEntity: the flat shape the viewer draws, read from any NGSI-LD representation (normalized, concise,
// keyValues, GeoJSON Features), plus the view-box test the relay filters clients with.
import type { Geometry } from 'geojson';
import { isNgsiLdEntity } from '../ngsi-ld/client';

/** An entity as /live sends it: short names, plain values. */
export interface LiveEntity {
  id: string;
  /** Compacted type name (e.g. `AirQualityObserved`). */
  type: string;
  /** The `location` GeoProperty's geometry. */
  location?: Geometry;
  /** The newest observedAt among its attributes, else its modifiedAt. */
  observedAt?: string;
  /** Each Property's value by short attribute name; structured values as JSON text. */
  values: Record<string, number | string | boolean | null>;
  /** unitCode per attribute, where present. */
  units: Record<string, string>;
  /** Relationship objects by short attribute name. */
  relationships: Record<string, string | string[]>;
}

/** [west, south, east, north] in CRS84; west > east crosses the antimeridian. */
export type LiveBoundingBox = [number, number, number, number];

const NGSI_LD_NULL = 'urn:ngsi-ld:null';
const DEFAULT_VOCABULARY = 'https://uri.etsi.org/ngsi-ld/default-context/';
const CORE_PREFIX = 'https://uri.etsi.org/ngsi-ld/';
const SKIPPED_MEMBERS = new Set([
  'id',
  'type',
  '@id',
  '@type',
  '@context',
  'createdAt',
  'modifiedAt',
  'deletedAt',
  'scope',
]);
const GEOMETRY_TYPES = new Set([
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
]);

/** A short name for a term: IRIs of the default vocabulary lose their prefix, other IRIs keep their last segment. */
export function compactName(term: string): string {
  if (term.startsWith(DEFAULT_VOCABULARY)) return term.slice(DEFAULT_VOCABULARY.length);
  if (term.startsWith(CORE_PREFIX)) return term.slice(term.lastIndexOf('/') + 1);
  if (/^https?:\/\//.test(term)) {
    const cut = Math.max(term.lastIndexOf('#'), term.lastIndexOf('/'));
    return cut >= 0 && cut < term.length - 1 ? term.slice(cut + 1) : term;
  }
  return term;
}

function isGeometry(value: unknown): value is Geometry {
  if (typeof value !== 'object' || value === null) return false;
  const { type, coordinates } = value as { type?: unknown; coordinates?: unknown };
  return typeof type === 'string' && GEOMETRY_TYPES.has(type) && Array.isArray(coordinates);
}

function plainValue(value: unknown): number | string | boolean | null {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    return value;
  if (typeof value === 'object' && value !== null && '@value' in value) return plainValue(value['@value']);
  return JSON.stringify(value) ?? null;
}

/** The default instance of a multi-attribute (no datasetId), else the first. */
function pickInstance(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return (
    value.find((item) => typeof item === 'object' && item !== null && !('datasetId' in item)) ?? value[0]
  );
}

/**
 * Reads an entity in any NGSI-LD representation into a LiveEntity.
 * @returns undefined when the value is not an entity (no string id or type)
 */
export function toLiveEntity(input: unknown): LiveEntity | undefined {
  if (!isNgsiLdEntity(input)) return undefined;
  const typeValue = Array.isArray(input.type) ? input.type[0] : input.type;
  const entity: LiveEntity = {
    id: input.id,
    type: compactName(typeValue),
    values: {},
    units: {},
    relationships: {},
  };
  let newest: string | undefined;
  const observe = (time: unknown) => {
    if (
      typeof time === 'string' &&
      !Number.isNaN(Date.parse(time)) &&
      (!newest || Date.parse(time) > Date.parse(newest))
    )
      newest = time;
  };
  for (const [key, raw] of Object.entries(input)) {
    if (SKIPPED_MEMBERS.has(key)) continue;
    const name = compactName(key);
    const attribute = pickInstance(raw);
    if (attribute === NGSI_LD_NULL || attribute === undefined) continue;
    if (typeof attribute !== 'object' || attribute === null) {
      // keyValues / concise: a bare value.
      entity.values[name] = attribute as string | number | boolean | null;
      continue;
    }
    const record = attribute as Record<string, unknown>;
    const kind = typeof record.type === 'string' ? compactName(record.type) : undefined;
    observe(record.observedAt);
    if (typeof record.unitCode === 'string') entity.units[name] = record.unitCode;
    if (kind === 'Relationship' || (kind === undefined && 'object' in record)) {
      const object = record.object;
      if (typeof object === 'string' && object !== NGSI_LD_NULL) entity.relationships[name] = object;
      else if (Array.isArray(object)) {
        const objects = object.filter((item): item is string => typeof item === 'string');
        if (objects.length) entity.relationships[name] = objects;
      }
    } else if (kind === 'ListRelationship') {
      const list = (record.objectList ?? record.object) as unknown;
      if (Array.isArray(list)) {
        entity.relationships[name] = list
          .map((item) => (typeof item === 'string' ? item : (item as { object?: unknown } | null)?.object))
          .filter((item): item is string => typeof item === 'string');
      }
    } else if (
      kind === 'GeoProperty' ||
      (kind === undefined && isGeometry(record.value)) ||
      isGeometry(record)
    ) {
      const geometry = isGeometry(record) ? record : record.value;
      if (name === 'location' && isGeometry(geometry)) entity.location = geometry;
    } else if (kind === 'LanguageProperty') {
      const map = record.languageMap as Record<string, unknown> | undefined;
      const text = map ? (map['@none'] ?? Object.values(map)[0]) : undefined;
      if (text !== undefined && text !== NGSI_LD_NULL) entity.values[name] = plainValue(text);
    } else if (kind === 'JsonProperty') {
      entity.values[name] = plainValue(record.json);
    } else if (kind === 'VocabProperty') {
      entity.values[name] = plainValue(record.vocab);
    } else if (kind === 'ListProperty') {
      entity.values[name] = plainValue(record.valueList);
    } else if ('value' in record) {
      if (record.value === NGSI_LD_NULL) continue;
      entity.values[name] = plainValue(record.value);
    } else {
      // keyValues with a structured value (an address object, say).
      entity.values[name] = plainValue(record);
    }
  }
  if (newest === undefined) observe(input.modifiedAt);
  if (newest) entity.observedAt = newest;
  return entity;
}

/**
 * The entity objects of a notification's `data`: an array of entities, or a GeoJSON FeatureCollection whose
 * Features become entities (properties plus `location` from the geometry).
 * @returns undefined when `data` is neither
 */
export function readNotificationItems(data: unknown): unknown[] | undefined {
  if (Array.isArray(data)) return data;
  if (typeof data === 'object' && data !== null && Array.isArray((data as { features?: unknown }).features))
    return (data as { features: unknown[] }).features.map(featureToEntity);
  return undefined;
}

/** A GeoJSON Feature of an entity as an entity: its properties plus `location` from the geometry. */
function featureToEntity(feature: unknown): unknown {
  if (typeof feature !== 'object' || feature === null) return feature;
  const { id, geometry, properties } = feature as { id?: unknown; geometry?: unknown; properties?: unknown };
  const entity: Record<string, unknown> = { ...(properties as object), id };
  if (!('location' in entity) && isGeometry(geometry))
    entity.location = { type: 'GeoProperty', value: geometry };
  return entity;
}

/** Whether a LiveEntity's location intersects a box (entities without a location never do). */
export function isInBoundingBox(entity: LiveEntity, box: LiveBoundingBox | undefined): boolean {
  if (!box) return true;
  const location = entity.location;
  if (!location) return false;
  const [west, south, east, north] = box;
  const inLongitude = (longitude: number) =>
    west <= east ? longitude >= west && longitude <= east : longitude >= west || longitude <= east;
  if (location.type === 'Point') {
    const [longitude, latitude] = location.coordinates;
    return inLongitude(longitude) && latitude >= south && latitude <= north;
  }
  // Other geometries: their own box must meet the view box (enough to decide what to draw).
  let minimumX = Infinity;
  let minimumY = Infinity;
  let maximumX = -Infinity;
  let maximumY = -Infinity;
  const visit = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === 'number' && typeof value[1] === 'number') {
      minimumX = Math.min(minimumX, value[0]);
      maximumX = Math.max(maximumX, value[0]);
      minimumY = Math.min(minimumY, value[1]);
      maximumY = Math.max(maximumY, value[1]);
      return;
    }
    for (const item of value) visit(item);
  };
  visit((location as { coordinates?: unknown }).coordinates);
  if (minimumX === Infinity) return false;
  if (maximumY < south || minimumY > north) return false;
  if (west <= east) return !(maximumX < west || minimumX > east);
  return maximumX >= west || minimumX <= east;
}
