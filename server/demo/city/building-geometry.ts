// LOD2 boundary surfaces of a demo building: ground, walls and flat, gabled or hipped roof planes as closed 3D rings
// (EPSG:25832 + DHHN2016 heights), oriented so every normal points out of the solid.
import type { DemoBuilding, EastingNorthing } from './types';

export type DemoSurfaceKind = 'GroundSurface' | 'WallSurface' | 'RoofSurface';
export type Point3 = [easting: number, northing: number, height: number];

/** One planar boundary surface: a closed ring (first point repeated last), counter-clockwise seen from outside. */
export interface DemoSurface {
  kind: DemoSurfaceKind;
  ring: Point3[];
}

/** Pitch assumed for a gabled or hipped roof when a building gives no eaves height. */
const DEFAULT_ROOF_PITCH_DEGREES = 35;

/**
 * Builds the LOD2 boundary surfaces of a building. The top of the roof lies at groundHeight + measuredHeight and the
 * eaves at groundHeight + eavesHeight, so the solid's height is exactly the building's measuredHeight.
 *
 * Flat roofs work on any simple counter-clockwise footprint. Gabled and hipped roofs need a rectangle (four corners);
 * their ridge runs parallel to the footprint's first edge, and a hipped roof's hips rise at the same pitch as its
 * sides (a tent roof when the ridge would have no length).
 *
 * @throws Error when a gabled or hipped roof sits on a footprint that is not four corners, or the footprint has fewer
 *   than three corners
 */
export function buildBuildingSurfaces(building: DemoBuilding): DemoSurface[] {
  const corners = openRing(building.footprint);
  if (corners.length < 3)
    throw new Error(`building ${building.id}: a footprint needs at least three corners`);
  const ground = building.groundHeight;
  const top = ground + building.measuredHeight;
  const eaves = ground + eavesHeightOf(building, corners);
  const at = (point: EastingNorthing, height: number): Point3 => [point[0], point[1], height];
  const close = (ring: Point3[]): Point3[] => [...ring, ring[0]!];
  const surfaces: DemoSurface[] = [
    // Reversed footprint: clockwise from above, so the ground's normal points down.
    { kind: 'GroundSurface', ring: close([...corners].reverse().map((point) => at(point, ground))) },
  ];
  const pitched = building.roofType !== 'flat' && top - eaves > 0.005;
  if (!pitched) {
    corners.forEach((point, index) => {
      const next = corners[(index + 1) % corners.length]!;
      surfaces.push({
        kind: 'WallSurface',
        ring: close([at(point, ground), at(next, ground), at(next, top), at(point, top)]),
      });
    });
    surfaces.push({ kind: 'RoofSurface', ring: close(corners.map((point) => at(point, top))) });
    return surfaces;
  }
  if (corners.length !== 4) {
    throw new Error(
      `building ${building.id}: a ${building.roofType} roof needs a rectangular footprint (4 corners)`,
    );
  }
  const [p0, p1, p2, p3] = corners as [EastingNorthing, EastingNorthing, EastingNorthing, EastingNorthing];
  const length = distance(p0, p1);
  const span = distance(p1, p2);
  const along: EastingNorthing = [(p1[0] - p0[0]) / length, (p1[1] - p0[1]) / length];
  // Ridge ends above the middle of the two short (gable or hip) edges, pulled in for a hipped roof.
  const inset = building.roofType === 'hipped' ? Math.min(span / 2, length / 2) : 0;
  const start = midpoint(p3, p0);
  const end = midpoint(p1, p2);
  const ridge0 = at([start[0] + along[0] * inset, start[1] + along[1] * inset], top);
  const ridge1 = at([end[0] - along[0] * inset, end[1] - along[1] * inset], top);
  const tent = distance([ridge0[0], ridge0[1]], [ridge1[0], ridge1[1]]) < 0.001;
  const wall = (from: EastingNorthing, to: EastingNorthing, apex?: Point3): DemoSurface => ({
    kind: 'WallSurface',
    ring: close(
      apex
        ? [at(from, ground), at(to, ground), at(to, eaves), apex, at(from, eaves)]
        : [at(from, ground), at(to, ground), at(to, eaves), at(from, eaves)],
    ),
  });
  const roof = (ring: Point3[]): DemoSurface => ({ kind: 'RoofSurface', ring: close(ring) });
  if (building.roofType === 'gabled') {
    surfaces.push(
      wall(p0, p1),
      wall(p1, p2, ridge1),
      wall(p2, p3),
      wall(p3, p0, ridge0),
      roof([at(p0, eaves), at(p1, eaves), ridge1, ridge0]),
      roof([at(p2, eaves), at(p3, eaves), ridge0, ridge1]),
    );
    return surfaces;
  }
  surfaces.push(wall(p0, p1), wall(p1, p2), wall(p2, p3), wall(p3, p0));
  surfaces.push(
    roof(tent ? [at(p0, eaves), at(p1, eaves), ridge1] : [at(p0, eaves), at(p1, eaves), ridge1, ridge0]),
    roof([at(p1, eaves), at(p2, eaves), ridge1]),
    roof(tent ? [at(p2, eaves), at(p3, eaves), ridge0] : [at(p2, eaves), at(p3, eaves), ridge0, ridge1]),
    roof([at(p3, eaves), at(p0, eaves), ridge0]),
  );
  return surfaces;
}

function eavesHeightOf(building: DemoBuilding, corners: EastingNorthing[]): number {
  if (building.roofType === 'flat') return building.measuredHeight;
  if (building.eavesHeight !== undefined) return Math.min(building.eavesHeight, building.measuredHeight);
  const span = corners.length === 4 ? distance(corners[1]!, corners[2]!) : 0;
  const roofHeight = (span / 2) * Math.tan((DEFAULT_ROOF_PITCH_DEGREES * Math.PI) / 180);
  // Keep at least 40 % of the height as walls, as real pitched-roof buildings have.
  return Math.max(building.measuredHeight - roofHeight, building.measuredHeight * 0.4);
}

/** The ring without its closing point (GML rings repeat the first point last). */
function openRing(ring: EastingNorthing[]): EastingNorthing[] {
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (ring.length > 1 && first && last && first[0] === last[0] && first[1] === last[1])
    return ring.slice(0, -1);
  return ring;
}

function distance(a: EastingNorthing, b: EastingNorthing): number {
  return Math.hypot(b[0] - a[0], b[1] - a[1]);
}

function midpoint(a: EastingNorthing, b: EastingNorthing): EastingNorthing {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}
