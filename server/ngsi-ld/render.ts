// Stored entities to response bodies: compaction through the request's @context, the normalized, concise and
// keyValues formats (clause 4.5), sysAttrs, attribute projection and the GeoJSON representation (clause 4.5.16).
import type { NgsiLdContext } from './context';
import { ATTRIBUTE_META_MEMBERS, type StoredAttribute, type StoredEntity, VALUE_MEMBER } from './entity';
import { badRequestData } from './errors';

/** The representations of clause 4.5 (`simplified` is the older name of keyValues). */
export type EntityFormat = 'normalized' | 'concise' | 'keyValues';

/** What to put in a rendered entity. */
export interface RenderOptions {
  format: EntityFormat;
  /** Include createdAt/modifiedAt (options=sysAttrs). */
  sysAttrs?: boolean;
  /** Only these attributes (expanded IRIs); undefined: all. */
  attributes?: ReadonlySet<string>;
  /** Leave these attributes out (expanded IRIs). */
  omitAttributes?: ReadonlySet<string>;
  /** Leave out id / type (pick/omit). */
  omitId?: boolean;
  omitType?: boolean;
  /** Language for LanguageProperties (`lang`): renders the string of that language as a Property. */
  lang?: string;
}

/** The projection lists of a request: `attrs`, and `pick` / `omit` (which may name `id` and `type`), as terms. */
export interface ProjectionLists {
  attrs?: string[];
  pick?: string[];
  omit?: string[];
}

/**
 * The render options a projection means, terms expanded through `context`.
 * @throws ApiError 400 BadRequestData when pick is combined with omit or attrs
 */
export function projectionOptions(
  { attrs, pick, omit }: ProjectionLists,
  context: NgsiLdContext,
): Pick<RenderOptions, 'attributes' | 'omitAttributes' | 'omitId' | 'omitType'> {
  if (pick && omit) throw badRequestData('pick and omit cannot be used together');
  if (pick && attrs) throw badRequestData('pick and attrs cannot be used together');
  const expand = (names: string[]) =>
    new Set(names.filter((name) => name !== 'id' && name !== 'type').map((name) => context.expandTerm(name)));
  if (pick)
    return { omitId: !pick.includes('id'), omitType: !pick.includes('type'), attributes: expand(pick) };
  const projection: Pick<RenderOptions, 'attributes' | 'omitAttributes' | 'omitId' | 'omitType'> = {};
  if (attrs) projection.attributes = new Set(attrs.map((name) => context.expandTerm(name)));
  if (omit) {
    projection.omitId = omit.includes('id');
    projection.omitType = omit.includes('type');
    projection.omitAttributes = expand(omit);
  }
  return projection;
}

/** Renders one entity through a context. */
export function renderEntity(
  entity: StoredEntity,
  context: NgsiLdContext,
  options: RenderOptions,
): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  if (!options.omitId) output.id = entity.id;
  if (!options.omitType) {
    const types = entity.types.map((type) => context.compactIri(type));
    output.type = types.length === 1 ? types[0] : types;
  }
  if (entity.scope && options.format !== 'keyValues')
    output.scope = entity.scope.length === 1 ? entity.scope[0] : entity.scope;
  if (options.sysAttrs && options.format !== 'keyValues') {
    output.createdAt = entity.createdAt;
    output.modifiedAt = entity.modifiedAt;
  }
  for (const [iri, instances] of Object.entries(entity.attributes)) {
    if (options.attributes && !options.attributes.has(iri)) continue;
    if (options.omitAttributes?.has(iri)) continue;
    const name = context.compactIri(iri);
    const rendered = instances.map((instance) => renderAttribute(instance, context, options));
    // Several instances (datasetId) stay an array in every format.
    output[name] = rendered.length === 1 ? rendered[0] : rendered;
  }
  return output;
}

/** Renders one attribute instance in the requested format. */
export function renderAttribute(
  attribute: StoredAttribute,
  context: NgsiLdContext,
  options: RenderOptions,
): unknown {
  const member = VALUE_MEMBER[attribute.type];
  if (options.format === 'keyValues') {
    if (attribute.type === 'LanguageProperty' && options.lang)
      return pickLanguage(attribute.languageMap, options.lang);
    return attribute[member];
  }
  const output: Record<string, unknown> = {};
  if (attribute.type === 'LanguageProperty' && options.lang) {
    output.type = 'Property';
    output.value = pickLanguage(attribute.languageMap, options.lang);
    output.lang = options.lang;
  } else {
    output.type = attribute.type;
    output[member] = attribute[member];
  }
  let hasExtras = false;
  for (const [key, value] of Object.entries(attribute)) {
    if (key === 'type' || key === member) continue;
    if (ATTRIBUTE_META_MEMBERS.has(key)) {
      if (key === 'createdAt' || key === 'modifiedAt') {
        if (!options.sysAttrs) continue;
      }
      output[key] = value;
      hasExtras = true;
      continue;
    }
    output[context.compactIri(key)] = renderAttribute(value as StoredAttribute, context, options);
    hasExtras = true;
  }
  if (options.format === 'concise') {
    const type = output.type;
    delete output.type;
    if (!hasExtras) {
      const main = output[member] ?? output.value;
      if (type === 'GeoProperty') return main;
      // Objects keep their value member so that they cannot be mistaken for an attribute.
      if (type === 'Property' && (typeof main !== 'object' || main === null)) return main;
    }
  }
  return output;
}

function pickLanguage(map: Record<string, unknown> | undefined, lang: string): unknown {
  if (!map) return undefined;
  const wanted = lang.split(',').map((entry) => entry.split(';')[0].trim());
  for (const language of wanted) {
    if (language === '*') break;
    if (map[language] !== undefined) return map[language];
  }
  return map['@none'] ?? map.en ?? Object.values(map)[0];
}

/** Options of {@link renderFeature}: which GeoProperty becomes the geometry, and where @context goes. */
export interface FeatureOptions extends RenderOptions {
  /** Expanded IRI of the GeoProperty used as geometry (default location). */
  geometryProperty: string;
  /** A @context to put inside the Feature (single-entity responses), if any. */
  featureContext?: unknown;
}

/** Renders an entity as a GeoJSON Feature: id, geometry (or null), and the entity in `properties`. */
export function renderFeature(
  entity: StoredEntity,
  context: NgsiLdContext,
  options: FeatureOptions,
): Record<string, unknown> {
  const { id, ...properties } = renderEntity(entity, context, { ...options, omitId: false });
  const geometryAttribute = entity.attributes[options.geometryProperty]?.find(
    (instance) => instance.type === 'GeoProperty',
  );
  const feature: Record<string, unknown> = {
    id,
    type: 'Feature',
    geometry: geometryAttribute?.value ?? null,
    properties,
  };
  if (options.featureContext !== undefined) feature['@context'] = options.featureContext;
  return feature;
}
