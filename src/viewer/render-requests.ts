// Request-render mode draws only when asked; globe imagery arrives over many frames, so keep asking until it is in.
import type { Viewer } from 'cesium';

/**
 * Asks the viewer for frames for at least 3 s and until the globe reports all tiles loaded three checks in a row (or
 * `maximumMs`, default 30 s, has passed), so that newly added imagery fully appears even when each software-rendered frame is slow.
 */
export function requestRenderFor(viewer: Viewer, maximumMs = 30_000): void {
  const started = Date.now();
  const until = started + maximumMs;
  let settled = 0;
  const timer = setInterval(() => {
    if (viewer.isDestroyed() || Date.now() > until) {
      clearInterval(timer);
      return;
    }
    settled = viewer.scene.globe.tilesLoaded ? settled + 1 : 0;
    // The globe only starts loading a new layer's imagery in the frames after it was added: give it a few seconds
    // before trusting tilesLoaded.
    if (settled >= 3 && Date.now() - started > 3000) {
      clearInterval(timer);
      return;
    }
    viewer.scene.requestRender();
  }, 150);
}
