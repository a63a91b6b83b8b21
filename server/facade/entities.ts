// OGC features as NGSI-LD entities: entity ids (`urn:ngsi-ld:<Type>:<featureId>`), properties as Property,
// geometry as the `location` GeoProperty, the normalized / concise / keyValues formats, and the facade's @context.
import type { Geometry } from 'geojson';
import type { PlazaFeature } from '../providers/provider';

/** The path the facade serves under (the embedded broker keeps /ngsi-ld/v1). */
export const FACADE_BASE_PATH = '/ngsi-ld/facade/v1';
/** The path of the facade's @context document. */
export const FACADE_CONTEXT_PATH = '/ngsi-ld/facade/context.jsonld';
/** The namespace every facade term (collection types, feature properties) expands to. */
export const FACADE_VOCABULARY = 'https://plaza.city/ngsi-ld/facade/terms/';

/** NGSI-LD names a feature property must not take (core members and meta members); such properties get a `_` suffix. */
const RESERVED_NAMES = new Set([
  'id',
  'type',
  '@id',
  '@type',
  '@context',
  'location',
  'observationSpace',
  'operationSpace',
  'scope',
  'createdAt',
  'modifiedAt',
  'deletedAt',
  'observedAt',
  'datasetId',
  'instanceId',
  'unitCode',
  'value',
  'object',
  'geometry',
  'properties',
]);

/** The entity-format representations the facade answers with. */
export type FacadeFormat = 'normalized' | 'concise' | 'keyValues';

/** An entity as the facade renders it: compact terms of the facade context. */
export type FacadeEntity = Record<string, unknown> & { id: string; type: string };

/** The attribute name of a feature property (reserved names get a trailing underscore). */
export function attributeNameOf(property: string): string {
  return RESERVED_NAMES.has(property) ? `${property}_` : property;
}

/** The feature property an attribute name stands for (the inverse of {@link attributeNameOf}). */
export function propertyNameOf(attribute: string): string {
  return attribute.endsWith('_') && RESERVED_NAMES.has(attribute.slice(0, -1))
    ? attribute.slice(0, -1)
    : attribute;
}

/** The entity id of a feature of a collection. */
export function entityIdOf(collectionId: string, featureId: string | number): string {
  return `urn:ngsi-ld:${collectionId}:${featureId}`;
}

/** The collection and feature id an entity id names, or undefined when it is not a facade id. */
export function parseEntityId(id: string): { collectionId: string; featureId: string } | undefined {
  const match = /^urn:ngsi-ld:([A-Za-z0-9][A-Za-z0-9_.-]*):(.+)$/.exec(id);
  return match ? { collectionId: match[1], featureId: match[2] } : undefined;
}

/** Whether a value may be an NGSI-LD Property value (NGSI-LD has no null values; such properties are left out). */
function isPropertyValue(value: unknown): boolean {
  return value !== null && value !== undefined && !(typeof value === 'number' && !Number.isFinite(value));
}

/** Converts a feature of a collection to an NGSI-LD entity in a format. */
export function featureToEntity(
  collectionId: string,
  feature: PlazaFeature,
  format: FacadeFormat = 'normalized',
): FacadeEntity {
  const entity: FacadeEntity = { id: entityIdOf(collectionId, feature.id), type: collectionId };
  for (const [property, value] of Object.entries(feature.properties ?? {})) {
    if (!isPropertyValue(value)) continue;
    const name = attributeNameOf(property);
    if (format === 'keyValues') entity[name] = value;
    // Concise drops the type and keeps {value} only where a bare object would read as an attribute.
    else if (format === 'concise') entity[name] = typeof value === 'object' ? { value } : value;
    else entity[name] = { type: 'Property', value };
  }
  if (feature.geometry) {
    if (format === 'normalized') entity.location = { type: 'GeoProperty', value: feature.geometry };
    else entity.location = feature.geometry;
  }
  return entity;
}

/** The GeoJSON Feature of an entity (clause 4.5.16): id, geometry from `location`, the rest under properties. */
export function entityToGeoJsonFeature(
  entity: FacadeEntity,
  geometry: Geometry | null,
): Record<string, unknown> {
  const { id, ...properties } = entity;
  return { id, type: 'Feature', geometry, properties };
}

/**
 * The facade's @context: each collection id (an entity type) and each property name (an attribute) mapped into
 * {@link FACADE_VOCABULARY}. The core context stays implicit, as NGSI-LD user contexts leave it.
 */
export function buildFacadeContext(collections: Array<{ id: string; properties: string[] }>): {
  '@context': Record<string, string>;
} {
  const terms: Record<string, string> = {};
  for (const collection of collections) {
    terms[collection.id] = `${FACADE_VOCABULARY}${collection.id}`;
    for (const property of collection.properties) {
      const name = attributeNameOf(property);
      terms[name] = `${FACADE_VOCABULARY}${name}`;
    }
  }
  return { '@context': terms };
}

/** The term a type or attribute name names: a term as is, or a full IRI in the facade vocabulary. */
export function termOf(name: string): string {
  return name.startsWith(FACADE_VOCABULARY) ? name.slice(FACADE_VOCABULARY.length) : name;
}
