// What the broker behind a URL is and what it can do, found once by asking it (core-context version from Link headers
// and bodies, the Server header, error shapes, limits probed, GeoJSON shape, pick/omit, whole-metre `near`), with the
// documented behaviour of Orion-LD, Scorpio and Stellio filling in what a probe cannot show (../shared/notes/
// ngsi-ld.md §10).
import { NgsiLdClientError, isNgsiLdError } from './errors';
import type { HttpAnswer, HttpRequest, HttpTransport } from './transport';
import { parseLinkHeader } from './transport';

/** Which broker answers: a known one, or `generic` (anything else that speaks NGSI-LD, Plaza's own included). */
export type NgsiLdBrokerKind = 'orion-ld' | 'scorpio' | 'stellio' | 'generic';

/** Where GeoJSON answers carry the @context (§6 of the notes). */
export type GeoJsonContextPlacement = 'feature' | 'collection' | 'properties' | 'link' | 'unknown';

/** The capability flags the client acts on. */
export interface NgsiLdCapabilities {
  broker: NgsiLdBrokerKind;
  /** The core context version the broker names (`1.9`, `1.3`; `1.0` for the unversioned URL), when seen. */
  coreContextVersion?: string;
  /** `limit` the broker applies when none is given, when seen or known. */
  defaultLimit?: number;
  /** The largest page to ask for (at most 1000, even where the broker allows more). */
  maxLimit: number;
  /** The status a `limit` above the maximum gets (400 before NGSI-LD 1.8, 403 TooManyResults since), when seen. */
  limitErrorStatus?: number;
  /** Whether a query needs a filter (Orion-LD: 400 "Too broad query" without one). */
  needsFilter: boolean;
  /** Whether `pick`/`omit` are understood (not by Orion-LD 1.7). */
  supportsPickOmit: boolean;
  /** Where GeoJSON collections carry their @context. */
  geoJsonContextPlacement: GeoJsonContextPlacement;
  /** Whether Features without geometry leave the key out (Scorpio) instead of `geometry: null`. */
  omitsAbsentGeometry: boolean;
  /** Whether query pages link the next one (`Link: <…>; rel="next"`, Scorpio and Stellio). */
  nextLinkPaging: boolean;
  /** Where temporal queries go; undefined when the broker has no temporal API of its own and none is configured. */
  temporalUrl?: string;
  /** The representation parameter: `format` (NGSI-LD 1.8+) or `options` (1.3 to 1.7). */
  formatParameter: 'format' | 'options';
  /** Whether `near` distances must be whole metres (Stellio). */
  wholeMetreNear: boolean;
  /** Whether `/jsonldContexts` exists (not on Stellio). */
  jsonLdContexts: boolean;
}

/** What each broker is documented to do, for what a probe cannot show (too few entities, no geometry-less one). */
export const KNOWN_BROKERS: Record<
  Exclude<NgsiLdBrokerKind, 'generic'>,
  Pick<
    NgsiLdCapabilities,
    | 'defaultLimit'
    | 'maxLimit'
    | 'needsFilter'
    | 'supportsPickOmit'
    | 'geoJsonContextPlacement'
    | 'omitsAbsentGeometry'
    | 'nextLinkPaging'
    | 'wholeMetreNear'
    | 'jsonLdContexts'
  >
> = {
  'orion-ld': {
    defaultLimit: 20,
    maxLimit: 1000,
    needsFilter: true,
    supportsPickOmit: false,
    geoJsonContextPlacement: 'feature',
    omitsAbsentGeometry: false,
    nextLinkPaging: false,
    wholeMetreNear: false,
    jsonLdContexts: true,
  },
  scorpio: {
    defaultLimit: 50,
    maxLimit: 1000,
    needsFilter: false,
    supportsPickOmit: true,
    geoJsonContextPlacement: 'collection',
    omitsAbsentGeometry: true,
    nextLinkPaging: true,
    wholeMetreNear: false,
    jsonLdContexts: true,
  },
  stellio: {
    defaultLimit: 30,
    maxLimit: 100,
    needsFilter: false,
    supportsPickOmit: true,
    geoJsonContextPlacement: 'feature',
    omitsAbsentGeometry: false,
    nextLinkPaging: true,
    wholeMetreNear: true,
    jsonLdContexts: false,
  },
};

