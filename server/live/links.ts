// Two-way id links between NGSI-LD entities and buildings (MIM7 C4): a Relationship whose object is the building
// (`urn:ngsi-ld:Building:<id>` or the plain id), or a Point location inside its footprint. Footprints come from the
// OGC `buildings` collection's provider when there is one, else from the tilesets' id index bounding boxes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Geometry, Point } from 'geojson';
import type { PlazaConfig } from '../config';
import { ensureDemoLayers } from '../demo/layers/demo-layers';
import { intersects } from '../geometry';
import { loadCollectionsConfig } from '../ogc/collections-config';
import { GeoPackageProvider } from '../providers/geopackage';
import type { FeatureProvider } from '../providers/provider';
import { createProvider } from '../providers/registry';
import type { NgsiLdClient } from '../ngsi-ld/client';
import { toLiveEntity, type LiveEntity } from './live-entity';

/** The URN prefix of building entities; the rest is the building's persistent id. */
export const BUILDING_URN_PREFIX = 'urn:ngsi-ld:Building:';
/** The tiler's id index beside each tileset.json (server/tiler's ID_INDEX_FILE; not imported to keep the tiler's
 * GLB writing out of the server's start-up). */
const ID_INDEX_FILE = 'ids.json';
/** The OGC collection whose features are building footprints. */
export const BUILDINGS_COLLECTION = 'buildings';

/** Where a building is drawn in a 3D Tiles tileset (from its id index). */
export interface TilesetFeatureReference {
  tileset: string;
  tile: string;
  feature?: number;
}

interface BuildingFootprint {
  id: string;
  /** Footprint polygon (OGC source) or the id index's box as a polygon. */
  geometry: Geometry;
  box: [number, number, number, number];
  tileset?: TilesetFeatureReference;
}

/** One link between an entity and a building, with its reason. */
export interface EntityBuildingLink {
  entity: string;
  entityType: string;
  feature: string;
  featureUrn: string;
  reason: 'relationship' | 'location';
  /** The Relationship attribute (reason `relationship`). */
  attribute?: string;
  /** What was compared, for a person. */
  detail: string;
  /** Where the building is in a tileset, when an id index knows it. */
  tileset?: TilesetFeatureReference;
}

/** Options of {@link LinkService}. */
export interface LinkServiceOptions {
  /** Milliseconds the scanned entities are reused (default 5000). */
  entityCacheMs?: number;
  /** Milliseconds the footprints are reused (default 300 000). */
  footprintCacheMs?: number;
}

function boxOf(geometry: Geometry): [number, number, number, number] {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  const visit = (value: unknown): void => {
    if (!Array.isArray(value)) return;
    if (typeof value[0] === 'number') {
      west = Math.min(west, value[0]);
      east = Math.max(east, value[0]);
      south = Math.min(south, value[1] as number);
      north = Math.max(north, value[1] as number);
      return;
    }
    for (const item of value) visit(item);
  };
  visit((geometry as { coordinates?: unknown }).coordinates);
  return [west, south, east, north];
}

function boxPolygon([west, south, east, north]: [number, number, number, number]): Geometry {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [west, south],
        [east, south],
        [east, north],
        [west, north],
        [west, south],
      ],
    ],
  };
}

/** Answers /links from the broker's entities and the building footprints. */
export class LinkService {
  readonly #config: PlazaConfig;
  readonly #broker: NgsiLdClient;
  readonly #options: Required<LinkServiceOptions>;
  #entities: { at: number; promise: Promise<LiveEntity[]> } | undefined;
  #footprints:
    { at: number; promise: Promise<{ source: string; byId: Map<string, BuildingFootprint> }> } | undefined;

  constructor(config: PlazaConfig, broker: NgsiLdClient, options: LinkServiceOptions = {}) {
    this.#config = config;
    this.#broker = broker;
    this.#options = { entityCacheMs: 5000, footprintCacheMs: 300_000, ...options };
  }

  /** Every entity the broker holds (all types), cached briefly. @throws NgsiLdClientError */
  async #allEntities(): Promise<LiveEntity[]> {
    const now = Date.now();
    if (!this.#entities || now - this.#entities.at > this.#options.entityCacheMs) {
      const promise = (async () => {
        const types = await this.#broker.listTypes();
        const raw = types.length ? await this.#broker.queryEntities({ type: types }) : [];
        return raw.map(toLiveEntity).filter((entity): entity is LiveEntity => entity !== undefined);
      })();
      this.#entities = { at: now, promise };
      // A failure is not cached.
      promise.catch(() => {
        if (this.#entities?.promise === promise) this.#entities = undefined;
      });
    }
    return this.#entities.promise;
  }

