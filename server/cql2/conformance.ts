// The CQL2 1.0 conformance classes this module implements, with their published URIs.

const CQL2_CONFORMANCE = 'http://www.opengis.net/spec/cql2/1.0/conf/';

/**
 * The exact CQL2 1.0 conformance class URIs implemented by the parsers, `evaluateCql2` and `toSql`:
 * basic-cql2, advanced-comparison-operators, case-insensitive-comparison, accent-insensitive-comparison,
 * basic-spatial-functions, basic-spatial-functions-plus, spatial-functions, temporal-functions, array-functions,
 * property-property, arithmetic, cql2-text and cql2-json. (`functions` is not claimed: no custom function is
 * implemented, so a server would publish an empty /functions.)
 */
export function conformanceClassesSupported(): string[] {
  return [
    'basic-cql2',
    'advanced-comparison-operators',
    'case-insensitive-comparison',
    'accent-insensitive-comparison',
    'basic-spatial-functions',
    'basic-spatial-functions-plus',
    'spatial-functions',
    'temporal-functions',
    'array-functions',
    'property-property',
    'arithmetic',
    'cql2-text',
    'cql2-json',
  ].map((name) => CQL2_CONFORMANCE + name);
}
