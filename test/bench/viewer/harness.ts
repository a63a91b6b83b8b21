// Browser side of the viewer benchmark: Plaza's createViewer, N synthetic air-quality sensors around the demo district
// whose value (so colour) changes once a second, drawn by Plaza's live layer code or by Cesium's Entity API. The
// query string picks `mode` (plaza | entity) and `n`; window.plazaBench is what test/bench/viewer.ts reads.
import { Cartesian3, Color, NearFarScalar, type Entity, type Viewer } from 'cesium';
import { createViewer } from '../../../src/viewer/create-viewer';
import {
  createLiveDrawing,
  redrawLiveEntities,
  type LiveDrawingSource,
} from '../../../src/layers/live-drawing';
import { colourEntity } from '../../../src/lib/sensor-styles';
import type { LiveEntity } from '../../../src/data/live-stream';

/** What the Node side reads and drives. */
export interface ViewerBenchState {
  ready: boolean;
  error?: string;
  /** Entities drawn after the first draw. */
  drawn: number;
  /** Milliseconds from the first entities given to the layer to their first draw being queued. */
  setupMs: number;
  /** Milliseconds each once-a-second update took on the main thread (layer code only). */
  updateMs: number[];
  /** requestAnimationFrame intervals while `recordFrames` is on. */
  frameDeltas: number[];
  recordFrames: boolean;
  /** Draws every frame (true) or only when something changed, as Plaza ships (false). */
  setContinuous(on: boolean): void;
}

declare global {
  interface Window {
    plazaBench: ViewerBenchState;
  }
}

/** Darmstadt, the demo district. */
const CENTRE = { longitude: 8.6598, latitude: 49.8797 };
/** Sensors spread over about 2 km x 2 km. */
const SPREAD_DEGREES = { longitude: 0.014, latitude: 0.009 };
const TYPE = 'AirQualityObserved';
/** NO2 values of the two alternating states: EEA bands "good" (< 40) and "poor" (120-230). */
const VALUES = [20, 150];

const parameters = new URLSearchParams(location.search);
const mode = parameters.get('mode') === 'entity' ? 'entity' : 'plaza';
const count = Math.max(0, Number(parameters.get('n') ?? '0') || 0);

const state: ViewerBenchState = {
  ready: false,
  drawn: 0,
  setupMs: 0,
  updateMs: [],
  frameDeltas: [],
  recordFrames: false,
  setContinuous(on) {
    viewer.scene.requestRenderMode = !on;
    viewer.scene.requestRender();
  },
};
window.plazaBench = state;

/** Two precomputed generations of every sensor, so that making data costs nothing inside the measured window. */
function makeGenerations(): LiveEntity[][] {
  const columns = Math.max(1, Math.ceil(Math.sqrt(count)));
  const rows = Math.max(1, Math.ceil(count / columns));
  return VALUES.map((base, generation) => {
    const observedAt = new Date().toISOString();
    const entities: LiveEntity[] = [];
    for (let index = 0; index < count; index++) {
      const column = index % columns;
      const row = Math.floor(index / columns);
      entities.push({
        id: `urn:ngsi-ld:${TYPE}:bench-${index}`,
        type: TYPE,
        location: {
          type: 'Point',
          coordinates: [
            CENTRE.longitude + (column / columns - 0.5) * SPREAD_DEGREES.longitude,
            CENTRE.latitude + (row / rows - 0.5) * SPREAD_DEGREES.latitude,
          ],
        },
        observedAt,
        // Neighbours differ, so each update changes colours all over the view.
        values: { no2: base + ((index + generation) % 7) },
        units: { no2: 'µg/m³' },
        relationships: {},
      });
    }
    return entities;
  });
}

function waitForGlobe(viewer: Viewer): Promise<void> {
  return new Promise((resolve) => {
    const until = performance.now() + 60_000;
    let settled = 0;
    const timer = setInterval(() => {
      settled = viewer.scene.globe.tilesLoaded ? settled + 1 : 0;
      if (settled >= 3 || performance.now() > until) {
        clearInterval(timer);
        resolve();
      }
      viewer.scene.requestRender();
    }, 150);
  });
}