/** The largest page the client asks for, whatever the broker allows (bounded answers, bounded memory). */
export const MAX_PAGE = 1000;
/** A page size every known broker accepts (Stellio's maximum). */
export const SAFE_PAGE = 100;
/** The type used to probe a broker that holds no entities yet. */
const PROBE_TYPE = 'PlazaProbe';
/** An entity id no broker holds, for probes that test parameters, not results. */
const NO_ENTITY = 'urn:ngsi-ld:PlazaProbe:none';

const CORE_CONTEXT = /ngsi-ld-core-context(?:-v(\d+\.\d+))?\.jsonld/;

/** The core-context version named in a Link header or an @context value, if any. */
export function findCoreContextVersion(...sources: unknown[]): string | undefined {
  for (const source of sources) {
    const text = typeof source === 'string' ? source : JSON.stringify(source ?? null);
    const match = CORE_CONTEXT.exec(text);
    if (match) return match[1] ?? '1.0';
  }
  return undefined;
}

/** Whether a version string is at least `major.minor`. */
function versionAtLeast(version: string | undefined, minimum: number): boolean {
  return version !== undefined && Number(version) >= minimum;
}

/** Where a GeoJSON FeatureCollection answer put its @context. */
export function geoJsonContextPlacementOf(answer: HttpAnswer): GeoJsonContextPlacement {
  const body = answer.body as { '@context'?: unknown; features?: unknown } | undefined;
  const features = Array.isArray(body?.features) ? (body.features as Array<Record<string, unknown>>) : [];
  const first = features[0];
  if (first?.['@context'] !== undefined) return 'feature';
  if (body?.['@context'] !== undefined) return 'collection';
  if ((first?.properties as Record<string, unknown> | undefined)?.['@context'] !== undefined)
    return 'properties';
  if (first && parseLinkHeader(answer.headers.get('link')).has('http://www.w3.org/ns/json-ld#context'))
    return 'link';
  return 'unknown';
}

/**
 * Probes a broker: about eight small requests, each below the configured base URL.
 * @throws NgsiLdClientError when the broker does not answer `GET /types` usably (the probes after it are tolerant)
 */
