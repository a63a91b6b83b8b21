// The NGSI-LD client's public surface: one client for every broker Plaza talks to (isomorphic: no node: imports).
export {
  NgsiLdClient,
  MAX_BATCH,
  isNgsiLdEntity,
  formatParameters,
  queryParameters,
  type NgsiLdClientOptions,
  type NgsiLdEntity,
  type NgsiLdFeature,
  type NgsiLdGeoJsonReader,
  type NgsiLdFormat,
  type NgsiLdGeoQuery,
  type NgsiLdEntityQuery,
  type NgsiLdPageOptions,
  type NgsiLdPage,
  type NgsiLdReadAllOptions,
  type NgsiLdBatchResult,
  type NgsiLdTemporalQuery,
} from './client';
export {
  discoverCapabilities,
  findCoreContextVersion,
  KNOWN_BROKERS,
  MAX_PAGE,
  SAFE_PAGE,
  type NgsiLdBrokerKind,
  type NgsiLdCapabilities,
  type GeoJsonContextPlacement,
} from './discovery';
export {
  NgsiLdClientError,
  describeShape,
  isNgsiLdError,
  kindOfAnswer,
  problemTypeOf,
  type NgsiLdErrorKind,
} from './errors';
export {
  HttpTransport,
  parseLinkHeader,
  readRetryAfter,
  type HttpTransportOptions,
  type HttpRequest,
  type HttpAnswer,
} from './transport';
