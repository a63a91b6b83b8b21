// NGSI-LD entities as the broker keeps them: validation and expansion of incoming bodies (normalized or concise),
// and the stored shape. Attribute names and types are kept as expanded IRIs; values are kept as sent.
import type { Geometry } from 'geojson';
import { validateGeometry, GeometryError } from '../geometry';
import type { NgsiLdContext } from './context';
import { badRequestData } from './errors';

/** The attribute types of NGSI-LD v1.9 (clause 4.5). */
export const ATTRIBUTE_TYPES = [
  'Property',
  'Relationship',
  'GeoProperty',
  'LanguageProperty',
  'JsonProperty',
  'VocabProperty',
  'ListProperty',
  'ListRelationship',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** The member that holds each attribute type's value. */
export const VALUE_MEMBER: Record<AttributeType, string> = {
  Property: 'value',
  Relationship: 'object',
  GeoProperty: 'value',
  LanguageProperty: 'languageMap',
  JsonProperty: 'json',
  VocabProperty: 'vocab',
  ListProperty: 'valueList',
  ListRelationship: 'objectList',
};

/** Members of an attribute that are not sub-attributes. */
export const ATTRIBUTE_META_MEMBERS = new Set([
  'type',
  'value',
  'object',
  'languageMap',
  'json',
  'vocab',
  'valueList',
  'objectList',
  'observedAt',
  'unitCode',
  'datasetId',
  'createdAt',
  'modifiedAt',
  'deletedAt',
  'instanceId',
  'lang',
  'objectType',
]);

/** Entity members that are not attributes. */
const ENTITY_MEMBERS = new Set([
  'id',
  '@id',
  'type',
  '@type',
  '@context',
  'scope',
  'createdAt',
  'modifiedAt',
  'deletedAt',
]);

/** The NGSI-LD Null (clause 4.5.0): a merge-patch value that deletes. */
export const NGSI_LD_NULL = 'urn:ngsi-ld:null';

/** One instance of an attribute, as stored: meta members by name, sub-attributes by expanded IRI. */
export interface StoredAttribute {
  type: AttributeType;
  value?: unknown;
  object?: unknown;
  languageMap?: Record<string, unknown>;
  json?: unknown;
  vocab?: unknown;
  valueList?: unknown[];
  objectList?: unknown[];
  observedAt?: string;
  unitCode?: string;
  datasetId?: string;
  createdAt?: string;
  modifiedAt?: string;
  [subAttribute: string]: unknown;
}

/** An entity as stored: expanded type IRIs and attribute IRIs, attribute instances per datasetId. */
export interface StoredEntity {
  id: string;
  types: string[];
  scope?: string[];
  createdAt: string;
  modifiedAt: string;
  attributes: Record<string, StoredAttribute[]>;
}

/** An incoming entity fragment after validation: what create/replace/append/update receive. */
export interface EntityInput {
  id?: string;
  types?: string[];
  scope?: string[];
  attributes: Record<string, StoredAttribute[]>;
  /** Attributes that a merge-patch deletes (NGSI-LD Null), by IRI. */
  deletions: string[];
}

const URI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>"{}|\\^`]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
/** Characters clause 4.6.2 forbids in names (and '.', '[', ']' which the query language uses). */
const FORBIDDEN_NAME_CHARACTERS = /[<>"'=;()\s[\]]/;

/** Whether a string is an absolute URI, as entity ids and relationship objects must be. */
export function isUri(value: unknown): value is string {
  return typeof value === 'string' && URI.test(value);
}

/** Whether a string is an ISO 8601 date-time with a zone. */
export function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * Checks an entity id.
 * @throws ApiError 400 BadRequestData naming the id
 */
export function checkEntityId(id: unknown, where = 'id'): string {
  if (typeof id !== 'string' || !isUri(id)) {
    throw badRequestData(
      `${where} ${JSON.stringify(id)} is not a URI (an entity id looks like urn:ngsi-ld:Type:name)`,
    );
  }
  return id;
}

function checkName(name: string, where: string): void {
  if (name === '' || FORBIDDEN_NAME_CHARACTERS.test(name)) {
    throw badRequestData(`${where} name ${JSON.stringify(name)} is not a valid name (no spaces, <>"'=;()[])`);
  }
}

/**
 * Expands a type list (a string or array of strings) through a context.
 * @throws ApiError 400 when the type is missing or not a name
 */
export function expandTypes(value: unknown, context: NgsiLdContext, where = 'type'): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw badRequestData(`${where} must name at least one entity type`);
  return list.map((entry) => {
    if (typeof entry !== 'string')
      throw badRequestData(`${where} ${JSON.stringify(entry)} is not a type name`);
    checkName(entry, where);
    return context.expandTerm(entry);
  });
}

/** Options of {@link readEntityInput}. */
export interface ReadEntityOptions {
  /** Whether `id` and `type` must be present (create, upsert). */
  requireIdentity: boolean;
  /** Whether NGSI-LD Null / null values mean "delete" (merge-patch) instead of being an error. */
  allowNull?: boolean;
  /** Time stamp for createdAt/modifiedAt of the instances. */
  now: string;
}

/**
 * Validates and expands an entity body (normalized or concise) or an attribute fragment.
 * @throws ApiError 400 BadRequestData naming the offending attribute and member
 */
export function readEntityInput(
  body: unknown,
  context: NgsiLdContext,
  options: ReadEntityOptions,
): EntityInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequestData(
      `the body must be a JSON object, not ${Array.isArray(body) ? 'an array' : JSON.stringify(body)}`,
    );
  }
  const record = body as Record<string, unknown>;
  if (record.type === 'Feature' && 'geometry' in record && 'properties' in record) {
    throw describeFeature(record);
  }
  const input: EntityInput = { attributes: {}, deletions: [] };
  const id = record.id ?? record['@id'];
  const type = record.type ?? record['@type'];
  if (id !== undefined) input.id = checkEntityId(id);
  else if (options.requireIdentity) throw badRequestData('the entity has no id');
  if (type !== undefined) input.types = expandTypes(type, context, 'entity type');
  else if (options.requireIdentity) throw badRequestData(`entity ${String(id)} has no type`);
  if (record.scope !== undefined) {
    const scopes = Array.isArray(record.scope) ? record.scope : [record.scope];
    if (!scopes.every((scope) => typeof scope === 'string' && /^\/[^\s/]+(?:\/[^\s/]+)*$/.test(scope))) {
      throw badRequestData(
        `scope ${JSON.stringify(record.scope)} must be one or more paths like /Madrid/Centro`,
      );
    }
    input.scope = scopes as string[];
  }
  for (const [name, value] of Object.entries(record)) {
    if (ENTITY_MEMBERS.has(name)) continue;
    checkName(name, 'attribute');
    const iri = context.expandTerm(name);
    if (options.allowNull && (value === null || value === NGSI_LD_NULL || isNullAttribute(value))) {
      input.deletions.push(iri);
      continue;
    }
    const instances = (Array.isArray(value) && value.some(isAttributeLike) ? value : [value]).map(
      (instance) => readAttribute(instance, name, context, options),
    );
    const seen = new Set<string | undefined>();
    for (const instance of instances) {
      if (seen.has(instance.datasetId)) {
        throw badRequestData(
          `attribute '${name}' has two instances with ${instance.datasetId ? `datasetId ${instance.datasetId}` : 'no datasetId'}`,
        );
      }
      seen.add(instance.datasetId);
    }
    input.attributes[iri] = instances;
  }
  return input;
}

