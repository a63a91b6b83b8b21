// The collections Plaza serves: built from the collections config (demo layers, configured providers, tilesets,
// NGSI-LD entity types), each with its provider and cached description.
import type { FeatureProvider, ProviderDescription } from '../providers/provider';
import type { CollectionStyle } from './collections-config';

/** A feature collection backed by a provider. */
export interface FeatureCollectionEntry {
  kind: 'features';
  id: string;
  title: string;
  description?: string;
  keywords?: string[];
  visibility: 'public' | 'internal';
  style?: CollectionStyle;
  provider: FeatureProvider;
}

/** A 3D Tiles tileset served as an OGC API 3D GeoVolumes collection. */
export interface TilesetCollectionEntry {
  kind: 'tileset';
  id: string;
  title: string;
  description?: string;
  keywords?: string[];
  visibility: 'public' | 'internal';
  style?: CollectionStyle;
  /** Absolute folder of the tileset; content is served from here only. */
  directory: string;
  /** [west, south, minHeight, east, north, maxHeight] in CRS84h, when known. */
  bbox?: number[];
}

export type CollectionEntry = FeatureCollectionEntry | TilesetCollectionEntry;

/** The ordered set of collections with cached provider descriptions. */
export class CollectionCatalog {
  readonly #entries = new Map<string, CollectionEntry>();
  readonly #descriptions = new Map<string, Promise<ProviderDescription>>();

  /**
   * Adds a collection.
   * @throws Error when the id is taken
   */
  add(entry: CollectionEntry): void {
    if (this.#entries.has(entry.id)) throw new Error(`two collections share the id '${entry.id}'`);
    this.#entries.set(entry.id, entry);
  }

  /** The collections a caller may see. */
  list(includeInternal: boolean): CollectionEntry[] {
    return [...this.#entries.values()].filter((entry) => includeInternal || entry.visibility === 'public');
  }

  /** One collection, if the caller may see it. */
  get(id: string, includeInternal: boolean): CollectionEntry | undefined {
    const entry = this.#entries.get(id);
    return entry && (includeInternal || entry.visibility === 'public') ? entry : undefined;
  }

  /** The provider's description, cached; a failed description is retried on the next call. */
  describe(entry: FeatureCollectionEntry): Promise<ProviderDescription> {
    let description = this.#descriptions.get(entry.id);
    if (!description) {
      description = entry.provider.describe();
      description.catch(() => this.#descriptions.delete(entry.id));
      this.#descriptions.set(entry.id, description);
    }
    return description;
  }

  /** Forgets cached descriptions (after data changed). */
  invalidate(id?: string): void {
    if (id) this.#descriptions.delete(id);
    else this.#descriptions.clear();
  }

  async close(): Promise<void> {
    for (const entry of this.#entries.values()) if (entry.kind === 'features') await entry.provider.close();
    this.#entries.clear();
  }
}
