import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createDemoDistrict, generateDemoBuildings } from '../../../../server/demo/city/district';
import type { DemoBuilding, EastingNorthing } from '../../../../server/demo/city/types';

// CityGML 2.0 code list _AbstractBuilding_function (SIG3D), the entries a German district plausibly uses.
const CITYGML_BUILDING_FUNCTIONS: Record<string, string> = {
  '1000': 'residential building',
  '1010': 'tenement',
  '1040': 'residential- and office building',
  '1050': 'residential- and business building',
  '1120': 'office building',
  '1150': 'business building',
  '1160': 'department store',
  '1210': 'hotel',
  '1240': 'restaurant',
  '1630': 'garage',
  '1970': 'administration building',
  '2080': 'comprehensive school',
  '2160': 'museum',
  '2190': 'library',
  '2220': 'church',
  '2310': 'hospital',
  '2380': 'kindergarten or nursery',
  '2410': 'fire station',
  '2560': 'sports hall',
};

const district = createDemoDistrict();

function signedArea(ring: EastingNorthing[]): number {
  let twice = 0;
  for (let index = 0; index < ring.length - 1; index += 1) {
    twice += ring[index]![0] * ring[index + 1]![1] - ring[index + 1]![0] * ring[index]![1];
  }
  return twice / 2;
}

/** Separating-axis test for two convex rings: true when their interiors overlap by more than `tolerance` metres. */
function convexInteriorsOverlap(
  first: EastingNorthing[],
  second: EastingNorthing[],
  tolerance = 0.001,
): boolean {
  for (const ring of [first, second]) {
    for (let index = 0; index < ring.length - 1; index += 1) {
      const [ax, ay] = ring[index]!;
      const [bx, by] = ring[index + 1]!;
      const length = Math.hypot(bx - ax, by - ay);
      const normal = [-(by - ay) / length, (bx - ax) / length] as const;
      const project = (points: EastingNorthing[]) => points.map(([x, y]) => x * normal[0] + y * normal[1]);
      const a = project(first);
      const b = project(second);
      const overlap = Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b));
      if (overlap <= tolerance) return false;
    }
  }
  return true;
}

function isInside(point: EastingNorthing, ring: EastingNorthing[], tolerance = 0.01): boolean {
  const xs = ring.map((vertex) => vertex[0]);
  const ys = ring.map((vertex) => vertex[1]);
  return (
    point[0] >= Math.min(...xs) - tolerance &&
    point[0] <= Math.max(...xs) + tolerance &&
    point[1] >= Math.min(...ys) - tolerance &&
    point[1] <= Math.max(...ys) + tolerance
  );
}

function centroid(building: DemoBuilding): EastingNorthing {
  const corners = building.footprint.slice(0, -1);
  return [
    corners.reduce((sum, point) => sum + point[0], 0) / corners.length,
    corners.reduce((sum, point) => sum + point[1], 0) / corners.length,
  ];
}

