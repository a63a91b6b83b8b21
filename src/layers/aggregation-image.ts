// Renders a deck.gl hexagon aggregation of sensor values into an image of a known geographic rectangle, for draping
// on the Cesium globe as an imagery layer. deck.gl is loaded only when an overlay is first asked for.
import type { Deck, MapView } from '@deck.gl/core';
import type * as DeckCore from '@deck.gl/core';
import type * as AggregationLayers from '@deck.gl/aggregation-layers';

/** A weighted point: longitude, latitude (degrees) and the sensor value. */
export type WeightedPoint = [longitude: number, latitude: number, value: number];

export interface AggregationImageOptions {
  /** [west, south, east, north] in degrees that the image must cover. */
  bounds: [number, number, number, number];
  /** Image width in pixels; the height follows so that a metre is as long east-west as north-south. */
  width: number;
  /** Values mapped to the first and last colour. */
  colorDomain: [number, number];
  /** RGB colours from low to high. */
  colorRange: Array<[number, number, number]>;
  /** Hexagon radius in metres on the ground. */
  radiusMetres: number;
}

/** The image and the rectangle it covers exactly. */
export interface AggregationImage {
  dataUrl: string;
  rectangle: [number, number, number, number];
}

interface LoadedDeck {
  deck: Deck<MapView>;
  core: typeof DeckCore;
  layers: typeof AggregationLayers;
  canvas: HTMLCanvasElement;
}

let deckPromise: Promise<LoadedDeck> | undefined;

/** One hidden deck.gl instance, created on first use. */
function loadDeck(): Promise<LoadedDeck> {
  deckPromise ??= Promise.all([import('@deck.gl/core'), import('@deck.gl/aggregation-layers')]).then(
    ([core, layers]) => {
      const canvas = document.createElement('canvas');
      canvas.setAttribute('aria-hidden', 'true');
      canvas.style.cssText = 'position:absolute;left:-10000px;top:0;pointer-events:none;';
      document.body.append(canvas);
      const deck = new core.Deck<MapView>({
        canvas,
        width: 16,
        height: 16,
        useDevicePixels: false,
        controller: false,
        views: new core.MapView({ repeat: false }),
        viewState: { longitude: 0, latitude: 0, zoom: 1 },
        layers: [],
      });
      return { deck, core, layers, canvas };
    },
  );
  return deckPromise;
}

/** The pixel size of an image of a rectangle at a width, keeping metres square. */
export function imageSize(
  rectangle: [number, number, number, number],
  width: number,
): { width: number; height: number } {
  const [west, south, east, north] = rectangle;
  const metresPerDegreeLatitude = 111_320;
  const metresPerDegreeLongitude =
    metresPerDegreeLatitude * Math.cos((((south + north) / 2) * Math.PI) / 180);
  const widthMetres = (east - west) * metresPerDegreeLongitude;
  const heightMetres = (north - south) * metresPerDegreeLatitude;
  return { width, height: Math.max(1, Math.round((width * heightMetres) / widthMetres)) };
}

/**
 * Renders the aggregation and returns it with the exact rectangle the image covers. deck.gl draws in Web Mercator;
 * over a city the difference to the plate carrée that Cesium drapes single images in stays far below a pixel
 * (the relative error is about half the latitude span in radians times tan(latitude): 1e-4 for 1 km at 50° N).
 */
export async function renderAggregationImage(
  points: WeightedPoint[],
  options: AggregationImageOptions,
): Promise<AggregationImage> {
  const { deck, core, layers, canvas } = await loadDeck();
  const [west, south, east, north] = options.bounds;
  const { width, height } = imageSize(options.bounds, options.width);
  const viewport = new core.WebMercatorViewport({ width, height }).fitBounds(
    [
      [west, south],
      [east, north],
    ],
    { width, height },
  );
  const rectangle = viewport.getBounds() as [number, number, number, number];
  return new Promise<AggregationImage>((resolve) => {
    let frames = 0;
    deck.setProps({
      width,
      height,
      viewState: {
        longitude: viewport.longitude,
        latitude: viewport.latitude,
        zoom: viewport.zoom,
        pitch: 0,
        bearing: 0,
      },
      layers: [
        new layers.HexagonLayer<WeightedPoint>({
          id: 'sensor-hexagons',
          data: points,
          getPosition: (point) => [point[0], point[1]],
          getColorWeight: (point) => point[2],
          colorAggregation: 'MEAN',
          gpuAggregation: false,
          extruded: false,
          radius: options.radiusMetres,
          coverage: 0.92,
          colorDomain: options.colorDomain,
          colorScaleType: 'quantize',
          colorRange: options.colorRange,
          updateTriggers: { getColorWeight: points.map((point) => point[2]).join(',') },
        }),
      ],
      // Aggregation finishes within a frame or two; take the picture once it has settled.
      onAfterRender: () => {
        frames++;
        if (frames < 3) {
          requestAnimationFrame(() => deck.redraw('plaza-aggregation'));
          return;
        }
        deck.setProps({ onAfterRender: () => undefined });
        resolve({ dataUrl: canvas.toDataURL('image/png'), rectangle });
      },
    });
    deck.redraw('plaza-aggregation');
  });
}
