import { describe, expect, it } from 'vitest';
// Through the folder's public entry, as other parts of Plaza import it.
import {
  buildBuildingSurfaces,
  createDemoDistrict,
  type DemoBuilding,
  type DemoRoofType,
  type DemoSurface,
  type EastingNorthing,
  type Point3,
} from '../../../../server/demo/city';

function building(
  roofType: DemoRoofType,
  footprint: EastingNorthing[],
  heights: { ground: number; eaves: number; top: number },
): DemoBuilding {
  return {
    id: `test-${roofType}`,
    address: { street: 'Teststraße', houseNumber: '1', postalCode: '64289', city: 'Darmstadt' },
    footprint: [...footprint, footprint[0]!],
    footprintLonLat: [],
    groundHeight: heights.ground,
    measuredHeight: heights.top,
    eavesHeight: heights.eaves,
    storeysAboveGround: 2,
    roofType,
    function: { code: '1000', label: 'residential building' },
    yearOfConstruction: 1990,
    districtId: 'district-001',
    blockId: 'block-00001',
  };
}

/** A 10 m (east-west, first edge) by 6 m rectangle at a UTM-sized origin. */
const RECTANGLE: EastingNorthing[] = [
  [475_000, 5_525_000],
  [475_010, 5_525_000],
  [475_010, 5_525_006],
  [475_000, 5_525_006],
];
const SQUARE: EastingNorthing[] = [
  [475_000, 5_525_000],
  [475_006, 5_525_000],
  [475_006, 5_525_006],
  [475_000, 5_525_006],
];

const key = (point: Point3) => point.map((value) => value.toFixed(4)).join(',');

/** Directed edges that have no reversed partner: empty for a closed, consistently oriented surface. */
function unmatchedEdges(surfaces: DemoSurface[]): string[] {
  const edges = new Map<string, number>();
  for (const { ring } of surfaces) {
    for (let index = 0; index < ring.length - 1; index += 1) {
      const edge = `${key(ring[index]!)}>${key(ring[index + 1]!)}`;
      edges.set(edge, (edges.get(edge) ?? 0) + 1);
    }
  }
  const unmatched: string[] = [];
  for (const [edge, count] of edges) {
    const [from, to] = edge.split('>');
    if (count !== 1 || edges.get(`${to}>${from}`) !== 1) unmatched.push(edge);
  }
  return unmatched;
}

/** Volume by the divergence theorem: positive when every ring is counter-clockwise seen from outside. */
function signedVolume(surfaces: DemoSurface[]): number {
  const origin = surfaces[0]!.ring[0]!;
  let volume = 0;
  for (const { ring } of surfaces) {
    const a = ring[0]!.map((value, axis) => value - origin[axis]!) as Point3;
    for (let index = 1; index < ring.length - 2; index += 1) {
      const b = ring[index]!.map((value, axis) => value - origin[axis]!) as Point3;
      const c = ring[index + 1]!.map((value, axis) => value - origin[axis]!) as Point3;
      volume +=
        (a[0] * (b[1] * c[2] - b[2] * c[1]) -
          a[1] * (b[0] * c[2] - b[2] * c[0]) +
          a[2] * (b[0] * c[1] - b[1] * c[0])) /
        6;
    }
  }
  return volume;
}

function newellNormal(ring: Point3[]): Point3 {
  const normal: Point3 = [0, 0, 0];
  for (let index = 0; index < ring.length - 1; index += 1) {
    const [x1, y1, z1] = ring[index]!;
    const [x2, y2, z2] = ring[index + 1]!;
    normal[0] += (y1 - y2) * (z1 + z2);
    normal[1] += (z1 - z2) * (x1 + x2);
    normal[2] += (x1 - x2) * (y1 + y2);
  }
  return normal;
}

