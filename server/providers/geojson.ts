// GeoJSON files (RFC 7946, CRS84) as a FeatureProvider: read once, indexed in memory, reloaded when the file changes.
import { readFile, stat } from 'node:fs/promises';
import type { Feature, FeatureCollection } from 'geojson';
import type {
  FeaturePage,
  FeatureProvider,
  FeatureQuery,
  PlazaFeature,
  ProviderDescription,
} from './provider';
import { ProviderError } from './provider';
import { InMemoryFeatureStore, inferProperties } from './in-memory';

/** Options of {@link GeoJsonFileProvider}. */
export interface GeoJsonFileProviderOptions {
  path: string;
  /** Property whose value is the feature id (default: the feature's own `id`, else its position from 1). */
  idProperty?: string;
  /** Property holding the feature time (default: the first date or date-time property). */
  temporalProperty?: string;
}

/** A GeoJSON FeatureCollection file. */
export class GeoJsonFileProvider implements FeatureProvider {
  #store: InMemoryFeatureStore | undefined;
  #loadedFrom = -1;
  #description: ProviderDescription | undefined;

  constructor(readonly options: GeoJsonFileProviderOptions) {}

  async #load(): Promise<InMemoryFeatureStore> {
    let modified: number;
    try {
      modified = (await stat(this.options.path)).mtimeMs;
    } catch (error) {
      throw new ProviderError(
        `GeoJSON file ${this.options.path} is unreadable: ${(error as Error).message}`,
        'unavailable',
      );
    }
    if (this.#store && modified === this.#loadedFrom) return this.#store;
    let collection: FeatureCollection;
    try {
      collection = JSON.parse(await readFile(this.options.path, 'utf8')) as FeatureCollection;
    } catch (error) {
      throw new ProviderError(
        `GeoJSON file ${this.options.path} is not JSON: ${(error as Error).message}`,
        'unavailable',
      );
    }
    if (collection?.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
      throw new ProviderError(`GeoJSON file ${this.options.path} is not a FeatureCollection`, 'unavailable');
    }
    const features: PlazaFeature[] = collection.features
      .filter((feature: Feature) => feature?.type === 'Feature')
      .map((feature: Feature, position: number) => {
        const properties = (feature.properties ?? {}) as Record<string, unknown>;
        const idValue = this.options.idProperty ? properties[this.options.idProperty] : feature.id;
        const id = typeof idValue === 'string' || typeof idValue === 'number' ? idValue : position + 1;
        return { type: 'Feature', id, geometry: feature.geometry ?? null, properties };
      });
    const properties = inferProperties(features);
    const temporalProperty =
      this.options.temporalProperty ??
      Object.entries(properties).find(([, type]) => type.format !== undefined)?.[0];
    this.#store = new InMemoryFeatureStore(features, temporalProperty);
    this.#loadedFrom = modified;
    let interval: [string | null, string | null] | undefined;
    if (temporalProperty) {
      const times = features
        .map((feature) => feature.properties[temporalProperty])
        .filter((value): value is string => typeof value === 'string')
        .map((value) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value))
        .filter((value) => !Number.isNaN(value));
      if (times.length)
        interval = [new Date(Math.min(...times)).toISOString(), new Date(Math.max(...times)).toISOString()];
    }
    this.#description = {
      bbox: this.#store.bbox,
      interval,
      storageEpsg: 4326,
      geometryType: commonGeometryType(features),
      properties,
      temporalProperty,
      count: features.length,
    };
    return this.#store;
  }

  async describe(): Promise<ProviderDescription> {
    await this.#load();
    return this.#description!;
  }

  async queryFeatures(query: FeatureQuery): Promise<FeaturePage> {
    return (await this.#load()).query(query);
  }

  async getFeature(id: string): Promise<PlazaFeature | undefined> {
    return (await this.#load()).get(id);
  }

  async close(): Promise<void> {
    this.#store = undefined;
  }
}

/** The one geometry type all features share, or 'Geometry'. */
export function commonGeometryType(features: PlazaFeature[]): string {
  const types = new Set(features.map((feature) => feature.geometry?.type).filter(Boolean));
  return types.size === 1 ? [...types][0]! : 'Geometry';
}
