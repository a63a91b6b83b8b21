// The demo layers GeoPackage: written by Plaza, readable by GDAL, its layers matching the demo district.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoDistrict } from '../../../../server/demo/city/district';
import { ensureDemoLayers } from '../../../../server/demo/layers/demo-layers';
import type { DemoDistrict } from '../../../../server/demo/city/types';

describe('demo layers', () => {
  let directory: string;
  let path: string;
  let district: DemoDistrict;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'plaza-demo-layers-'));
    district = createDemoDistrict({ buildingCount: 120, seed: 7 });
    path = await ensureDemoLayers({ dataDirectory: directory, buildingCount: 120, seed: 7 });
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('writes a GeoPackage GDAL opens, with the five layers and their geometry types', () => {
    const output = execFileSync('ogrinfo', ['-ro', '-q', path], { encoding: 'utf8' });
    expect(output).toContain('districts (Polygon)');
    expect(output).toContain('buildings (Polygon)');
    expect(output).toContain('parks (Polygon)');
    expect(output).toContain('trees (Point)');
    expect(output).toContain('bike_lanes (Line String)');
  });

  it('has one feature per district building, park, tree and bike-lane street, as GDAL counts them', () => {
    const count = (layer: string) => {
      const output = execFileSync('ogrinfo', ['-ro', '-so', path, layer], { encoding: 'utf8' });
      return Number(/Feature Count: (\d+)/.exec(output)?.[1]);
    };
    expect(count('buildings')).toBe(120);
    expect(count('districts')).toBe(district.districts.length);
    expect(count('parks')).toBe(district.parks.length);
    expect(count('trees')).toBe(district.trees.length);
    expect(count('bike_lanes')).toBe(district.streets.filter((street) => street.hasBikeLane).length);
  });

  it('has GeoPackage metadata, application id and a filled R-tree per layer', () => {
    const database = new Database(path, { readonly: true });
    try {
      expect(database.pragma('application_id', { simple: true })).toBe(0x47504b47);
      const contents = database
        .prepare(
          "SELECT table_name, srs_id FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name",
        )
        .all();
      expect(contents).toEqual(
        ['bike_lanes', 'buildings', 'districts', 'parks', 'trees'].map((table_name) => ({
          table_name,
          srs_id: 4326,
        })),
      );
      expect(
        (database.prepare('SELECT COUNT(*) AS n FROM rtree_buildings_geom').get() as { n: number }).n,
      ).toBe(120);
      const extension = database
        .prepare("SELECT COUNT(*) AS n FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'")
        .get() as { n: number };
      expect(extension.n).toBe(5);
      // The R-tree box of building 1 is its footprint's envelope in longitude/latitude.
      const box = database
        .prepare('SELECT minx, maxx, miny, maxy FROM rtree_buildings_geom WHERE id = 1')
        .get() as Record<string, number>;
      const ring = district.buildings[0].footprintLonLat;
      expect(box.minx).toBeCloseTo(Math.min(...ring.map((point) => point[0])), 5);
      expect(box.maxy).toBeCloseTo(Math.max(...ring.map((point) => point[1])), 5);
    } finally {
      database.close();
    }
  });

  it('answers a GDAL spatial filter through the R-tree with the buildings whose footprint meets the box', () => {
    const building = district.buildings[10];
    const [longitude, latitude] = building.footprintLonLat[0];
    const output = execFileSync(
      'ogrinfo',
      [
        '-ro',
        '-q',
        '-spat',
        String(longitude - 1e-6),
        String(latitude - 1e-6),
        String(longitude + 1e-6),
        String(latitude + 1e-6),
        path,
        'buildings',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(output).toContain(`id (String) = ${building.id}`);
  });

  it('keeps an existing file and rewrites a missing one', async () => {
    const before = statSync(path).mtimeMs;
    expect(await ensureDemoLayers({ dataDirectory: directory, buildingCount: 120, seed: 7 })).toBe(path);
    expect(statSync(path).mtimeMs).toBe(before);
    rmSync(path);
    await ensureDemoLayers({ dataDirectory: directory, buildingCount: 120, seed: 7 });
    expect(statSync(path).size).toBeGreaterThan(0);
  });
});
