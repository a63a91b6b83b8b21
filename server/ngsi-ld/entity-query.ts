// Compiles a q expression against stored entities: attribute names expand through the request's @context, paths
// walk sub-attributes (`attr.sub`), meta members (`attr.observedAt`) and JSON keys / languages (`attr[key]`).
import type { NgsiLdContext } from './context';
import { ATTRIBUTE_META_MEMBERS, attributeValue, type StoredAttribute, type StoredEntity } from './entity';
import { evaluateQuery, parseQuery, type QueryNode, type QueryPath } from './query-language';

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
