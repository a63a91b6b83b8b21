// NGSI-LD entity queries over a FeatureProvider: `q` to CQL2 (the subset that maps exactly is pushed down, the
// whole `q` is still evaluated here), geo-queries to a bbox pre-filter plus the exact predicate, paging and counts.
import type { Geometry } from 'geojson';
import { evaluateCql2, type Cql2Expression } from '../cql2';
import type { NgsiLdContext } from '../ngsi-ld/context';
import { badRequestData } from '../ngsi-ld/errors';
import { geoFilterBox, matchesGeoQuery, parseGeoQuery, type GeoQuery } from '../ngsi-ld/geo-query';
import {
  evaluateQuery,
  parseQuery,
  type QueryNode,
  type QueryPath,
  type QueryValue,
} from '../ngsi-ld/query-language';
import type {
  BoundingBox,
  FeaturePredicate,
  FeatureProvider,
  PlazaFeature,
  ProviderDescription,
  QueryableProperty,
} from '../providers/provider';
import { entityIdOf, propertyNameOf, termOf } from './entities';

/** Features asked of a provider per page while scanning. */
const SCAN_PAGE_SIZE = 1000;

/** The parsed filters of one entity query (everything but paging and format). */
export interface FacadeFilter {
  /** Entity ids to keep (undefined: any). */
  ids?: Set<string>;
  idPattern?: RegExp;
  q?: QueryNode;
  geo?: GeoQuery;
  /** Attribute names of which an entity must have at least one (`attrs`). */
  attributes?: string[];
}

/**
 * Parses `q`, the geo-query members and `idPattern` into a {@link FacadeFilter}.
 * @throws ApiError 400 BadRequestData naming the offending parameter
 */
export function parseFacadeFilter(
  parameters: {
    id?: string[];
    idPattern?: string;
    q?: string;
    georel?: string;
    geometry?: string;
    coordinates?: string;
    geoproperty?: string;
    attrs?: string[];
  },
  coreContext: NgsiLdContext,
): FacadeFilter {
  const filter: FacadeFilter = {};
  if (parameters.id) filter.ids = new Set(parameters.id);
  if (parameters.idPattern !== undefined) {
    try {
      filter.idPattern = new RegExp(parameters.idPattern);
    } catch {
      throw badRequestData(`idPattern '${parameters.idPattern}' is not a regular expression`);
    }
  }
  if (parameters.q !== undefined) filter.q = parseQuery(parameters.q);
  filter.geo = parseGeoQuery(
    {
      georel: parameters.georel,
      geometry: parameters.geometry,
      coordinates: parameters.coordinates,
      geoproperty: parameters.geoproperty,
    },
    coreContext,
  );
  if (filter.geo && filter.geo.geoproperty !== coreContext.expandTerm('location')) {
    throw badRequestData(`geoproperty '${parameters.geoproperty}': facade entities have only 'location'`);
  }
  if (parameters.attrs) filter.attributes = parameters.attrs.map(termOf);
  return filter;
}

/** The values a q path reads in a feature: a property's value, then JSON keys; facade attributes have no sub-attributes. */
function readFeaturePath(feature: PlazaFeature, path: QueryPath): unknown[] {
  if (path.subAttributes.length > 0) return [];
  const property = propertyNameOf(termOf(path.attribute));
  let values: unknown[] = [feature.properties?.[property]];
  for (const key of path.keys) {
    values = values.flatMap((value) => {
      const items = Array.isArray(value) ? value : [value];
      return items
        .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
        .map((item) => item[key]);
    });
  }
  return values.filter((value) => value !== undefined && value !== null);
}

/** Whether a feature (as an entity of `collectionId`) passes every part of the filter. */
export function matchesFacadeFilter(
  collectionId: string,
  feature: PlazaFeature,
  filter: FacadeFilter,
): boolean {
  const id = entityIdOf(collectionId, feature.id);
  if (filter.ids && !filter.ids.has(id)) return false;
  if (filter.idPattern && !filter.idPattern.test(id)) return false;
  if (filter.attributes) {
    const present = filter.attributes.some((attribute) =>
      attribute === 'location'
        ? feature.geometry !== null
        : feature.properties?.[propertyNameOf(attribute)] !== undefined &&
          feature.properties?.[propertyNameOf(attribute)] !== null,
    );
    if (!present) return false;
  }
  if (filter.geo) {
    if (!feature.geometry || !matchesGeoQuery(filter.geo, feature.geometry as Geometry)) return false;
  }
  if (filter.q && !evaluateQuery(filter.q, (path) => readFeaturePath(feature, path))) return false;
  return true;
}

/** The CQL2 literal of a q value when it compares the same way against a property of this type; else undefined. */
function literalFor(value: QueryValue, property: QueryableProperty | undefined): Cql2Expression | undefined {
  if (!property) return undefined;
  if (value.kind === 'number' && (property.type === 'number' || property.type === 'integer'))
    return value.value;
  if (value.kind === 'boolean' && property.type === 'boolean') return value.value;
  // Strings compare by code units in both q and CQL2, but only on plain text (dates follow other rules in q).
  if (value.kind === 'string' && property.type === 'string' && !property.format) return value.value;
  return undefined;
}

/**
 * The CQL2 expression a q expresses exactly on a collection's properties, for providers to push down: comparisons
 * of a plain attribute (no sub-attribute or key) with a literal of the property's type, `==` lists as IN, ranges as
 * BETWEEN, joined by AND / OR. Terms that do not map are dropped from an AND (the result is then looser than q, and
 * the server evaluates q in full); an OR with such a term maps to nothing.
 */