/** Plaza's live layer code, fed the way LiveStore feeds it: entities replaced by id, their ids pending. */
function startPlazaLayer(viewer: Viewer, generations: LiveEntity[][]): () => void {
  const source: LiveDrawingSource = {
    entities: new Map(),
    pending: new Set(),
    redrawAll: true,
    hiddenTypes: [],
  };
  for (const entity of generations[0]) (source.entities as Map<string, LiveEntity>).set(entity.id, entity);
  const drawing = createLiveDrawing(viewer.scene.primitives);
  const started = performance.now();
  state.drawn = redrawLiveEntities(drawing, source, []);
  state.setupMs = performance.now() - started;
  viewer.scene.requestRender();
  let generation = 0;
  return () => {
    generation = 1 - generation;
    const entities = source.entities as Map<string, LiveEntity>;
    for (const entity of generations[generation]) {
      entities.set(entity.id, entity);
      source.pending.add(entity.id);
    }
    state.drawn = redrawLiveEntities(drawing, source, []);
    viewer.scene.requestRender();
  };
}

/** The same sensors through viewer.entities with point graphics, styled like Plaza's points. */
function startEntityLayer(viewer: Viewer, generations: LiveEntity[][]): () => void {
  const colours = new Map<string, Color>();
  const colourOf = (entity: LiveEntity): Color => {
    const css = colourEntity(entity).color;
    let colour = colours.get(css);
    if (!colour) colours.set(css, (colour = Color.fromCssColorString(css)));
    return colour;
  };
  const positionOf = (entity: LiveEntity): Cartesian3 => {
    const [longitude, latitude] = entity.location!.coordinates as number[];
    return Cartesian3.fromDegrees(longitude, latitude, 6);
  };
  const scaleByDistance = new NearFarScalar(150, 1, 4000, 0.35);
  const byId = new Map<string, Entity>();
  const started = performance.now();
  viewer.entities.suspendEvents();
  for (const entity of generations[0]) {
    const added = viewer.entities.add({
      id: entity.id,
      position: positionOf(entity),
      point: {
        pixelSize: 11,
        color: colourOf(entity),
        outlineColor: Color.WHITE,
        outlineWidth: 2,
        scaleByDistance,
        disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
    });
    byId.set(entity.id, added);
  }
  viewer.entities.resumeEvents();
  state.drawn = byId.size;
  state.setupMs = performance.now() - started;
  viewer.scene.requestRender();
  let generation = 0;
  return () => {
    generation = 1 - generation;
    // Events suspended while updating: the Entity API's cheapest way to change many entities at once.
    viewer.entities.suspendEvents();
    for (const entity of generations[generation]) {
      const target = byId.get(entity.id)!;
      target.position = positionOf(entity) as unknown as Entity['position'];
      target.point!.color = colourOf(entity) as unknown as NonNullable<Entity['point']>['color'];
    }
    viewer.entities.resumeEvents();
    viewer.scene.requestRender();
  };
}

const viewer = createViewer(document.getElementById('viewer')!);

async function run(): Promise<void> {
  viewer.scene.camera.setView({
    destination: Cartesian3.fromDegrees(CENTRE.longitude, CENTRE.latitude, 2600),
  });
  await waitForGlobe(viewer);
  const generations = makeGenerations();
  const update =
    mode === 'plaza' ? startPlazaLayer(viewer, generations) : startEntityLayer(viewer, generations);
  setInterval(() => {
    const started = performance.now();
    update();
    state.updateMs.push(performance.now() - started);
  }, 1000);
  let last = performance.now();
  const onFrame = (time: number) => {
    if (state.recordFrames) state.frameDeltas.push(time - last);
    last = time;
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
  // The first draw of all points has happened once a frame has been rendered after the layer was filled.
  const removeListener = viewer.scene.postRender.addEventListener(() => {
    removeListener();
    state.ready = true;
  });
  viewer.scene.requestRender();
}

run().catch((error: unknown) => {
  state.error = error instanceof Error ? error.message : String(error);
});
