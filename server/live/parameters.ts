// Query parameters of /live and /links: read strictly, each bad one answered with a 400 that names it.
import { badRequest } from '../http/errors';
import type { LiveBoundingBox } from './live-entity';
import type { LiveClientRequest } from './relay';

const TYPE_NAME = /^[A-Za-z_][\w.:/#-]*$/;
const MAX_TYPES = 50;
const LIVE_PARAMETERS = ['types', 'bbox', 'lastEventId'];

/** One query parameter as a single string; repeated is an error. @throws ApiError 400 */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw badRequest(`parameter '${name}' is given more than once`);
  return String(value);
}

function rejectUnknown(query: Record<string, unknown>, allowed: string[]): void {
  for (const name of Object.keys(query)) {
    if (!allowed.includes(name))
      throw badRequest(`unknown parameter '${name}'; this endpoint takes ${allowed.join(', ')}`);
  }
}

/**
 * Reads `types` (comma list of entity type names), `bbox` (west,south,east,north in CRS84; west > east crosses
 * the antimeridian) and the resume point (`Last-Event-ID` header or `lastEventId` parameter).
 * @throws ApiError 400 naming the offending parameter
 */
export function readLiveRequest(
  query: Record<string, unknown>,
  lastEventIdHeader: string | undefined,
): LiveClientRequest {
  rejectUnknown(query, LIVE_PARAMETERS);
  const typesText = single(query, 'types');
  let types: string[] | undefined;
  if (typesText !== undefined) {
    types = typesText.split(',').map((type) => type.trim());
    if (types.length === 0 || types.some((type) => type === ''))
      throw badRequest(`parameter 'types' has an empty item: '${typesText}'`);
    const bad = types.find((type) => !TYPE_NAME.test(type));
    if (bad !== undefined) throw badRequest(`parameter 'types': '${bad}' is not an entity type name`);
    if (types.length > MAX_TYPES) throw badRequest(`parameter 'types' lists more than ${MAX_TYPES} types`);
  }
  const bboxText = single(query, 'bbox');
  let bbox: LiveBoundingBox | undefined;
  if (bboxText !== undefined) {
    const parts = bboxText.split(',');
    const numbers = parts.map((part) => (part.trim() === '' ? NaN : Number(part)));
    if (parts.length !== 4 || numbers.some((value) => !Number.isFinite(value)))
      throw badRequest(`parameter 'bbox' must be four numbers west,south,east,north, not '${bboxText}'`);
    const [west, south, east, north] = numbers;
    if ([west, east].some((value) => value < -180 || value > 180))
      throw badRequest(`parameter 'bbox': longitudes must lie in -180..180 ('${bboxText}')`);
    if ([south, north].some((value) => value < -90 || value > 90))
      throw badRequest(`parameter 'bbox': latitudes must lie in -90..90 ('${bboxText}')`);
    if (south > north) throw badRequest(`parameter 'bbox': south ${south} is above north ${north}`);
    bbox = [west, south, east, north];
  }
  const lastEventIdText = single(query, 'lastEventId') ?? lastEventIdHeader;
  let lastEventId: number | undefined;
  if (lastEventIdText !== undefined && lastEventIdText.trim() !== '') {
    const name =
      single(query, 'lastEventId') !== undefined ? "parameter 'lastEventId'" : 'header Last-Event-ID';
    if (!/^\d{1,16}$/.test(lastEventIdText.trim()))
      throw badRequest(`${name} must be an event id (a whole number), not '${lastEventIdText}'`);
    lastEventId = Number(lastEventIdText.trim());
  }
  return { types, bbox, lastEventId };
}

/**
 * Reads /links parameters: exactly one of `feature` (a building id) and `entity` (an entity id).
 * @throws ApiError 400 when neither or both are given, or one is empty
 */
export function readLinksRequest(
  query: Record<string, unknown>,
): { feature: string; entity?: undefined } | { entity: string; feature?: undefined } {
  rejectUnknown(query, ['feature', 'entity']);
  const feature = single(query, 'feature');
  const entity = single(query, 'entity');
  if (feature !== undefined && entity !== undefined)
    throw badRequest("give either parameter 'feature' or parameter 'entity', not both");
  if (feature === undefined && entity === undefined)
    throw badRequest("parameter 'feature' (a building id) or 'entity' (an entity id) is required");
  if (feature !== undefined) {
    if (feature.trim() === '') throw badRequest("parameter 'feature' is empty");
    return { feature: feature.trim() };
  }
  if (entity!.trim() === '') throw badRequest("parameter 'entity' is empty");
  return { entity: entity!.trim() };
}
