// Public API of Plaza's CQL2 support (OGC API Features Part 3): parse text/JSON, format, evaluate, translate to SQL.
import {
  Cql2Error,
  isInterval,
  isOperation,
  isProperty,
  canonicalOperator,
  type Cql2Expression,
} from './model';
import { parseCql2TextWith } from './parse-text';
import { parseCql2Json } from './parse-json';

export * from './model';
export { parseCql2Json } from './parse-json';
export { formatCql2Text, formatCql2Json, formatGeometryWkt } from './format';
export { conformanceClassesSupported } from './conformance';
export { parseCql2TextWith, type Cql2TextOptions } from './parse-text';
export {
  evaluateCql2,
  bboxToGeometry,
  foldCase,
  stripAccents,
  likePatternToRegExp,
  type Cql2Feature,
  type Cql2EvaluateOptions,
} from './evaluate';
export { parseInstant, TEMPORAL_RELATIONS } from './temporal';

/**
 * Parses a CQL2-text filter (CQL2 1.0, `cql2.bnf`).
 * @throws Cql2Error naming the offending token and its 0-based position.
 */
export function parseCql2Text(text: string): Cql2Expression {
  return parseCql2TextWith(text);
}

/** The `filter-lang` values {@link parseCql2} accepts. */
export const CQL2_FILTER_LANGUAGES = ['cql2-text', 'cql2-json', 'cql-text'] as const;

/**
 * Parses the value of a `filter` query parameter.
 * @param lang `cql2-text` (default), `cql2-json`, or `cql-text`: the draft name GDAL 3.6 sends, read as CQL2-text
 *   plus the legacy forms GDAL writes (`ILIKE`, spatial functions without `S_`).
 * @throws Cql2Error for a malformed filter or an unknown `lang` (the message names it).
 */
export function parseCql2(filter: string, lang = 'cql2-text'): Cql2Expression {
  switch (lang) {
    case 'cql2-text':
      return parseCql2TextWith(filter);
    case 'cql-text':
      return parseCql2TextWith(filter, { legacy: true });
    case 'cql2-json':
      return parseCql2Json(filter);
    default:
      throw new Cql2Error(
        `Unsupported filter-lang '${lang}': expected one of ${CQL2_FILTER_LANGUAGES.join(', ')}`,
      );
  }
}

function walk(e: Cql2Expression, visit: (node: Cql2Expression) => void): void {
  visit(e);
  if (Array.isArray(e)) e.forEach((item) => walk(item, visit));
  else if (isOperation(e)) e.args.forEach((arg) => walk(arg, visit));
  else if (isInterval(e)) e.interval.forEach((bound) => typeof bound !== 'string' && walk(bound, visit));
}

/** The distinct property names `e` references, in order of first appearance (check them against queryables). */
export function propertiesOf(e: Cql2Expression): string[] {
  const names = new Set<string>();
  walk(e, (node) => {
    if (isProperty(node)) names.add(node.property);
  });
  return [...names];
}

/**
 * The distinct custom (non-standard) function names `e` calls, such as `avg` or `Buffer`. Plaza implements none,
 * so a server should reject a filter for which this is non-empty (evaluation and SQL translation throw).
 */
export function functionsOf(e: Cql2Expression): string[] {
  const names = new Set<string>();
  walk(e, (node) => {
    if (isOperation(node) && canonicalOperator(node.op) === undefined) names.add(node.op);
  });
  return [...names];
}
export {
  toSql,
  spatialPrefilterBbox,
  registerSqliteFunctions,
  type Cql2SqlOptions,
  type Cql2SqlResult,
} from './sql';
export { checkPropertyKinds, kindOfExpression, type Cql2Kind, type Cql2PropertyKinds } from './validate';
