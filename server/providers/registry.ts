// The provider registry: one factory per backend type named in the collections config.
import type { FeatureProvider } from './provider';
import { GeoPackageProvider } from './geopackage';
import { GeoJsonFileProvider } from './geojson';
import { PostGisProvider } from './postgis';
import { NgsiLdProvider } from './ngsi-ld';
import type { EmbeddedBrokerServices } from '../ngsi-ld/broker/in-process';

/** Provider settings as the collections config declares them. */
export type ProviderSettings =
  | { type: 'geopackage'; path: string; table: string }
  | { type: 'geojson'; path: string; idProperty?: string }
  | { type: 'postgis'; connectionString: string; table: string; geometryColumn: string; idColumn: string }
  | { type: 'ngsi-ld'; entityType: string; brokerUrl?: string };

/** What factories may need beyond the settings. */
export interface ProviderContext {
  temporalProperty?: string;
  /** NGSI-LD broker defaults from Plaza's configuration; `url` may be known only once Plaza listens. */
  ngsiLd?: {
    url: () => string | undefined;
    tenant?: string;
    context?: string;
    token?: string;
    apiKey?: string;
    apiKeyHeader?: string;
    /** The embedded broker's services when `url` is Plaza's own broker (read in process). */
    inProcess?: () => EmbeddedBrokerServices | undefined;
  };
}

type ProviderFactory = (
  settings: ProviderSettings,
  context: ProviderContext,
) => FeatureProvider | Promise<FeatureProvider>;

const FACTORIES = new Map<string, ProviderFactory>([
  [
    'geopackage',
    (settings, context) => {
      const { path, table } = settings as Extract<ProviderSettings, { type: 'geopackage' }>;
      return new GeoPackageProvider({ path, table, temporalProperty: context.temporalProperty });
    },
  ],
  [
    'geojson',
    (settings, context) => {
      const { path, idProperty } = settings as Extract<ProviderSettings, { type: 'geojson' }>;
      return new GeoJsonFileProvider({ path, idProperty, temporalProperty: context.temporalProperty });
    },
  ],
  [
    'postgis',
    (settings, context) => {
      const { connectionString, table, geometryColumn, idColumn } = settings as Extract<
        ProviderSettings,
        { type: 'postgis' }
      >;
      return new PostGisProvider({
        connectionString,
        table,
        geometryColumn,
        idColumn,
        temporalProperty: context.temporalProperty,
      });
    },
  ],
  [
    'ngsi-ld',
    (settings, context) => {
      const { entityType, brokerUrl } = settings as Extract<ProviderSettings, { type: 'ngsi-ld' }>;
      const defaults = context.ngsiLd;
      return new NgsiLdProvider({
        brokerUrl: brokerUrl ?? defaults?.url ?? (() => undefined),
        entityType,
        tenant: defaults?.tenant,
        context: defaults?.context,
        token: defaults?.token,
        apiKey: defaults?.apiKey,
        apiKeyHeader: defaults?.apiKeyHeader,
        // A collection naming its own broker reads that one over HTTP.
        inProcess: brokerUrl === undefined ? defaults?.inProcess : undefined,
        temporalProperty: context.temporalProperty,
      });
    },
  ],
]);

/** Adds (or replaces) the factory of a provider type. */
export function registerProviderType(type: string, factory: ProviderFactory): void {
  FACTORIES.set(type, factory);
}

/**
 * Creates the provider a collection's settings name.
 * @throws Error when the type has no factory or the source cannot be opened
 */
export async function createProvider(
  settings: ProviderSettings,
  context: ProviderContext = {},
): Promise<FeatureProvider> {
  const factory = FACTORIES.get(settings.type);
  if (!factory) throw new Error(`no provider for type '${settings.type}'`);
  return factory(settings, context);
}