function isNullAttribute(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return record.value === NGSI_LD_NULL || record.object === NGSI_LD_NULL || record.value === null;
}

function isAttributeLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    ('type' in value || 'value' in value || 'object' in value)
  );
}

function describeFeature(record: Record<string, unknown>): Error {
  try {
    validateGeometry(record.geometry);
  } catch (error) {
    const reason = error instanceof GeometryError ? error.message : String(error);
    return badRequestData(
      `the body is a GeoJSON Feature, not an NGSI-LD entity, and its geometry is not valid GeoJSON: ${reason}`,
    );
  }
  return badRequestData(
    'the body is a GeoJSON Feature, not an NGSI-LD entity: send {"id","type",...attributes} with location as a GeoProperty',
  );
}

/** Infers the attribute type of a concise attribute (clause 4.5.1.1, concise representation). */
function inferType(record: Record<string, unknown>): AttributeType | undefined {
  if ('object' in record) return 'Relationship';
  if ('languageMap' in record) return 'LanguageProperty';
  if ('json' in record) return 'JsonProperty';
  if ('vocab' in record) return 'VocabProperty';
  if ('valueList' in record) return 'ListProperty';
  if ('objectList' in record) return 'ListRelationship';
  if ('value' in record) return looksLikeGeometry(record.value) ? 'GeoProperty' : 'Property';
  return undefined;
}

const GEOMETRY_TYPES = new Set([
  'Point',
  'MultiPoint',
  'LineString',
  'MultiLineString',
  'Polygon',
  'MultiPolygon',
]);

function looksLikeGeometry(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    GEOMETRY_TYPES.has((value as { type?: string }).type ?? '') &&
    'coordinates' in value
  );
}

