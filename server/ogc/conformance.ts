// The conformance classes Plaza declares, with the exact published URIs (OGC API Features 1.0.1, Part 2 1.0.1,
// Part 3 1.0, CQL2 1.0, 3D GeoVolumes draft).

const FEATURES_1 = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/';
const FEATURES_2 = 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/';
const FEATURES_3 = 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/';
const CQL2 = 'http://www.opengis.net/spec/cql2/1.0/conf/';
const GEOVOLUMES = 'https://www.opengis.net/spec/ogcapi-geovolumes-1/1.0/conf/';

/** Conformance classes of Parts 1 and 2 and the queryables of Part 3. */
export const BASE_CONFORMANCE: readonly string[] = [
  `${FEATURES_1}core`,
  `${FEATURES_1}geojson`,
  `${FEATURES_1}html`,
  `${FEATURES_1}oas30`,
  `${FEATURES_2}crs`,
  `${FEATURES_3}queryables`,
  `${FEATURES_3}queryables-query-parameters`,
  `${GEOVOLUMES}core`,
  `${GEOVOLUMES}3d-tiles`,
];

/** Conformance classes of filtering (Part 3 filter + CQL2), declared when the CQL2 engine is present. */
export const FILTER_CONFORMANCE: readonly string[] = [
  `${FEATURES_3}filter`,
  `${FEATURES_3}features-filter`,
  `${CQL2}cql2-text`,
  `${CQL2}cql2-json`,
  `${CQL2}basic-cql2`,
  `${CQL2}advanced-comparison-operators`,
  `${CQL2}case-insensitive-comparison`,
  `${CQL2}basic-spatial-functions`,
  `${CQL2}basic-spatial-functions-plus`,
  `${CQL2}spatial-functions`,
  `${CQL2}temporal-functions`,
];
