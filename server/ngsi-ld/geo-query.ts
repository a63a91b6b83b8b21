// Geo-queries (clause 4.10): parsing georel/geometry/coordinates/geoproperty, a bounding box for the R*Tree
// pre-filter, and the exact predicate through server/geometry.
import type { Geometry } from 'geojson';
import {
  boundingBox,
  contains,
  disjoint,
  distanceMeters,
  equals,
  intersects,
  overlaps,
  within,
} from '../geometry';
import type { NgsiLdContext } from './context';
import { checkGeometry } from './entity';
import { badRequestData } from './errors';

export type GeoRelation = 'near' | 'within' | 'contains' | 'intersects' | 'equals' | 'disjoint' | 'overlaps';

/** A parsed geo-query. */
export interface GeoQuery {
  relation: GeoRelation;
  /** For near: the distance bound, metres. */
  maxDistance?: number;
  minDistance?: number;
  geometry: Geometry;
  /** Expanded IRI of the GeoProperty tested (default location). */
  geoproperty: string;
}

/** A bounding box [minX, minY, maxX, maxY] and how candidates' boxes must relate to it. */
export interface GeoFilterBox {
  box: [number, number, number, number];
  /** overlap: candidate box intersects it; inside: candidate box lies within it; covers: candidate box contains it. */
  mode: 'overlap' | 'inside' | 'covers';
}

const GEOMETRY_TYPES = ['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon'];
const METRES_PER_DEGREE = 111_320;

/** The raw members of a geo-query, as query parameters or a subscription's geoQ give them. */
export interface GeoQueryInput {
  georel?: unknown;
  geometry?: unknown;
  coordinates?: unknown;
  geoproperty?: unknown;
}

/**
 * Parses a geo-query; returns undefined when none of its members is given.
 * @throws ApiError 400 BadRequestData naming the offending member
 */
export function parseGeoQuery(input: GeoQueryInput, context: NgsiLdContext): GeoQuery | undefined {
  const { georel, geometry, coordinates, geoproperty } = input;
  if (georel === undefined && geometry === undefined && coordinates === undefined) {
    if (geoproperty !== undefined && typeof geoproperty !== 'string')
      throw badRequestData('geoproperty must be a name');
    return undefined;
  }
  if (typeof georel !== 'string' || georel === '') throw badRequestData('a geo-query needs georel');
  if (typeof geometry !== 'string' || geometry === '') throw badRequestData('a geo-query needs geometry');
  if (coordinates === undefined || coordinates === '') throw badRequestData('a geo-query needs coordinates');
  if (!GEOMETRY_TYPES.includes(geometry)) {
    throw badRequestData(`geometry '${geometry}' is not one of ${GEOMETRY_TYPES.join(', ')}`);
  }
  const parts = georel.split(';');
  const relation = parts[0] as GeoRelation;
  const query: Partial<GeoQuery> = { relation };
  if (relation === 'near') {
    if (parts.length !== 2)
      throw badRequestData(`georel '${georel}' must be near;maxDistance==<m> or near;minDistance==<m>`);
    const match = /^(maxDistance|minDistance)==(\d+(?:\.\d+)?)$/.exec(parts[1]);
    if (!match)
      throw badRequestData(`georel '${georel}': expected maxDistance==<metres> or minDistance==<metres>`);
    query[match[1] as 'maxDistance' | 'minDistance'] = Number(match[2]);
  } else if (
    !['within', 'contains', 'intersects', 'equals', 'disjoint', 'overlaps'].includes(relation) ||
    parts.length > 1
  ) {
    throw badRequestData(
      `georel '${georel}' is not one of near;maxDistance==, near;minDistance==, within, contains, intersects, equals, disjoint, overlaps`,
    );
  }
  let parsedCoordinates = coordinates;
  if (typeof coordinates === 'string') {
    try {
      parsedCoordinates = JSON.parse(coordinates);
    } catch {
      throw badRequestData(`coordinates '${coordinates}' is not a JSON array`);
    }
  }
  if (!Array.isArray(parsedCoordinates))
    throw badRequestData(`coordinates ${JSON.stringify(coordinates)} is not an array`);
  try {
    query.geometry = checkGeometry({ type: geometry, coordinates: parsedCoordinates }, 'geo-query');
  } catch (error) {
    throw badRequestData(
      `geometry ${geometry} with coordinates ${JSON.stringify(parsedCoordinates)} is invalid: ${(error as Error).message}`,
    );
  }
  if (geoproperty !== undefined && (typeof geoproperty !== 'string' || geoproperty === '')) {
    throw badRequestData('geoproperty must be the name of a GeoProperty');
  }
  query.geoproperty = context.expandTerm((geoproperty as string | undefined) ?? 'location');
  return query as GeoQuery;
}

/** The R*Tree pre-filter of a geo-query; undefined when the relation cannot use one (disjoint, minDistance). */
export function geoFilterBox(query: GeoQuery): GeoFilterBox | undefined {
  const [minX, minY, maxX, maxY] = boundingBox(query.geometry);
  switch (query.relation) {
    case 'near': {
      // Beyond a few hundred kilometres a degree box stops being a safe bound (poles, antimeridian).
      if (query.maxDistance === undefined || query.maxDistance > 500_000) return undefined;
      const latitude = Math.min(
        89,
        Math.max(Math.abs(minY), Math.abs(maxY)) + query.maxDistance / METRES_PER_DEGREE,
      );
      // Degrees of latitude are at least 110.57 km; longitude degrees shrink with cos(latitude).
      const deltaY = (query.maxDistance / 110_574) * 1.01;
      const deltaX = (query.maxDistance / (METRES_PER_DEGREE * Math.cos((latitude * Math.PI) / 180))) * 1.01;
      return { box: [minX - deltaX, minY - deltaY, maxX + deltaX, maxY + deltaY], mode: 'overlap' };
    }
    case 'within':
      return { box: [minX, minY, maxX, maxY], mode: 'inside' };
    case 'contains':
      return { box: [minX, minY, maxX, maxY], mode: 'covers' };
    case 'intersects':
    case 'equals':
    case 'overlaps':
      return { box: [minX, minY, maxX, maxY], mode: 'overlap' };
    case 'disjoint':
      return undefined;
  }
}

/** Whether a stored geometry satisfies the geo-query (the geometry is the left operand: "entity within query"). */
export function matchesGeoQuery(query: GeoQuery, candidate: Geometry): boolean {
  switch (query.relation) {
    case 'near': {
      const distance = distanceMeters(candidate, query.geometry);
      if (query.maxDistance !== undefined) return distance <= query.maxDistance;
      return distance >= (query.minDistance ?? 0);
    }
    case 'within':
      return within(candidate, query.geometry);
    case 'contains':
      return contains(candidate, query.geometry);
    case 'intersects':
      return intersects(candidate, query.geometry);
    case 'equals':
      return equals(candidate, query.geometry);
    case 'disjoint':
      return disjoint(candidate, query.geometry);
    case 'overlaps':
      return overlaps(candidate, query.geometry);
  }
}
