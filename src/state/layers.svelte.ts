// The layer list: which collections are shown, in which order, how opaque, and what state each is in.
import { getContext, setContext } from 'svelte';
import type { PlazaCollection } from '../data/collections';
import type { BuildingStyleMode } from '../lib/building-styles';

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
  constructor(readonly collection: PlazaCollection) {}
}

/** All layers, plus the catalog's own loading state. */
export class LayerStore {
  layers = $state<Layer[]>([]);
  catalogError = $state<string | undefined>(undefined);
  catalogLoaded = $state(false);

  /** Replaces the list with the server's collections; 3D Tiles start visible, feature layers hidden. */
  setCollections(collections: PlazaCollection[]): void {
    this.layers = collections.map((collection) => {
      const layer = new Layer(collection);
      layer.visible = collection.kind === 'tileset';
      return layer;
    });
    this.catalogLoaded = true;
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
