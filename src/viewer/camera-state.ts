// Reads and sets the camera as plain numbers, for the URL state.
import { Cartesian3, Math as CesiumMath, Rectangle, type Viewer } from 'cesium';
import type { CameraState } from '../state/url-state';

export function readCamera(viewer: Viewer): CameraState {
  const position = viewer.camera.positionCartographic;
  return {
    longitude: CesiumMath.toDegrees(position.longitude),
    latitude: CesiumMath.toDegrees(position.latitude),
    height: position.height,
    heading: CesiumMath.toDegrees(viewer.camera.heading),
    pitch: CesiumMath.toDegrees(viewer.camera.pitch),
  };
}

export function applyCamera(viewer: Viewer, camera: CameraState): void {
  viewer.camera.setView({
    destination: Cartesian3.fromDegrees(camera.longitude, camera.latitude, camera.height),
    orientation: {
      heading: CesiumMath.toRadians(camera.heading),
      pitch: CesiumMath.toRadians(camera.pitch),
      roll: 0,
    },
  });
  viewer.scene.requestRender();
}

/**
 * Calls `onChange` whenever the camera comes to rest.
 * @returns a function that stops listening
 */
export function watchCamera(viewer: Viewer, onChange: (camera: CameraState) => void): () => void {
  return viewer.camera.moveEnd.addEventListener(() => onChange(readCamera(viewer)));
}

/** Flies to a [west, south, east, north] box, widened so that a single building or sensor is seen with context. */
export function flyToBounds(
  viewer: Viewer,
  [west, south, east, north]: [number, number, number, number],
): void {
  const margin = 0.0015;
  viewer.camera.flyTo({
    destination: Rectangle.fromDegrees(west - margin, south - margin, east + margin, north + margin),
    duration: 1.2,
  });
}

/** The part of the globe in view as [west, south, east, north] degrees, if any. */
export function readViewRectangle(viewer: Viewer): [number, number, number, number] | undefined {
  const rectangle = viewer.camera.computeViewRectangle();
  if (!rectangle) return undefined;
  return [
    CesiumMath.toDegrees(rectangle.west),
    CesiumMath.toDegrees(rectangle.south),
    CesiumMath.toDegrees(rectangle.east),
    CesiumMath.toDegrees(rectangle.north),
  ];
}
