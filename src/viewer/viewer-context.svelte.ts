// Shared state of the 3D view: the Cesium viewer once created, whether the globe has drawn, and any start-up error.
import { getContext, setContext } from 'svelte';
import type { Viewer } from 'cesium';

const KEY = Symbol('plaza-viewer');

/** What layers and panels read about the 3D view. */
export class ViewerContext {
  /** The Cesium viewer, once the canvas exists. */
  viewer = $state.raw<Viewer | undefined>(undefined);
  /** True once the globe's first tiles have been drawn. */
  globeReady = $state(false);
  /** Why the 3D view could not start (no WebGL, ...), for the user. */
  error = $state<string | undefined>(undefined);
  /** Which layer each loaded primitive (tileset) belongs to, so a pick can name its layer. */
  readonly layerOfPrimitive = new Map<object, { id: string; title: string }>();
}

/** Creates the viewer context for the components below the caller. */
export function setViewerContext(): ViewerContext {
  return setContext(KEY, new ViewerContext());
}

/** The nearest viewer context. @throws Error when used outside a `<Viewer>` */
export function getViewerContext(): ViewerContext {
  const context = getContext<ViewerContext | undefined>(KEY);
  if (!context) throw new Error('getViewerContext() used outside <Viewer>');
  return context;
}