  /** The footprints and where they came from, cached. */
  async footprints(): Promise<{ source: string; byId: Map<string, BuildingFootprint> }> {
    const now = Date.now();
    if (!this.#footprints || now - this.#footprints.at > this.#options.footprintCacheMs) {
      const promise = this.#loadFootprints();
      this.#footprints = { at: now, promise };
      promise.catch(() => {
        if (this.#footprints?.promise === promise) this.#footprints = undefined;
      });
    }
    return this.#footprints.promise;
  }

  async #loadFootprints(): Promise<{ source: string; byId: Map<string, BuildingFootprint> }> {
    const tiles = this.#readIdIndexes();
    const provider = await this.#openBuildingsProvider();
    const byId = new Map<string, BuildingFootprint>();
    if (provider) {
      try {
        let cursor: string | undefined;
        do {
          const page = await provider.queryFeatures({ limit: 10_000, offset: 0, cursor });
          for (const feature of page.features) {
            if (!feature.geometry) continue;
            const idProperty = feature.properties?.id;
            const id = typeof idProperty === 'string' ? idProperty : String(feature.id);
            const tile = tiles.get(id);
            byId.set(id, {
              id,
              geometry: feature.geometry,
              box: boxOf(feature.geometry),
              tileset: tile?.reference,
            });
          }
          cursor = page.nextCursor;
        } while (cursor);
      } finally {
        await provider.close();
      }
      return { source: `OGC collection '${BUILDINGS_COLLECTION}' (footprint polygons)`, byId };
    }
    for (const [id, tile] of tiles)
      byId.set(id, { id, geometry: boxPolygon(tile.box), box: tile.box, tileset: tile.reference });
    const names = [...new Set([...tiles.values()].map((tile) => tile.reference.tileset))];
    return {
      source: names.length
        ? `tileset id index ${names.map((name) => `${name}/${ID_INDEX_FILE}`).join(', ')} (bounding boxes)`
        : 'none (no buildings collection and no tileset id index)',
      byId,
    };
  }

