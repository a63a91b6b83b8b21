// Entity queries against the store: the filter a selection (ids, idPattern, types, attrs, q, geo-query, Query
// selectors) means, shared by the HTTP routes and in-process readers; and q compiled against stored entities
// (attribute names expand through the request's @context, paths walk sub-attributes `attr.sub`, meta members
// `attr.observedAt` and JSON keys / languages `attr[key]`).
import type { Geometry } from 'geojson';
import type { NgsiLdContext } from './context';
import {
  ATTRIBUTE_META_MEMBERS,
  attributeValue,
  checkEntityId,
  expandTypes,
  type StoredAttribute,
  type StoredEntity,
} from './entity';
import { badRequestData } from './errors';
import { geoFilterBox, matchesGeoQuery, parseGeoQuery, type GeoQueryInput } from './geo-query';
import { evaluateQuery, parseQuery, type QueryNode, type QueryPath } from './query-language';
import type { EntityFilter } from './store';

/** Splits a comma-separated parameter into trimmed, non-empty items. */
export function splitList(value: string | undefined, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw badRequestData(`${name} '${value}' has an empty item`);
  return items;
}

/** One `entities` member of a Query body. */
export interface EntitySelector {
  type?: string;
  id?: string;
  idPattern?: string;
}

/** What a query selects, as the request gave it (terms not yet expanded, except `attributes`). */
export interface EntitySelection {
  ids?: string[];
  idPattern?: string;
  /** Type terms or IRIs; an entity matches when it has any of them. */
  types?: string[];
  /** Expanded attribute IRIs; an entity matches when it has any of them. */
  attributes?: string[];
  q?: string;
  geo?: GeoQueryInput;
  /** Several Query selectors: an entity must match one of them. */
  selectors?: EntitySelector[];
}

/**
 * The store filter of a selection, terms expanded through `context`.
 * @throws ApiError 400 BadRequestData naming the offending member (id, idPattern, type, q, geo-query)
 */
export function buildEntityFilter(selection: EntitySelection, context: NgsiLdContext): EntityFilter {
  const geoQuery = selection.geo ? parseGeoQuery(selection.geo, context) : undefined;
  const filter: EntityFilter = {};
  if (selection.ids) filter.ids = selection.ids.map((id) => checkEntityId(id, 'id'));
  if (selection.idPattern !== undefined) filter.idPattern = compilePattern(selection.idPattern, 'idPattern');
  if (selection.types !== undefined) filter.types = expandTypes(selection.types, context);
  if (selection.attributes !== undefined) filter.attributes = selection.attributes;
  if (selection.q !== undefined) filter.test = compileQuery(selection.q, context).test;
  if (selection.selectors) {
    const selectors = selection.selectors.map((selector, index) => {
      if (selector.type === undefined) throw badRequestData(`entities[${index}] needs a type`);
      return {
        types: expandTypes(splitList(selector.type, `entities[${index}].type`), context),
        id: selector.id === undefined ? undefined : checkEntityId(selector.id, `entities[${index}].id`),
        idPattern:
          selector.idPattern === undefined
            ? undefined
            : compilePattern(selector.idPattern, `entities[${index}].idPattern`),
      };
    });
    const query = filter.test;
    filter.test = (entity) =>
      selectors.some(
        (selector) =>
          selector.types.some((type) => entity.types.includes(type)) &&
          (selector.id === undefined || selector.id === entity.id) &&
          (selector.idPattern === undefined || selector.idPattern.test(entity.id)),
      ) &&
      (query === undefined || query(entity));
  }
  if (geoQuery) {
    filter.geo = {
      attribute: geoQuery.geoproperty,
      box: geoFilterBox(geoQuery),
      test: (geometry: Geometry) => matchesGeoQuery(geoQuery, geometry),
    };
  }
  return filter;
}

function compilePattern(pattern: string, name: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw badRequestData(`${name} '${pattern}' is not a regular expression`);
  }
}

/** A compiled q: a predicate over stored entities, and the attribute IRIs it reads. */
export interface CompiledQuery {
  node: QueryNode;
  test(entity: StoredEntity): boolean;
}

/**
 * Parses and compiles `q` for a context.
 * @throws ApiError 400 BadRequestData when `q` does not parse
 */
export function compileQuery(text: string, context: NgsiLdContext): CompiledQuery {
  const node = parseQuery(text);
  const cache = new Map<QueryPath, { attribute: string; steps: Array<{ meta: boolean; name: string }> }>();
  const resolve = (path: QueryPath) => {
    let resolved = cache.get(path);
    if (!resolved) {
      resolved = {
        attribute: context.expandTerm(path.attribute),
        steps: path.subAttributes.map((name) =>
          ATTRIBUTE_META_MEMBERS.has(name)
            ? { meta: true, name }
            : { meta: false, name: context.expandTerm(name) },
        ),
      };
      cache.set(path, resolved);
    }
    return resolved;
  };
  return {
    node,
    test(entity) {
      return evaluateQuery(node, (path) => {
        const { attribute, steps } = resolve(path);
        let values: unknown[] = [];
        for (const instance of entity.attributes[attribute] ?? []) {
          let current: StoredAttribute | undefined = instance;
          let leaf: unknown = undefined;
          let found = true;
          for (const step of steps) {
            if (!current) {
              found = false;
              break;
            }
            if (step.meta) {
              leaf = current[step.name];
              current = undefined;
              if (leaf === undefined) found = false;
            } else {
              current = current[step.name] as StoredAttribute | undefined;
              if (!current || typeof current !== 'object') found = false;
            }
            if (!found) break;
          }
          if (!found) continue;
          values.push(current ? attributeValue(current) : leaf);
        }
        for (const key of path.keys) {
          values = values.flatMap((value) => {
            const items = Array.isArray(value) ? value : [value];
            return items
              .filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
              .map((item) => item[key])
              .filter((item) => item !== undefined);
          });
        }
        return values.filter((value) => value !== undefined);
      });
    },
  };
}
