// The one error class of server/geometry: invalid GeoJSON, unparsable WKT, impossible measurements.

/** Thrown for invalid geometry input; the message names the offending part (e.g. `coordinates[0][3]: …`). */
export class GeometryError extends Error {
  override name = 'GeometryError';
}
