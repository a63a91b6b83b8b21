// What the user selected on the map: a building (3D Tiles feature) with all of its attributes.
import { getContext, setContext } from 'svelte';

const KEY = Symbol('plaza-selection');

/** A picked feature: its persistent id, the layer it belongs to, and every attribute it carries. */
export interface SelectedFeature {
  id: string;
  layerId: string;
  layerTitle: string;
  properties: Record<string, unknown>;
}

export class SelectionStore {
  selected = $state<SelectedFeature | undefined>(undefined);
  /** Show only the selected building (and its parts) in its layer. */
  isolated = $state(false);
}

export function setSelectionStore(): SelectionStore {
  return setContext(KEY, new SelectionStore());
}

export function getSelectionStore(): SelectionStore {
  const store = getContext<SelectionStore | undefined>(KEY);
  if (!store) throw new Error('getSelectionStore() used outside the app');
  return store;
}
