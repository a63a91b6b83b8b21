// Builds a Cesium viewer that never leaves the host: bundled NaturalEarthII imagery, ellipsoid terrain, no ion.
import {
  Cartesian3,
  EllipsoidTerrainProvider,
  ImageryLayer,
  Ion,
  Rectangle,
  TileMapServiceImageryProvider,
  Viewer,
  buildModuleUrl,
  Camera,
} from 'cesium';
import 'cesium/Build/Cesium/Widgets/widgets.css';

/** Where the camera starts when nothing else says: Europe, from high above. */
export const DEFAULT_VIEW = Rectangle.fromDegrees(-12, 34, 32, 62);

/**
 * Creates the 3D view in `container`.
 * @throws Error when the browser cannot create a WebGL context
 */
export function createViewer(container: HTMLElement): Viewer {
  // No Cesium ion: an empty token makes any accidental ion request fail loudly instead of calling out.
  Ion.defaultAccessToken = '';
  Camera.DEFAULT_VIEW_RECTANGLE = DEFAULT_VIEW;
  Camera.DEFAULT_VIEW_FACTOR = 0.2;
  const viewer = new Viewer(container, {
    baseLayer: ImageryLayer.fromProviderAsync(
      TileMapServiceImageryProvider.fromUrl(buildModuleUrl('Assets/Textures/NaturalEarthII')),
    ),
    terrainProvider: new EllipsoidTerrainProvider(),
    baseLayerPicker: false,
    geocoder: false,
    homeButton: true,
    sceneModePicker: false,
    navigationHelpButton: false,
    animation: false,
    timeline: false,
    fullscreenButton: false,
    infoBox: false,
    selectionIndicator: false,
    // Draw only when something changed: idle pages cost no CPU (and software rendering stays responsive).
    requestRenderMode: true,
    maximumRenderTimeChange: Infinity,
  });
  viewer.scene.globe.enableLighting = false;
  viewer.scene.camera.setView({ destination: Cartesian3.fromDegrees(10, 50, 9_000_000) });
  return viewer;
}