describe('buildBuildingSurfaces', () => {
  it('returns a closed box of the footprint times the height when the roof is flat', () => {
    const surfaces = buildBuildingSurfaces(building('flat', RECTANGLE, { ground: 100, eaves: 9, top: 9 }));
    expect(surfaces.map((surface) => surface.kind)).toEqual([
      'GroundSurface',
      'WallSurface',
      'WallSurface',
      'WallSurface',
      'WallSurface',
      'RoofSurface',
    ]);
    expect(unmatchedEdges(surfaces)).toEqual([]);
    expect(signedVolume(surfaces)).toBeCloseTo(10 * 6 * 9, 6);
  });

  it('returns a gabled solid of walls plus a triangular prism when the roof is gabled', () => {
    const surfaces = buildBuildingSurfaces(building('gabled', RECTANGLE, { ground: 100, eaves: 6, top: 9 }));
    expect(surfaces.filter((surface) => surface.kind === 'RoofSurface')).toHaveLength(2);
    expect(unmatchedEdges(surfaces)).toEqual([]);
    // Walls 10 x 6 x 6 plus a prism 10 long with a 6 m wide, 3 m high triangle.
    expect(signedVolume(surfaces)).toBeCloseTo(360 + (10 * 6 * 3) / 2, 6);
    const ridge = surfaces
      .flatMap((surface) => surface.ring)
      .filter((point) => Math.abs(point[2] - 109) < 1e-9)
      .map((point) => point[1]);
    // The ridge runs along the first (east-west) edge, above the middle of the 6 m span.
    expect(new Set(ridge)).toEqual(new Set([5_525_003]));
  });

  it('returns a hipped solid whose roof volume is S·h·(3L−S)/6 when the roof is hipped', () => {
    const surfaces = buildBuildingSurfaces(building('hipped', RECTANGLE, { ground: 100, eaves: 6, top: 9 }));
    expect(surfaces.filter((surface) => surface.kind === 'RoofSurface')).toHaveLength(4);
    expect(unmatchedEdges(surfaces)).toEqual([]);
    expect(signedVolume(surfaces)).toBeCloseTo(360 + (6 * 3 * (3 * 10 - 6)) / 6, 6);
  });

  it('returns a tent roof (a pyramid) when a hipped roof sits on a square', () => {
    const surfaces = buildBuildingSurfaces(building('hipped', SQUARE, { ground: 100, eaves: 6, top: 9 }));
    const roofs = surfaces.filter((surface) => surface.kind === 'RoofSurface');
    expect(roofs.every((roof) => roof.ring.length === 4)).toBe(true);
    expect(unmatchedEdges(surfaces)).toEqual([]);
    expect(signedVolume(surfaces)).toBeCloseTo(6 * 6 * 6 + (6 * 6 * 3) / 3, 6);
  });

  it('returns outward normals: roofs up, ground down, walls horizontal and away from the centre', () => {
    for (const roofType of ['flat', 'gabled', 'hipped'] as const) {
      const surfaces = buildBuildingSurfaces(
        building(roofType, RECTANGLE, { ground: 100, eaves: 6, top: 9 }),
      );
      for (const surface of surfaces) {
        const normal = newellNormal(surface.ring);
        const points = surface.ring.slice(0, -1);
        const middle = [0, 1, 2].map(
          (axis) => points.reduce((sum, point) => sum + point[axis]!, 0) / points.length,
        );
        const outward = [middle[0]! - 475_005, middle[1]! - 5_525_003, middle[2]! - 104.5];
        if (surface.kind === 'RoofSurface') expect(normal[2]).toBeGreaterThan(0);
        if (surface.kind === 'GroundSurface') expect(normal[2]).toBeLessThan(0);
        if (surface.kind === 'WallSurface') expect(Math.abs(normal[2])).toBeLessThan(1e-9);
        expect(normal[0] * outward[0]! + normal[1] * outward[1]! + normal[2] * outward[2]!).toBeGreaterThan(
          0,
        );
      }
    }
  });

  it('returns a flat roof on any simple footprint, such as an L shape', () => {
    const shape: EastingNorthing[] = [
      [0, 0],
      [10, 0],
      [10, 4],
      [4, 4],
      [4, 10],
      [0, 10],
    ];
    const surfaces = buildBuildingSurfaces(building('flat', shape, { ground: 0, eaves: 3, top: 3 }));
    expect(unmatchedEdges(surfaces)).toEqual([]);
    expect(signedVolume(surfaces)).toBeCloseTo((10 * 4 + 4 * 6) * 3, 6);
  });

  it('throws when a gabled roof sits on a footprint that is not a rectangle', () => {
    const pentagon: EastingNorthing[] = [
      [0, 0],
      [10, 0],
      [12, 5],
      [5, 9],
      [-2, 5],
    ];
    expect(() =>
      buildBuildingSurfaces(building('gabled', pentagon, { ground: 0, eaves: 3, top: 6 })),
    ).toThrow(/rectangular footprint/);
  });

  it('returns closed outward solids from ground to measuredHeight for every generated building', () => {
    const problems: string[] = [];
    for (const generated of createDemoDistrict({ buildingCount: 1_500, seed: 7 }).buildings) {
      const surfaces = buildBuildingSurfaces(generated);
      const heights = surfaces.flatMap((surface) => surface.ring.map((point) => point[2]));
      const top = Math.max(...heights) - generated.groundHeight;
      const bottom = Math.min(...heights) - generated.groundHeight;
      if (Math.abs(top - generated.measuredHeight) > 1e-6) problems.push(`${generated.id}: top ${top}`);
      if (Math.abs(bottom) > 1e-6) problems.push(`${generated.id}: bottom ${bottom}`);
      if (unmatchedEdges(surfaces).length > 0)
        problems.push(`${generated.id}: open or inconsistently oriented`);
      if (!(signedVolume(surfaces) > 0)) problems.push(`${generated.id}: inward volume`);
    }
    expect(problems).toEqual([]);
  });
});
