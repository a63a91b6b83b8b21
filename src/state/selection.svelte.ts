// What the user selected on the map: a building (3D Tiles feature) with all of its attributes.
import { getContext, setContext } from 'svelte';

const KEY = Symbol('plaza-selection');

/** A picked feature: its persistent id, the layer it belongs to, and every attribute it carries. */
export interface SelectedFeature {
  kind: 'building';
  id: string;
  layerId: string;
  layerTitle: string;
  properties: Record<string, unknown>;
}

/** A picked live NGSI-LD entity; its current values come from the live store. */
export interface SelectedEntity {
  kind: 'entity';
  id: string;
  type: string;
}

export type Selection = SelectedFeature | SelectedEntity;

export class SelectionStore {
  selected = $state<Selection | undefined>(undefined);
  /** An id restored from the URL, selected once a layer or the live stream shows it. */
  pendingId = $state<string | undefined>(undefined);
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