describe('createDemoDistrict', () => {
  it('returns identical districts when called twice with the same options', () => {
    const first = createDemoDistrict({ buildingCount: 500, seed: 42 });
    const second = createDemoDistrict({ buildingCount: 500, seed: 42 });
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('returns a different layout when the seed changes', () => {
    const first = createDemoDistrict({ buildingCount: 200, seed: 1 });
    const second = createDemoDistrict({ buildingCount: 200, seed: 2 });
    expect(second.buildings[0]!.footprint).not.toEqual(first.buildings[0]!.footprint);
  });

  it('returns from generateDemoBuildings the same buildings, in the same order, as the district holds', () => {
    const options = { buildingCount: 3_000, seed: 4 };
    const streamed = [...generateDemoBuildings(options)];
    expect(JSON.stringify(streamed)).toBe(JSON.stringify(createDemoDistrict(options).buildings));
    expect(() => generateDemoBuildings({ buildingCount: -1 }).next()).toThrow(RangeError);
  });

  it('returns exactly the requested number of buildings, 2,000 or more by default', () => {
    expect(district.buildings.length).toBeGreaterThanOrEqual(2_000);
    for (const count of [1, 7, 333]) {
      expect(createDemoDistrict({ buildingCount: count }).buildings).toHaveLength(count);
    }
  });

  it('throws a RangeError when the building count or seed is invalid', () => {
    expect(() => createDemoDistrict({ buildingCount: 0 })).toThrow(RangeError);
    expect(() => createDemoDistrict({ buildingCount: 2.5 })).toThrow(RangeError);
    expect(() => createDemoDistrict({ buildingCount: 3_000_000 })).toThrow(RangeError);
    expect(() => createDemoDistrict({ seed: 0.5 })).toThrow(RangeError);
  });

  it('returns 100,000 buildings with unique ids, and unique street and park names, when asked to', () => {
    const large = createDemoDistrict({ buildingCount: 100_000 });
    expect(large.buildings).toHaveLength(100_000);
    expect(new Set(large.buildings.map((building) => building.id)).size).toBe(100_000);
    // Names stay unique however many streets and parks a large city needs.
    expect(large.streets.length).toBeGreaterThan(1_000);
    expect(new Set(large.streets.map((street) => street.name)).size).toBe(large.streets.length);
    expect(large.parks.length).toBeGreaterThan(100);
    expect(new Set(large.parks.map((park) => park.name)).size).toBe(large.parks.length);
  });

  it('returns unique ids that are valid XML names, and unique addresses', () => {
    const ids = district.buildings.map((building) => building.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_.-]*$/);
    const addresses = district.buildings.map(
      ({ address }) => `${address.street} ${address.houseNumber}, ${address.postalCode}`,
    );
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  it('returns German addresses in Darmstadt with postal codes 64283-64297', () => {
    for (const { address } of district.buildings) {
      expect(address.city).toBe('Darmstadt');
      expect(address.postalCode).toMatch(/^642(8[3-9]|9[0-7])$/);
      expect(address.houseNumber).toMatch(/^[1-9]\d*$/);
      expect(address.street.length).toBeGreaterThan(3);
    }
  });

  it('returns heights, storeys, years and footprint sizes in realistic ranges', () => {
    for (const building of district.buildings) {
      expect(building.measuredHeight).toBeGreaterThan(2.5);
      expect(building.measuredHeight).toBeLessThan(60);
      expect(building.storeysAboveGround).toBeGreaterThanOrEqual(1);
      expect(building.storeysAboveGround).toBeLessThanOrEqual(8);
      // A storey is 2.4-4.5 m high, at most 8 m for a sports hall.
      expect(building.eavesHeight! / building.storeysAboveGround).toBeGreaterThan(2.4);
      expect(building.eavesHeight! / building.storeysAboveGround).toBeLessThan(9);
      expect(building.yearOfConstruction).toBeGreaterThanOrEqual(1850);
      expect(building.yearOfConstruction).toBeLessThanOrEqual(new Date().getUTCFullYear());
      const area = signedArea(building.footprint);
      expect(area).toBeGreaterThan(40);
      expect(area).toBeLessThan(2_500);
      // Darmstadt lies on the Rhine plain at about 100-250 m above sea level.
      expect(building.groundHeight).toBeGreaterThan(100);
      expect(building.groundHeight).toBeLessThan(250);
    }
    const heights = district.buildings.map((building) => building.measuredHeight);
    expect(Math.max(...heights) - Math.min(...heights)).toBeGreaterThan(10);
  });

  it('returns every roof type, and eaves below the top only for pitched roofs', () => {
    const roofTypes = new Set(district.buildings.map((building) => building.roofType));
    expect([...roofTypes].sort()).toEqual(['flat', 'gabled', 'hipped']);
    for (const building of district.buildings) {
      if (building.roofType === 'flat') expect(building.eavesHeight).toBe(building.measuredHeight);
      else expect(building.eavesHeight!).toBeLessThan(building.measuredHeight - 0.5);
    }
  });

  it('returns CityGML 2.0 building function codes with their code-list labels, of several kinds', () => {
    for (const building of district.buildings) {
      expect(CITYGML_BUILDING_FUNCTIONS[building.function.code]).toBe(building.function.label);
    }
    const codes = new Set(district.buildings.map((building) => building.function.code));
    for (const expected of ['1000', '1120', '1150', '2080']) expect(codes).toContain(expected);
  });

  it('returns a few named landmarks', () => {
    const named = district.buildings.filter((building) => building.name);
    expect(named.length).toBeGreaterThanOrEqual(3);
    expect(named.map((building) => building.function.code)).toContain('2220');
  });

  it('returns closed counter-clockwise footprints with matching WGS84 rings', () => {
    for (const building of district.buildings) {
      const ring = building.footprint;
      expect(ring.length).toBeGreaterThanOrEqual(4);
      expect(ring[ring.length - 1]).toEqual(ring[0]);
      for (let index = 0; index < ring.length - 1; index += 1) {
        expect(ring[index + 1]).not.toEqual(ring[index]);
      }
      expect(signedArea(ring)).toBeGreaterThan(0);
      expect(building.footprintLonLat).toHaveLength(ring.length);
      expect(building.footprintLonLat[building.footprintLonLat.length - 1]).toEqual(
        building.footprintLonLat[0],
      );
    }
  });

  it('returns footprints that never overlap within a block and stay inside it', () => {
    const blocks = new Map(district.blocks.map((block) => [block.id, block]));
    const byBlock = new Map<string, DemoBuilding[]>();
    for (const building of district.buildings) {
      const list = byBlock.get(building.blockId) ?? [];
      list.push(building);
      byBlock.set(building.blockId, list);
    }
    let pairs = 0;
    for (const [blockId, buildings] of byBlock) {
      const block = blocks.get(blockId);
      expect(block, blockId).toBeDefined();
      for (const building of buildings) {
        for (const corner of building.footprint) expect(isInside(corner, block!.polygonProjected)).toBe(true);
      }
      for (let first = 0; first < buildings.length; first += 1) {
        for (let second = first + 1; second < buildings.length; second += 1) {
          pairs += 1;
          const overlaps = convexInteriorsOverlap(buildings[first]!.footprint, buildings[second]!.footprint);
          expect(overlaps, `${buildings[first]!.id} / ${buildings[second]!.id}`).toBe(false);
        }
      }
    }
    expect(pairs).toBeGreaterThan(10_000);
  });

  it('returns named streets, some with bike lanes, whose names are unique', () => {
    const names = district.streets.map((street) => street.name);
    expect(new Set(names).size).toBe(names.length);
    expect(district.streets.some((street) => street.hasBikeLane)).toBe(true);
    expect(district.streets.some((street) => !street.hasBikeLane)).toBe(true);
    const streetNames = new Set(names);
    for (const building of district.buildings) expect(streetNames).toContain(building.address.street);
    for (const street of district.streets) {
      expect(street.widthMetres).toBeGreaterThanOrEqual(10);
      expect(street.widthMetres).toBeLessThanOrEqual(30);
      expect(street.centerline).toHaveLength(street.centerlineProjected.length);
    }
  });

  it('returns quarters, parks and trees, with every building inside its quarter', () => {
    expect(district.districts.map((quarter) => quarter.name)).toContain('Martinsviertel');
    expect(district.parks.length).toBeGreaterThan(0);
    expect(district.trees.length).toBeGreaterThan(district.parks.length);
    const quarters = new Map(district.districts.map((quarter) => [quarter.id, quarter]));
    for (const building of district.buildings) {
      const quarter = quarters.get(building.districtId);
      expect(quarter, building.districtId).toBeDefined();
      expect(isInside(centroid(building), quarter!.polygonProjected)).toBe(true);
    }
    for (const tree of district.trees) {
      expect(tree.heightMetres).toBeGreaterThan(3);
      expect(tree.heightMetres).toBeLessThan(35);
    }
  });

  it('returns trees that stand in parks or on streets, never inside a building', () => {
    const boxes = district.buildings.map(({ footprint }) => {
      const xs = footprint.map((point) => point[0]);
      const ys = footprint.map((point) => point[1]);
      return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] as const;
    });
    const inside: string[] = [];
    for (const tree of district.trees) {
      const [x, y] = tree.positionProjected;
      boxes.forEach(([west, south, east, north], index) => {
        if (x > west && x < east && y > south && y < north)
          inside.push(`${tree.id} in ${district.buildings[index]!.id}`);
      });
    }
    expect(inside).toEqual([]);
  });

  it('returns WGS84 coordinates that match gdaltransform from EPSG:25832 to EPSG:4326', () => {
    const buildings = [district.buildings[0]!, district.buildings[1_000]!, district.buildings.at(-1)!];
    const points = [
      ...buildings.map((building) => ({
        projected: building.footprint[2]!,
        lonLat: building.footprintLonLat[2]!,
      })),
      { projected: district.trees[0]!.positionProjected, lonLat: district.trees[0]!.position },
      {
        projected: district.streets[0]!.centerlineProjected[1]!,
        lonLat: district.streets[0]!.centerline[1]!,
      },
    ];
    const output = execFileSync(
      'gdaltransform',
      ['-s_srs', 'EPSG:25832', '-t_srs', 'EPSG:4326', '-output_xy'],
      {
        input: points.map(({ projected }) => `${projected[0]} ${projected[1]}`).join('\n') + '\n',
        encoding: 'utf8',
      },
    );
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(points.length);
    lines.forEach((line, index) => {
      const [longitude, latitude] = line.trim().split(/\s+/).map(Number) as [number, number];
      // 1e-7 degrees is about 1 cm.
      expect(Math.abs(points[index]!.lonLat[0] - longitude)).toBeLessThan(1e-7);
      expect(Math.abs(points[index]!.lonLat[1] - latitude)).toBeLessThan(1e-7);
    });
  });

  it('returns a district in Darmstadt around the Martinsviertel (49.879 N, 8.660 E)', () => {
    const [west, south, east, north] = district.bounds;
    expect(west).toBeLessThan(8.66);
    expect(east).toBeGreaterThan(8.66);
    expect(south).toBeLessThan(49.879);
    expect(north).toBeGreaterThan(49.879);
    expect(east - west).toBeLessThan(0.1);
    expect(north - south).toBeLessThan(0.1);
    for (const building of district.buildings) {
      const [longitude, latitude] = building.footprintLonLat[0]!;
      expect(longitude >= west && longitude <= east && latitude >= south && latitude <= north).toBe(true);
    }
  });
});
