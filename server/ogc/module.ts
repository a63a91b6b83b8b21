// The OGC API module: builds the collection catalog from the collections config (demo layers, configured providers,
// tilesets) and mounts the OGC API at /ogc (plus /collections, /conformance, /api at the root).
import type { PlazaConfig } from '../config';
import type { PlazaModule } from '../http/module';
import { ensureDemoLayers, DEMO_LAYERS } from '../demo/layers/demo-layers';
import { GeoPackageProvider } from '../providers/geopackage';
import { createProvider } from '../providers/registry';
import { CollectionCatalog } from './catalog';
import { loadCollectionsConfig, type CollectionsConfig } from './collections-config';
import { NgsiLdProvider, listNgsiLdTypes } from '../providers/ngsi-ld';
import type { EmbeddedBrokerServices } from '../ngsi-ld/broker/in-process';
import { createCql2FilterEngine } from './filter';
import { discoverTilesets } from './tilesets';
import { OgcService, OGC_BASE_PATH, type FilterEngine } from './service';

/** Options of {@link createOgcModule}, for tests and embedding. */
export interface OgcModuleOptions {
  /** The CQL2 filter engine (default server/cql2's); false serves no `filter` parameter. */
  filterEngine?: FilterEngine | false;
  /**
   * The embedded broker's services when Plaza runs the broker itself (NGSI_LD_URL unset): NGSI-LD collections then
   * read its store in process instead of over loopback HTTP.
   */
  embeddedBroker?: () => EmbeddedBrokerServices | undefined;
}

/** How often the NGSI-LD entity types are listed again (new types become collections). */
const NGSI_LD_REFRESH_MS = 60_000;
/** Least time between two type listings caused by requests. */
const NGSI_LD_LOOKUP_MS = 1_000;

/**
 * Builds the catalog a configuration asks for (NGSI-LD types are added later, by {@link addNgsiLdTypes}).
 * @param brokerUrl - the NGSI-LD broker's base URL once known (the embedded one is known only after listening)
 * @param embeddedBroker - the embedded broker's services, when `brokerUrl` is Plaza's own broker
 * @throws CollectionsConfigError, or Error when a source cannot open
 */
export async function buildCatalog(
  config: PlazaConfig,
  collectionsConfig: CollectionsConfig,
  brokerUrl: () => string | undefined,
  embeddedBroker?: () => EmbeddedBrokerServices | undefined,
): Promise<CollectionCatalog> {
  const catalog = new CollectionCatalog();
  try {
    if (collectionsConfig.demoLayers) {
      const path = await ensureDemoLayers({ dataDirectory: config.dataDirectory });
      for (const layer of DEMO_LAYERS) {
        catalog.add({
          kind: 'features',
          id: layer.id,
          title: layer.title,
          description: layer.description,
          keywords: ['demo', 'Plaza'],
          visibility: 'public',
          style: layer.style,
          provider: new GeoPackageProvider({ path, table: layer.table }),
        });
      }
    }
    for (const collection of collectionsConfig.collections) {
      const provider = await createProvider(collection.provider, {
        temporalProperty: collection.temporalProperty,
        ngsiLd: {
          url: brokerUrl,
          tenant: config.ngsiLd.tenant,
          context: config.ngsiLd.context,
          token: config.ngsiLd.token,
          apiKey: config.ngsiLd.apiKey,
          apiKeyHeader: config.ngsiLd.apiKeyHeader,
          inProcess: embeddedBroker,
        },
      });
      catalog.add({
        kind: 'features',
        id: collection.id,
        title: collection.title,
        description: collection.description,
        keywords: collection.keywords,
        visibility: collection.visibility,
        style: collection.style,
        provider,
      });
    }
    if (collectionsConfig.tilesets) {
      for (const tileset of discoverTilesets(config.tilesetsDirectory)) {
        // A feature collection keeps its id; the tileset of the same name becomes <name>-3d.
        if (catalog.get(tileset.id, true)) tileset.id = `${tileset.id}-3d`;
        if (!catalog.get(tileset.id, true)) catalog.add(tileset);
      }
    }
  } catch (error) {
    await catalog.close();
    throw error;
  }
  return catalog;
}