function readAttribute(
  value: unknown,
  name: string,
  context: NgsiLdContext,
  options: ReadEntityOptions,
): StoredAttribute {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (value === null)
      throw badRequestData(`attribute '${name}' is null; to delete it use DELETE or a merge-patch`);
    // Concise form: a bare value is a Property.
    return { type: 'Property', value, createdAt: options.now, modifiedAt: options.now };
  }
  const record = value as Record<string, unknown>;
  let type = record.type as string | undefined;
  if (type === undefined) {
    const inferred = inferType(record);
    // A plain JSON object without a value member is the value of a concise Property.
    if (!inferred)
      return { type: 'Property', value: record, createdAt: options.now, modifiedAt: options.now };
    type = inferred;
  } else if (GEOMETRY_TYPES.has(type) && 'coordinates' in record) {
    // A bare GeoJSON geometry is a concise GeoProperty.
    return readAttribute({ type: 'GeoProperty', value: record }, name, context, options);
  }
  if (!ATTRIBUTE_TYPES.includes(type as AttributeType)) {
    throw badRequestData(
      `attribute '${name}' has type ${JSON.stringify(type)}; expected one of ${ATTRIBUTE_TYPES.join(', ')}`,
    );
  }
  const attributeType = type as AttributeType;
  const member = VALUE_MEMBER[attributeType];
  if (!(member in record)) {
    throw badRequestData(`attribute '${name}' is a ${attributeType} without '${member}'`);
  }
  const stored: StoredAttribute = { type: attributeType };
  stored[member] = checkValue(attributeType, record[member], name);
  if (record.observedAt !== undefined) {
    if (!isDateTime(record.observedAt)) {
      throw badRequestData(
        `attribute '${name}' observedAt ${JSON.stringify(record.observedAt)} is not an ISO 8601 date-time with zone`,
      );
    }
    stored.observedAt = record.observedAt;
  }
  if (record.unitCode !== undefined) {
    if (typeof record.unitCode !== 'string')
      throw badRequestData(`attribute '${name}' unitCode must be a string`);
    stored.unitCode = record.unitCode;
  }
  if (record.datasetId !== undefined) {
    if (!isUri(record.datasetId))
      throw badRequestData(`attribute '${name}' datasetId ${JSON.stringify(record.datasetId)} is not a URI`);
    stored.datasetId = record.datasetId;
  }
  if (record.objectType !== undefined) stored.objectType = record.objectType;
  if (record.lang !== undefined) stored.lang = record.lang;
  stored.createdAt = options.now;
  stored.modifiedAt = options.now;
  for (const [subName, subValue] of Object.entries(record)) {
    if (ATTRIBUTE_META_MEMBERS.has(subName) || subName === '@context') continue;
    checkName(subName, `sub-attribute of '${name}'`);
    stored[context.expandTerm(subName)] = readAttribute(subValue, `${name}.${subName}`, context, options);
  }
  return stored;
}

function checkValue(type: AttributeType, value: unknown, name: string): unknown {
  switch (type) {
    case 'Property':
      if (value === null) throw badRequestData(`attribute '${name}' value is null`);
      return value;
    case 'Relationship': {
      const objects = Array.isArray(value) ? value : [value];
      for (const object of objects) {
        if (!isUri(object))
          throw badRequestData(`relationship '${name}' object ${JSON.stringify(object)} is not a URI`);
      }
      return value;
    }
    case 'GeoProperty':
      return checkGeometry(value, name);
    case 'LanguageProperty': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw badRequestData(
          `language property '${name}' languageMap must be an object of language tag to string`,
        );
      }
      for (const [language, text] of Object.entries(value)) {
        const texts = Array.isArray(text) ? text : [text];
        if (
          !/^(?:@none|[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*)$/.test(language) ||
          !texts.every((entry) => typeof entry === 'string')
        ) {
          throw badRequestData(
            `language property '${name}' has an invalid entry ${JSON.stringify(language)}`,
          );
        }
      }
      return value;
    }
    case 'JsonProperty':
      if (value === undefined) throw badRequestData(`json property '${name}' has no json`);
      return value;
    case 'VocabProperty': {
      const vocabs = Array.isArray(value) ? value : [value];
      if (!vocabs.every((vocab) => typeof vocab === 'string' && vocab !== '')) {
        throw badRequestData(`vocab property '${name}' vocab must be a term or a list of terms`);
      }
      return value;
    }
    case 'ListProperty':
      if (!Array.isArray(value)) throw badRequestData(`list property '${name}' valueList must be an array`);
      return value;
    case 'ListRelationship':
      if (!Array.isArray(value) || !value.every(isUri)) {
        throw badRequestData(`list relationship '${name}' objectList must be an array of URIs`);
      }
      return value;
  }
}

/**
 * Checks a GeoProperty value: GeoJSON Point to MultiPolygon, lon/lat; GeometryCollection is refused (clause 4.7.1).
 * @throws ApiError 400 naming the attribute and the problem
 */
export function checkGeometry(value: unknown, name: string): Geometry {
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'GeometryCollection'
  ) {
    throw badRequestData(`GeoProperty '${name}' is a GeometryCollection, which NGSI-LD does not allow`);
  }
  try {
    return validateGeometry(value);
  } catch (error) {
    if (error instanceof GeometryError)
      throw badRequestData(`GeoProperty '${name}' is not valid GeoJSON: ${error.message}`);
    throw error;
  }
}

/** The main value of an attribute instance (value, object, languageMap, ...). */
export function attributeValue(attribute: StoredAttribute): unknown {
  return attribute[VALUE_MEMBER[attribute.type]];
}