export function toCql2(node: QueryNode, description: ProviderDescription): Cql2Expression | undefined {
  const propertyOf = (path: QueryPath) => {
    if (path.subAttributes.length || path.keys.length) return undefined;
    const name = propertyNameOf(termOf(path.attribute));
    return Object.hasOwn(description.properties, name) ? name : undefined;
  };
  switch (node.kind) {
    case 'and': {
      const terms = node.terms.map((term) => toCql2(term, description)).filter((term) => term !== undefined);
      if (terms.length === 0) return undefined;
      return terms.length === 1 ? terms[0] : { op: 'and', args: terms };
    }
    case 'or': {
      const terms = node.terms.map((term) => toCql2(term, description));
      if (terms.some((term) => term === undefined)) return undefined;
      return { op: 'or', args: terms as Cql2Expression[] };
    }
    case 'compare': {
      const name = propertyOf(node.path);
      const literal = name ? literalFor(node.value, description.properties[name]) : undefined;
      return name && literal !== undefined
        ? { op: node.operator, args: [{ property: name }, literal] }
        : undefined;
    }
    case 'equals': {
      const name = propertyOf(node.path);
      if (!name) return undefined;
      const literals = node.values.map((value) => literalFor(value, description.properties[name]));
      if (literals.some((literal) => literal === undefined)) return undefined;
      if (node.negated)
        return literals.length === 1 ? { op: '<>', args: [{ property: name }, literals[0]!] } : undefined;
      return literals.length === 1
        ? { op: '=', args: [{ property: name }, literals[0]!] }
        : { op: 'in', args: [{ property: name }, literals as Cql2Expression[]] };
    }
    case 'range': {
      const name = propertyOf(node.path);
      if (!name || node.negated) return undefined;
      const low = literalFor(node.from, description.properties[name]);
      const high = literalFor(node.to, description.properties[name]);
      return low !== undefined && high !== undefined
        ? { op: 'between', args: [{ property: name }, low, high] }
        : undefined;
    }
    // Existence and regular expressions have no exact CQL2 twin over absent vs null properties.
    case 'exists':
    case 'pattern':
      return undefined;
  }
}

/** A provider predicate from a CQL2 expression (evaluated in memory by providers that cannot push it down). */
function predicateOf(expression: Cql2Expression): FeaturePredicate {
  return { expression, evaluate: (feature) => evaluateCql2(expression, feature) };
}

/** The CRS84 boxes a geo-query can pre-filter with (undefined: scan everything). */
function boxesOf(geo: GeoQuery | undefined): BoundingBox[] | undefined {
  if (!geo) return undefined;
  const filterBox = geoFilterBox(geo);
  if (!filterBox) return undefined;
  const [west, south, east, north] = filterBox.box;
  // A box past the antimeridian or the poles is no safe pre-filter; the exact check still runs.
  if (west < -180 || east > 180 || south < -90 || north > 90) return undefined;
  return [[west, south, east, north]];
}

/** One matching feature with the collection it came from. */
export interface FacadeMatch {
  collectionId: string;
  feature: PlazaFeature;
}

/** A source of entities: one collection's provider and its description. */
export interface FacadeSource {
  collectionId: string;
  provider: FeatureProvider;
  describe(): Promise<ProviderDescription>;
}

/**
 * Runs an entity query over one or more collections in order: `offset` and `limit` across their concatenation,
 * and the exact number of matches when `count` is set (a full scan).
 */
export async function queryFacade(
  sources: FacadeSource[],
  filter: FacadeFilter,
  paging: { limit: number; offset: number; count: boolean },
): Promise<{ matches: FacadeMatch[]; count?: number }> {
  const matches: FacadeMatch[] = [];
  const wanted = paging.offset + paging.limit;
  let seen = 0;
  for (const source of sources) {
    if (!paging.count && seen >= wanted) break;
    const keep = (feature: PlazaFeature) => {
      if (!matchesFacadeFilter(source.collectionId, feature, filter)) return;
      if (seen >= paging.offset && seen < wanted)
        matches.push({ collectionId: source.collectionId, feature });
      seen++;
    };
    if (filter.ids) {
      // Ids name features directly: no scan.
      const prefix = entityIdOf(source.collectionId, '');
      for (const id of filter.ids) {
        if (!id.startsWith(prefix)) continue;
        const feature = await source.provider.getFeature(id.slice(prefix.length));
        if (feature) keep(feature);
      }
      continue;
    }
    const description = await source.describe();
    const expression = filter.q ? toCql2(filter.q, description) : undefined;
    const bbox = boxesOf(filter.geo);
    let offset = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await source.provider.queryFeatures({
        limit: SCAN_PAGE_SIZE,
        offset,
        cursor,
        bbox,
        filter: expression === undefined ? undefined : predicateOf(expression),
      });
      for (const feature of page.features) keep(feature);
      if (!paging.count && seen >= wanted) break;
      if (page.features.length === 0 || (!page.nextCursor && page.features.length < SCAN_PAGE_SIZE)) break;
      offset += page.features.length;
      cursor = page.nextCursor;
      if (!cursor && page.features.length < SCAN_PAGE_SIZE) break;
    }
  }
  return { matches, count: paging.count ? seen : undefined };
}
