// Broker compatibility profiles: the embedded broker can behave like Orion-LD, Scorpio or Stellio where they differ
// from the standard (limits and the error above them, "Too broad query", pick/omit, GeoJSON @context placement and
// absent geometry, whole-metre `near`), so Plaza's clients are tested against each without running those brokers.
import { ApiError } from '../http/errors';
import { errorTypeUri } from './errors';

/** The profile names `NGSI_LD_PROFILE` takes. */
export const BROKER_PROFILE_NAMES = ['standard', 'orion-ld', 'scorpio', 'stellio'] as const;
export type BrokerProfileName = (typeof BROKER_PROFILE_NAMES)[number];

/** What differs between brokers, as the embedded broker consults it. */
export interface BrokerProfile {
  name: BrokerProfileName;
  /** `limit` when none is given. */
  defaultLimit: number;
  /** Largest `limit`; above it {@link limitError}. */
  maxLimit: number;
  /** The error for a `limit` above the maximum. */
  limitError(limit: number, maxLimit: number): ApiError;
  /** Title of the 400 for a query without any filter (Orion-LD: "Too broad query"). */
  tooBroadTitle: string;
  /** Whether `pick` and `omit` are understood (Orion-LD 1.7.0: no, 400). */
  pickOmit: boolean;
  /** Where GeoJSON collections carry @context: on the FeatureCollection (Scorpio) or on each Feature. */
  geoJsonContext: 'collection' | 'feature';
  /** Whether a Feature without geometry leaves the `geometry` key out (Scorpio) instead of `null`. */
  omitAbsentGeometry: boolean;
  /** Whether `near` distances must be whole metres (Stellio). */
  wholeMetreNear: boolean;
  /** Whether entity query pages carry a `Link: <…>; rel="next"` while more follow (Scorpio, Stellio). */
  nextLinks: boolean;
}

const tooManyResults = (detail: string, typeSuffix = '') =>
  new ApiError(403, detail, {
    type: `${errorTypeUri('TooManyResults')}${typeSuffix}`,
    title: 'TooManyResults',
  });

/**
 * The profile of a name. `standard` takes its maximum from `NGSI_LD_MAX_LIMIT`; the others have their broker's.
 * Sources: ../shared/notes/ngsi-ld.md §10.
 */
export function brokerProfile(name: BrokerProfileName = 'standard', standardMaxLimit = 1000): BrokerProfile {
  switch (name) {
    case 'standard':
      return {
        name,
        defaultLimit: 20,
        maxLimit: standardMaxLimit,
        limitError: (limit, max) =>
          tooManyResults(`limit ${limit} is above this broker's maximum of ${max}; page with offset`),
        tooBroadTitle: 'BadRequestData',
        pickOmit: true,
        geoJsonContext: 'collection',
        omitAbsentGeometry: false,
        wholeMetreNear: false,
        nextLinks: false,
      };
    case 'orion-ld':
      // Orion-LD 1.7.0: 20 / 1000, 400 BadRequestData above it, per-Feature @context, no pick/omit.
      return {
        name,
        defaultLimit: 20,
        maxLimit: 1000,
        limitError: (limit, max) =>
          new ApiError(400, `Invalid value for URI parameter /limit/: ${limit} (max ${max})`, {
            type: errorTypeUri('BadRequestData'),
            title: 'BadRequestData',
          }),
        tooBroadTitle: 'Too broad query',
        pickOmit: false,
        geoJsonContext: 'feature',
        omitAbsentGeometry: false,
        wholeMetreNear: false,
        nextLinks: false,
      };
    case 'scorpio':
      // Scorpio (2024-10): 50 / 1000, 403 with a trailing space in the type URI, collection-level @context,
      // `geometry` left out when absent.
      return {
        name,
        defaultLimit: 50,
        maxLimit: 1000,
        limitError: (limit, max) => tooManyResults(`Limit ${limit} exceeds the maximum of ${max}`, ' '),
        tooBroadTitle: 'BadRequestData',
        pickOmit: true,
        geoJsonContext: 'collection',
        omitAbsentGeometry: true,
        wholeMetreNear: false,
        nextLinks: true,
      };
    case 'stellio':
      // Stellio: 30 / 100, 403 TooManyResults, per-Feature @context, whole metres only in `near`.
      return {
        name,
        defaultLimit: 30,
        maxLimit: 100,
        limitError: (limit, max) =>
          tooManyResults(`You asked for ${limit} results, but the supported maximum limit is ${max}`),
        tooBroadTitle: 'BadRequestData',
        pickOmit: true,
        geoJsonContext: 'feature',
        omitAbsentGeometry: false,
        wholeMetreNear: true,
        nextLinks: true,
      };
  }
}
