// How live NGSI-LD entities become Cesium primitives: points for positions, polylines for street segments, coloured
// by their Smart Data Models value, stale values faded, entities in alert enlarged. LiveLayer.svelte drives it from
// the live store; the viewer benchmark (test/bench/viewer.ts) drives the same code with synthetic entities.
import {
  Cartesian3,
  Color,
  Material,
  NearFarScalar,
  PointPrimitiveCollection,
  PolylineCollection,
  type PointPrimitive,
  type Polyline,
  type PrimitiveCollection,
} from 'cesium';
import { colourEntity, isStale } from '../lib/sensor-styles';
import type { LiveEntity } from '../data/live-stream';

/** What the drawing reads from the live store (LiveStore satisfies it). */
export interface LiveDrawingSource {
  /** Current entities by id. */
  readonly entities: ReadonlyMap<string, LiveEntity>;
  /** Ids changed or removed since the last draw; emptied by {@link redrawLiveEntities}. */
  readonly pending: Set<string>;
  /** True when everything must be redrawn; reset by {@link redrawLiveEntities}. */
  redrawAll: boolean;
  /** Entity types not drawn. */
  readonly hiddenTypes: readonly string[];
}

/** The primitives of one live layer and which entity each belongs to. */
export interface LiveDrawing {
  points: PointPrimitiveCollection;
  lines: PolylineCollection;
  pointById: Map<string, PointPrimitive>;
  lineById: Map<string, Polyline>;
}

const ALERT_OUTLINE = Color.fromCssColorString('#e03131');
/** Sensors hang a few metres above the ground so that buildings and the ground do not hide them. */
const SENSOR_HEIGHT = 6;
/** Points shrink with distance so that a district-wide view stays readable. */
const SCALE_BY_DISTANCE = new NearFarScalar(150, 1, 4000, 0.35);
const colourCache = new Map<string, Color>();

function cssColour(css: string, stale: boolean): Color {
  const key = `${css}|${stale}`;
  let colour = colourCache.get(key);
  if (!colour) {
    colour = Color.fromCssColorString(css).withAlpha(stale ? 0.35 : 1);
    colourCache.set(key, colour);
  }
  return colour;
}

function pointOf(entity: LiveEntity): Cartesian3 | undefined {
  const location = entity.location;
  if (location?.type !== 'Point' || !Array.isArray(location.coordinates)) return undefined;
  const [longitude, latitude] = location.coordinates as number[];
  if (!Number.isFinite(longitude) || !Number.isFinite(latitude)) return undefined;
  return Cartesian3.fromDegrees(longitude, latitude, SENSOR_HEIGHT);
}

function lineOf(entity: LiveEntity): Cartesian3[] | undefined {
  const location = entity.location;
  if (location?.type !== 'LineString' || !Array.isArray(location.coordinates)) return undefined;
  const flat: number[] = [];
  for (const position of location.coordinates as unknown[]) {
    if (!Array.isArray(position) || !Number.isFinite(position[0]) || !Number.isFinite(position[1]))
      return undefined;
    flat.push(position[0] as number, position[1] as number, 2);
  }
  return flat.length >= 6 ? Cartesian3.fromDegreesArrayHeights(flat) : undefined;
}

/** Adds an empty point and polyline collection to `primitives`. */
export function createLiveDrawing(primitives: PrimitiveCollection): LiveDrawing {
  return {
    points: primitives.add(new PointPrimitiveCollection()) as PointPrimitiveCollection,
    lines: primitives.add(new PolylineCollection()) as PolylineCollection,
    pointById: new Map(),
    lineById: new Map(),
  };
}

/** Removes (and so destroys) the drawing's collections from `primitives`. */
export function removeLiveDrawing(primitives: PrimitiveCollection, drawing: LiveDrawing): void {
  primitives.remove(drawing.points);
  primitives.remove(drawing.lines);
}

function remove(target: LiveDrawing, id: string): void {
  const point = target.pointById.get(id);
  if (point) target.points.remove(point);
  target.pointById.delete(id);
  const line = target.lineById.get(id);
  if (line) target.lines.remove(line);
  target.lineById.delete(id);
}

function draw(
  target: LiveDrawing,
  live: LiveDrawingSource,
  alertedIds: readonly string[],
  id: string,
  now: number,
): void {
  const entity = live.entities.get(id);
  if (!entity || live.hiddenTypes.includes(entity.type)) return remove(target, id);
  const stale = isStale(entity, now);
  const colour = cssColour(colourEntity(entity).color, stale);
  const alerted = alertedIds.includes(id);
  const outline = alerted ? ALERT_OUTLINE : stale ? Color.GRAY : Color.WHITE;
  const size = alerted ? 16 : 11;
  const position = pointOf(entity);
  if (position) {
    const existing = target.pointById.get(id);
    if (existing) {
      existing.position = position;
      existing.color = colour;
      existing.outlineColor = outline;
      existing.pixelSize = size;
      existing.outlineWidth = alerted ? 4 : 2;
      return;
    }
    if (target.lineById.has(id)) remove(target, id);
    const point = target.points.add({
      id,
      position,
      color: colour,
      pixelSize: size,
      scaleByDistance: SCALE_BY_DISTANCE,
      outlineColor: outline,
      outlineWidth: alerted ? 4 : 2,
      disableDepthTestDistance: Number.POSITIVE_INFINITY,
    });
    target.pointById.set(id, point);
    return;
  }
  const positions = lineOf(entity);
  if (!positions) return remove(target, id);
  const material = Material.fromType('Color', { color: colour });
  const existing = target.lineById.get(id);
  if (existing) {
    existing.positions = positions;
    existing.material = material;
    return;
  }
  if (target.pointById.has(id)) remove(target, id);
  target.lineById.set(id, target.lines.add({ id, positions, width: 5, material }));
}

/**
 * Brings the drawing up to date with `live`: everything when `live.redrawAll` is set (and clears it), otherwise the
 * pending ids; empties `live.pending`. Entities in `alertedIds` are drawn larger with a red outline.
 * @returns how many entities are drawn now
 */
export function redrawLiveEntities(
  target: LiveDrawing,
  live: LiveDrawingSource,
  alertedIds: readonly string[],
  now: number = Date.now(),
): number {
  if (live.redrawAll) {
    live.redrawAll = false;
    live.pending.clear();
    for (const id of [...target.pointById.keys(), ...target.lineById.keys()]) {
      if (!live.entities.has(id)) remove(target, id);
    }
    for (const id of live.entities.keys()) draw(target, live, alertedIds, id, now);
  } else {
    for (const id of live.pending) draw(target, live, alertedIds, id, now);
    live.pending.clear();
  }
  return target.pointById.size + target.lineById.size;
}
