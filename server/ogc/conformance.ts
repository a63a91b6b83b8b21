// The conformance classes Plaza declares, with the exact published URIs (OGC API Features 1.0.1, Part 2 1.0.1,
// Part 3 1.0, CQL2 1.0, 3D GeoVolumes draft).
import { conformanceClassesSupported } from '../cql2';

const FEATURES_1 = 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/';
const FEATURES_2 = 'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/';
const FEATURES_3 = 'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/';
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

/** Conformance classes of filtering: Part 3 filter and features-filter plus the CQL2 classes server/cql2 implements. */
export function filterConformance(): string[] {
  return [`${FEATURES_3}filter`, `${FEATURES_3}features-filter`, ...conformanceClassesSupported()];
}
