// server/geometry: planar geometry on GeoJSON longitude/latitude shared by the NGSI-LD broker's geo-queries and
// OGC API's CQL2 spatial functions: validation, bounding boxes, DE-9IM predicates, geodesic distance, WKT.
export type { Geometry, Position } from 'geojson';
export { GeometryError } from './errors';
export { validateGeometry } from './validate';
export { boundingBox, boundingBoxesIntersect, boundingBoxToPolygon, type BoundingBox } from './bounding-box';
export {
  contains,
  crosses,
  dimension,
  disjoint,
  equals,
  intersects,
  locate,
  overlaps,
  relate,
  relatePattern,
  touches,
  within,
} from './relate';
export { distanceMeters, geodesicMeters, haversineMeters, MEAN_EARTH_RADIUS_METERS } from './distance';
export { formatWkt, parseWkt, readWkt } from './wkt';
export { orientation } from './orientation';
