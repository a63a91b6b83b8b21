// The OGC API module: builds the collection catalog from the collections config (demo layers, configured providers,
// tilesets) and mounts the OGC API at /ogc (plus /collections, /conformance, /api at the root).
import type { PlazaConfig } from '../config';
import type { PlazaModule } from '../http/module';
import { ensureDemoLayers, DEMO_LAYERS } from '../demo/layers/demo-layers';
import { GeoPackageProvider } from '../providers/geopackage';
import { createProvider } from '../providers/registry';
import { CollectionCatalog } from './catalog';
import { loadCollectionsConfig } from './collections-config';
import { createCql2FilterEngine } from './filter';
import { discoverTilesets } from './tilesets';
import { OgcService, OGC_BASE_PATH, type FilterEngine } from './service';

/** Options of {@link createOgcModule}, for tests and embedding. */
export interface OgcModuleOptions {
  /** The CQL2 filter engine (default server/cql2's); false serves no `filter` parameter. */
  filterEngine?: FilterEngine | false;
}

/** Builds the catalog a configuration asks for. @throws CollectionsConfigError, or Error when a source cannot open */
export async function buildCatalog(config: PlazaConfig): Promise<CollectionCatalog> {
  const collectionsConfig = loadCollectionsConfig(config.ogc.collectionsFile);
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
        ngsiLd: config.ngsiLd.url
          ? {
              url: config.ngsiLd.url,
              tenant: config.ngsiLd.tenant,
              context: config.ngsiLd.context,
              token: config.ngsiLd.token,
            }
          : undefined,
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

/** The OGC API Features / 3D GeoVolumes subsystem. */
export function createOgcModule(config: PlazaConfig, options: OgcModuleOptions = {}): PlazaModule {
  let catalog: CollectionCatalog | undefined;
  return {
    name: 'ogc',
    async register(app, { health }) {
      catalog = await buildCatalog(config);
      const service = new OgcService({
        catalog,
        internalToken: config.ogc.internalToken,
        filterEngine:
          options.filterEngine === false ? undefined : (options.filterEngine ?? createCql2FilterEngine()),
      });
      health.register('ogc', () => ({
        status: 'ok',
        detail: `OGC API Features at ${OGC_BASE_PATH}`,
        landingPage: OGC_BASE_PATH,
        collections: catalog?.list(false).length ?? 0,
      }));
      service.register(app);
    },
    async close() {
      await catalog?.close();
      catalog = undefined;
    },
  };
}