export async function discoverCapabilities(
  transport: HttpTransport,
  settings: { temporalUrl?: string } = {},
): Promise<NgsiLdCapabilities> {
  // Tolerant probe: an answer, or the error the broker gave (unavailable ones still stop discovery).
  const probe = async (request: HttpRequest): Promise<HttpAnswer | NgsiLdClientError> => {
    try {
      return await transport.request({ retries: 0, ...request });
    } catch (error) {
      if (isNgsiLdError(error) && error.kind !== 'unavailable') return error;
      throw error;
    }
  };

  // Without the user context, so that the broker names its core context (in the Link header or the body).
  const types = await transport.request({ path: '/types', accept: 'application/ld+json', context: 'none' });
  const server =
    `${types.headers.get('server') ?? ''} ${types.headers.get('x-powered-by') ?? ''}`.toLowerCase();
  const coreContextVersion = findCoreContextVersion(
    types.headers.get('link'),
    (types.body as { '@context'?: unknown } | undefined)?.['@context'],
  );
  const typeList = (types.body as { typeList?: unknown } | undefined)?.typeList;
  const probeType =
    Array.isArray(typeList) && typeof typeList[0] === 'string' && typeList[0] !== ''
      ? typeList[0]
      : PROBE_TYPE;
  const entities = (query: Record<string, string | number>, accept = 'application/json') =>
    probe({ path: '/entities', query: { type: probeType, ...query }, accept });

  const unfiltered = await probe({ path: '/entities', query: { limit: 1 } });
  const needsFilter = unfiltered instanceof NgsiLdClientError && unfiltered.status === 400;
  const tooBroadTitle =
    unfiltered instanceof NgsiLdClientError
      ? (unfiltered.body as { title?: unknown } | undefined)?.title
      : undefined;

  // Limits: above 1000 first (the spec-era error shows), then 1000, then Stellio's 100. An id nothing has keeps these
  // answers empty on a broker that holds many entities.
  let maxLimit = SAFE_PAGE;
  let limitError: NgsiLdClientError | undefined;
  const above = await entities({ id: NO_ENTITY, limit: MAX_PAGE + 1 });
  if (above instanceof NgsiLdClientError) {
    limitError = above;
    if (!((await entities({ id: NO_ENTITY, limit: MAX_PAGE })) instanceof NgsiLdClientError))
      maxLimit = MAX_PAGE;
  } else maxLimit = MAX_PAGE;
  const rawLimitType = (limitError?.body as { type?: unknown } | undefined)?.type;

  // Default limit and next links: visible only when the type holds more entities than one page.
  const plain = await entities({ count: 'true' });
  let defaultLimit: number | undefined;
  let nextLinkPaging: boolean | undefined;
  if (!(plain instanceof NgsiLdClientError) && Array.isArray(plain.body)) {
    const total = Number(plain.headers.get('NGSILD-Results-Count'));
    if (Number.isFinite(total) && total > plain.body.length) {
      defaultLimit = plain.body.length;
      nextLinkPaging = parseLinkHeader(plain.headers.get('link')).has('next');
    }
  }

  const pick = await entities({ id: NO_ENTITY, pick: 'id', limit: 1 });
  const supportsPickOmit = !(pick instanceof NgsiLdClientError && pick.status === 400);
  const near = await entities({
    id: NO_ENTITY,
    georel: 'near;maxDistance==0.5',
    geometry: 'Point',
    coordinates: '[0,0]',
    limit: 1,
  });
  const wholeMetreNear = near instanceof NgsiLdClientError && near.status === 400;
  const geoJson = await entities({ limit: 1 }, 'application/geo+json');
  const placement = geoJson instanceof NgsiLdClientError ? 'unknown' : geoJsonContextPlacementOf(geoJson);
  const contexts = await probe({ path: '/jsonldContexts', context: 'none' });
  const jsonLdContexts = !(contexts instanceof NgsiLdClientError);

  // Which broker: its Server header, else the evidence (Orion-LD's "Too broad query" title, Scorpio's trailing space
  // in the TooManyResults type, Stellio's 100 maximum).
  let broker: NgsiLdBrokerKind = 'generic';
  if (/orion/.test(server) || tooBroadTitle === 'Too broad query') broker = 'orion-ld';
  else if (/scorpio/.test(server) || (typeof rawLimitType === 'string' && /\s$/.test(rawLimitType)))
    broker = 'scorpio';
  else if (/stellio/.test(server) || (maxLimit === SAFE_PAGE && limitError?.status === 403))
    broker = 'stellio';
  const known = broker === 'generic' ? undefined : KNOWN_BROKERS[broker];

  return {
    broker,
    coreContextVersion,
    defaultLimit: defaultLimit ?? known?.defaultLimit,
    maxLimit,
    limitErrorStatus: limitError?.status,
    needsFilter,
    supportsPickOmit,
    geoJsonContextPlacement:
      placement === 'unknown' ? (known?.geoJsonContextPlacement ?? placement) : placement,
    omitsAbsentGeometry: known?.omitsAbsentGeometry ?? false,
    nextLinkPaging: nextLinkPaging ?? known?.nextLinkPaging ?? false,
    // Orion-LD keeps history in a separate service (Mintaka): without its URL there is no temporal API.
    temporalUrl: settings.temporalUrl ?? (broker === 'orion-ld' ? undefined : transport.baseUrl),
    formatParameter: versionAtLeast(coreContextVersion, 1.8) ? 'format' : 'options',
    wholeMetreNear,
    jsonLdContexts,
  };
}
