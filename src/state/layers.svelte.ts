// The layer list: which collections are shown, in which order, how opaque, and what state each is in.
import { getContext, setContext } from 'svelte';
import type { PlazaCollection } from '../data/collections';
import { BUILDING_STYLE_MODES, type BuildingStyleMode } from '../lib/building-styles';
import type { LayerState } from './url-state';

const KEY = Symbol('plaza-layers');

export type LayerStatus = 'loading' | 'ready' | 'error';

/** One entry of the layer list. */
export class Layer {
  visible = $state(true);
  opacity = $state(1);
  status = $state<LayerStatus>('loading');
  /** What went wrong, shown on the layer. */
  message = $state<string | undefined>(undefined);
  /** What a 3D Tiles layer's buildings are coloured by. */
  styleMode = $state<BuildingStyleMode>('plain');
  /** CQL2-text filter applied to a feature layer's items request ('' = none). */
  filter = $state('');
  constructor(readonly collection: PlazaCollection) {}
}

/** All layers, plus the catalog's own loading state. */
export class LayerStore {
  layers = $state<Layer[]>([]);
  catalogError = $state<string | undefined>(undefined);
  catalogLoaded = $state(false);
  /** Service URLs the user added, in the order added (kept in the URL). */
  services = $state<string[]>([]);

  /**
   * Adds the layers of a user's service, shown, on top of the list; layers already listed are skipped.
   * @returns how many layers were added
   */
  addServiceLayers(serviceUrl: string, collections: PlazaCollection[]): number {
    const known = new Set(this.layers.map((layer) => layer.collection.id));
    const fresh = collections
      .filter((collection) => !known.has(collection.id))
      .map((collection) => new Layer(collection));
    for (const layer of fresh) layer.visible = true;
    this.layers = [...fresh, ...this.layers];
    if (!this.services.includes(serviceUrl)) this.services = [...this.services, serviceUrl];
    return fresh.length;
  }

  /** Replaces the server's collections (keeping the user's service layers); 3D Tiles start visible, others hidden. */
  setCollections(collections: PlazaCollection[]): void {
    const userLayers = this.layers.filter((layer) => this.services.includes(layer.collection.source));
    // The twin (3D Tiles) leads the list; map layers follow in the server's order.
    const ordered = [...collections].sort(
      (a, b) => Number(b.kind === 'tileset') - Number(a.kind === 'tileset'),
    );
    this.layers = [
      ...userLayers,
      ...ordered.map((collection) => {
        const layer = new Layer(collection);
        layer.visible = collection.kind === 'tileset';
        return layer;
      }),
    ];
    this.catalogLoaded = true;
  }

  /**
   * Applies layer settings restored from the URL: listed layers come first in the listed order with their
   * visibility, opacity, style and filter; the others keep their defaults and follow.
   */
  applyLayerStates(states: LayerState[]): void {
    const byId = new Map(this.layers.map((layer) => [layer.collection.id, layer]));
    const ordered: Layer[] = [];
    for (const state of states) {
      const layer = byId.get(state.id);
      if (!layer) continue;
      byId.delete(state.id);
      layer.visible = state.visible;
      layer.opacity = state.opacity;
      if (BUILDING_STYLE_MODES.some((option) => option.mode === state.style)) {
        layer.styleMode = state.style as BuildingStyleMode;
      }
      layer.filter = state.filter ?? '';
      ordered.push(layer);
    }
    this.layers = [...ordered, ...byId.values()];
  }

  /** The layers' settings for the URL. */
  layerStates(): LayerState[] {
    return this.layers.map((layer) => ({
      id: layer.collection.id,
      visible: layer.visible,
      opacity: layer.opacity,
      ...(layer.collection.kind === 'tileset' && layer.styleMode !== 'plain'
        ? { style: layer.styleMode }
        : {}),
      ...(layer.filter ? { filter: layer.filter } : {}),
    }));
  }

  /** Moves a layer one place up (-1) or down (+1) in the drawing order. */
  move(layer: Layer, step: -1 | 1): void {
    const index = this.layers.indexOf(layer);
    const target = index + step;
    if (index < 0 || target < 0 || target >= this.layers.length) return;
    const next = [...this.layers];
    [next[index], next[target]] = [next[target], next[index]];
    this.layers = next;
  }
}

export function setLayerStore(): LayerStore {
  return setContext(KEY, new LayerStore());
}

export function getLayerStore(): LayerStore {
  const store = getContext<LayerStore | undefined>(KEY);
  if (!store) throw new Error('getLayerStore() used outside the app');
  return store;
}