  async #openBuildingsProvider(): Promise<FeatureProvider | undefined> {
    const collections = loadCollectionsConfig(this.#config.ogc.collectionsFile);
    const configured = collections.collections.find((collection) => collection.id === BUILDINGS_COLLECTION);
    if (configured) {
      return createProvider(configured.provider, {
        temporalProperty: configured.temporalProperty,
        ngsiLd: {
          url: () => this.#broker.url,
          tenant: this.#config.ngsiLd.tenant,
          context: this.#config.ngsiLd.context,
          token: this.#config.ngsiLd.token,
        },
      });
    }
    if (!collections.demoLayers) return undefined;
    const path = await ensureDemoLayers({ dataDirectory: this.#config.dataDirectory });
    return new GeoPackageProvider({ path, table: 'buildings' });
  }

  /** Buildings of every tileset's id index: tile reference and box in degrees. */
  #readIdIndexes(): Map<
    string,
    { reference: TilesetFeatureReference; box: [number, number, number, number] }
  > {
    const result = new Map<
      string,
      { reference: TilesetFeatureReference; box: [number, number, number, number] }
    >();
    const directory = this.#config.tilesetsDirectory;
    if (!existsSync(directory)) return result;
    for (const name of readdirSync(directory).sort()) {
      const file = join(directory, name, ID_INDEX_FILE);
      if (!existsSync(file)) continue;
      let index: {
        features?: Record<
          string,
          { tile?: unknown; feature?: unknown; type?: unknown; region?: unknown; parentId?: unknown }
        >;
      };
      try {
        index = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        continue; // A tileset being rewritten; the next load reads it.
      }
      for (const [id, record] of Object.entries(index.features ?? {})) {
        if (record.parentId !== undefined || typeof record.tile !== 'string') continue;
        if (typeof record.type === 'string' && !/Building$/.test(record.type)) continue;
        const region = record.region;
        if (!Array.isArray(region) || region.length < 4 || !region.slice(0, 4).every(Number.isFinite))
          continue;
        if (result.has(id)) continue;
        result.set(id, {
          reference: {
            tileset: name,
            tile: record.tile,
            ...(typeof record.feature === 'number' ? { feature: record.feature } : {}),
          },
          box: region.slice(0, 4) as [number, number, number, number],
        });
      }
    }
    return result;
  }

  /** The buildings an entity relates to, by relationship or by location. */
  #linksOf(entity: LiveEntity, byId: Map<string, BuildingFootprint>, source: string): EntityBuildingLink[] {
    const links: EntityBuildingLink[] = [];
    const seen = new Set<string>();
    const add = (link: EntityBuildingLink) => {
      const key = `${link.feature}|${link.reason}|${link.attribute ?? ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      links.push(link);
    };
    for (const [attribute, value] of Object.entries(entity.relationships)) {
      for (const object of Array.isArray(value) ? value : [value]) {
        const feature = object.startsWith(BUILDING_URN_PREFIX)
          ? object.slice(BUILDING_URN_PREFIX.length)
          : byId.has(object)
            ? object
            : undefined;
        if (!feature) continue;
        add({
          entity: entity.id,
          entityType: entity.type,
          feature,
          featureUrn: BUILDING_URN_PREFIX + feature,
          reason: 'relationship',
          attribute,
          detail: `Relationship '${attribute}' has object ${object}`,
          ...(byId.get(feature)?.tileset ? { tileset: byId.get(feature)!.tileset } : {}),
        });
      }
    }
    if (entity.location?.type === 'Point') {
      const point = entity.location as Point;
      const [x, y] = point.coordinates;
      for (const footprint of byId.values()) {
        const [west, south, east, north] = footprint.box;
        if (x < west || x > east || y < south || y > north) continue;
        if (!intersects(point, footprint.geometry)) continue;
        add({
          entity: entity.id,
          entityType: entity.type,
          feature: footprint.id,
          featureUrn: BUILDING_URN_PREFIX + footprint.id,
          reason: 'location',
          detail: `location Point (${x}, ${y}) lies inside the footprint from ${source}`,
          ...(footprint.tileset ? { tileset: footprint.tileset } : {}),
        });
      }
    }
    return links;
  }

  /**
   * The buildings an entity is linked to, or undefined when the broker does not know the entity.
   * @throws NgsiLdClientError when the broker cannot answer
   */
  async linksOfEntity(
    entityId: string,
  ): Promise<
    { entity: { id: string; type: string }; footprints: string; links: EntityBuildingLink[] } | undefined
  > {
    const raw = await this.#broker.getEntity(entityId);
    const entity = raw ? toLiveEntity(raw) : undefined;
    if (!entity) return undefined;
    const { source, byId } = await this.footprints();
    return {
      entity: { id: entity.id, type: entity.type },
      footprints: source,
      links: this.#linksOf(entity, byId, source),
    };
  }

  /**
   * The entities linked to a building, or undefined when no footprint, id index or relationship knows it.
   * @throws NgsiLdClientError when the broker cannot answer
   */
  async linksOfFeature(featureId: string): Promise<
    | {
        feature: { id: string; urn: string; inFootprints: boolean; tileset?: TilesetFeatureReference };
        footprints: string;
        links: EntityBuildingLink[];
      }
    | undefined
  > {
    const id = featureId.startsWith(BUILDING_URN_PREFIX)
      ? featureId.slice(BUILDING_URN_PREFIX.length)
      : featureId;
    const [{ source, byId }, entities] = await Promise.all([this.footprints(), this.#allEntities()]);
    const footprint = byId.get(id);
    const links: EntityBuildingLink[] = [];
    for (const entity of entities) {
      // Only this building's footprint matters for location links; relationships are checked against all ids.
      const subset = new Map<string, BuildingFootprint>();
      if (footprint) subset.set(id, footprint);
      for (const link of this.#linksOf(entity, subset, source)) if (link.feature === id) links.push(link);
    }
    if (!footprint && links.length === 0) return undefined;
    return {
      feature: {
        id,
        urn: BUILDING_URN_PREFIX + id,
        inFootprints: footprint !== undefined,
        ...(footprint?.tileset ? { tileset: footprint.tileset } : {}),
      },
      footprints: source,
      links,
    };
  }
}
