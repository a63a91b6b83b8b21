// Turns a click on the 3D view into the picked 3D Tiles feature's id and attributes.
import {
  Cesium3DTileFeature,
  ScreenSpaceEventHandler,
  ScreenSpaceEventType,
  type Cartesian2,
  type Viewer,
} from 'cesium';

/** Attribute names that hold a feature's persistent id, most specific first. */
const ID_PROPERTIES = ['id', 'gml_id', 'gmlId', 'identifier', 'objectid'];

/** A picked feature's attributes, with its tileset. */
export interface PickedFeature {
  id: string;
  properties: Record<string, unknown>;
  feature: Cesium3DTileFeature;
}

/** Reads every attribute of a 3D Tiles feature (EXT_structural_metadata or batch table). */
export function readFeatureProperties(feature: Cesium3DTileFeature): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const name of feature.getPropertyIds()) {
    const value: unknown = feature.getProperty(name);
    if (value !== undefined && value !== null && value !== '') properties[name] = value;
  }
  return properties;
}

/** What is under a screen position: a 3D Tiles feature, a primitive drawn with a string id, or nothing. */
export type Picked = ({ kind: 'feature' } & PickedFeature) | { kind: 'primitive'; id: string };

/** The feature or identified primitive at a screen position, if any. */
export function pickAt(viewer: Viewer, position: Cartesian2): Picked | undefined {
  const picked: unknown = viewer.scene.pick(position);
  if (picked instanceof Cesium3DTileFeature) {
    const feature = describeFeature(picked);
    return { kind: 'feature', ...feature };
  }
  const id = (picked as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? { kind: 'primitive', id } : undefined;
}

/** The id and attributes of a 3D Tiles feature. */
export function describeFeature(picked: Cesium3DTileFeature): PickedFeature {
  const properties = readFeatureProperties(picked);
  const idProperty = ID_PROPERTIES.find(
    (name) => typeof properties[name] === 'string' || typeof properties[name] === 'number',
  );
  const id = idProperty ? String(properties[idProperty]) : String(picked.featureId);
  return { id, properties, feature: picked };
}

/**
 * Calls `onPick` with what is under each left click (undefined when the click hit nothing pickable).
 * @returns a function that stops listening
 */
export function listenForPicks(viewer: Viewer, onPick: (picked: Picked | undefined) => void): () => void {
  const handler = new ScreenSpaceEventHandler(viewer.scene.canvas);
  handler.setInputAction((event: { position: Cartesian2 }) => {
    onPick(pickAt(viewer, event.position));
  }, ScreenSpaceEventType.LEFT_CLICK);
  return () => handler.destroy();
}