/**
 * Adds a collection for every entity type the broker holds that the catalog does not have yet (id = the type name,
 * `<type>-ngsi-ld` when taken).
 * @throws ProviderError when the broker does not answer
 */
export async function addNgsiLdTypes(
  catalog: CollectionCatalog,
  config: PlazaConfig,
  brokerUrl: string,
  embeddedBroker?: () => EmbeddedBrokerServices | undefined,
): Promise<number> {
  const connection = {
    brokerUrl,
    inProcess: embeddedBroker,
    tenant: config.ngsiLd.tenant,
    context: config.ngsiLd.context,
    token: config.ngsiLd.token,
    apiKey: config.ngsiLd.apiKey,
    apiKeyHeader: config.ngsiLd.apiKeyHeader,
  };
  let added = 0;
  for (const type of await listNgsiLdTypes(connection)) {
    const name = type
      .replace(/^.*[/#:]/, '')
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 50);
    if (!name) continue;
    const known = catalog
      .list(true)
      .some(
        (entry) =>
          entry.kind === 'features' &&
          entry.provider instanceof NgsiLdProvider &&
          entry.provider.options.entityType === type,
      );
    if (known) continue;
    const id = catalog.get(name, true) ? `${name}-ngsi-ld` : name;
    if (catalog.get(id, true)) continue;
    catalog.add({
      kind: 'features',
      id,
      title: `${name} (NGSI-LD)`,
      description: `Entities of type ${type} in the NGSI-LD broker`,
      keywords: ['NGSI-LD', name],
      visibility: 'public',
      provider: new NgsiLdProvider({ ...connection, entityType: type }),
    });
    added++;
  }
  return added;
}

/** The OGC API Features / 3D GeoVolumes subsystem. */
export function createOgcModule(config: PlazaConfig, options: OgcModuleOptions = {}): PlazaModule {
  let catalog: CollectionCatalog | undefined;
  let brokerUrl: string | undefined = config.ngsiLd.url;
  let timer: NodeJS.Timeout | undefined;
  let ngsiLdState: { status: 'ok' | 'degraded' | 'off'; detail?: string } = { status: 'off' };
  const collectionsConfig = loadCollectionsConfig(config.ogc.collectionsFile);
  let lastRefresh = 0;
  const refreshTypes = async () => {
    if (!catalog || !brokerUrl || !collectionsConfig.ngsiLdTypes) return;
    lastRefresh = Date.now();
    try {
      await addNgsiLdTypes(catalog, config, brokerUrl, options.embeddedBroker);
      ngsiLdState = { status: 'ok' };
    } catch (error) {
      ngsiLdState = { status: 'degraded', detail: (error as Error).message };
    }
  };
  return {
    name: 'ogc',
    async register(app, { health }) {
      catalog = await buildCatalog(config, collectionsConfig, () => brokerUrl, options.embeddedBroker);
      const service = new OgcService({
        catalog,
        internalToken: config.ogc.internalToken,
        filterEngine:
          options.filterEngine === false ? undefined : (options.filterEngine ?? createCql2FilterEngine()),
        // New entity types show up on the next listing or lookup, at most once a second.
        refreshCollections: async () => {
          if (Date.now() - lastRefresh >= NGSI_LD_LOOKUP_MS) await refreshTypes();
        },
      });
      health.register('ogc', () => ({
        status: 'ok',
        detail: `OGC API Features at ${OGC_BASE_PATH}`,
        landingPage: OGC_BASE_PATH,
        collections: catalog?.list(false).length ?? 0,
        ngsiLdTypes: ngsiLdState,
      }));
      service.register(app);
    },
    async start(baseUrl) {
      brokerUrl ??= `${baseUrl}/ngsi-ld/v1`;
      if (!collectionsConfig.ngsiLdTypes) return;
      await refreshTypes();
      timer = setInterval(() => void refreshTypes(), NGSI_LD_REFRESH_MS);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      await catalog?.close();
      catalog = undefined;
    },
  };
}
