import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoTwinPaths,
  ensureDemoSource,
  ensureDemoTwin,
  isTilesetStale,
} from '../../../server/demo/ensure-demo-twin';

/** A process id that no running process has, for a leftover from a crashed run. */
function deadProcessId(): number {
  for (let pid = 4_000_000; pid > 3_000_000; pid -= 7) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
  throw new Error('no free process id found');
}

describe('ensureDemoTwin', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'plaza-demo-twin-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('returns the source, tileset folder and tileset.json paths under the tilesets folder', () => {
    expect(demoTwinPaths('/srv/tilesets')).toEqual({
      sourcePath: '/srv/tilesets/sources/demo-city.gml',
      tilesetDirectory: '/srv/tilesets/demo-city',
      tilesetPath: '/srv/tilesets/demo-city/tileset.json',
    });
  });

  it('writes the CityGML source once and keeps an existing one', async () => {
    const tilesets = join(root, 'source-only');
    const first = await ensureDemoSource({ tilesetsDirectory: tilesets, buildingCount: 30 });
    expect(first).toEqual({ sourcePath: join(tilesets, 'sources', 'demo-city.gml'), written: true });
    const text = await readFile(first.sourcePath, 'utf8');
    expect(text.match(/<bldg:Building /g)).toHaveLength(30);
    const second = await ensureDemoSource({ tilesetsDirectory: tilesets, buildingCount: 99 });
    expect(second.written).toBe(false);
    expect(await readFile(first.sourcePath, 'utf8')).toBe(text);
    // Nothing but the finished file is left in sources/.
    expect(await readdir(join(tilesets, 'sources'))).toEqual(['demo-city.gml']);
  });

  it('reports a tileset as stale when it is missing or older than its source, fresh otherwise', async () => {
    const folder = join(root, 'staleness');
    await mkdir(folder, { recursive: true });
    const source = join(folder, 'source.gml');
    const tileset = join(folder, 'tileset.json');
    await writeFile(source, '<x/>');
    expect(await isTilesetStale(source, tileset)).toBe(true);
    await writeFile(tileset, '{}');
    await utimes(source, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    await utimes(tileset, new Date('2026-01-02T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
    expect(await isTilesetStale(source, tileset)).toBe(false);
    await utimes(source, new Date('2026-01-03T00:00:00Z'), new Date('2026-01-03T00:00:00Z'));
    expect(await isTilesetStale(source, tileset)).toBe(true);
    await expect(isTilesetStale(join(folder, 'missing.gml'), tileset)).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('writes and converts the demo twin when nothing exists, then does nothing while it is fresh', async () => {
    const tilesets = join(root, 'fresh');
    const lines: string[] = [];
    const first = await ensureDemoTwin({
      tilesetsDirectory: tilesets,
      buildingCount: 120,
      log: (line) => lines.push(line),
    });
    expect(first).toEqual({ tilesetPath: join(tilesets, 'demo-city', 'tileset.json'), converted: true });
    const tileset = JSON.parse(await readFile(first.tilesetPath, 'utf8')) as {
      asset: { version: string };
      root: unknown;
    };
    expect(tileset.asset.version).toBe('1.1');
    expect(tileset.root).toBeDefined();
    // The id index beside the tileset knows the generated buildings by their persistent ids.
    const index = JSON.parse(await readFile(join(tilesets, 'demo-city', 'ids.json'), 'utf8')) as {
      features: Record<string, unknown>;
    };
    expect(Object.keys(index.features)).toHaveLength(120);
    expect(index.features['bldg-000001']).toBeDefined();
    expect(lines.some((line) => line.includes('120 features'))).toBe(true);
    const modified = (await stat(first.tilesetPath)).mtimeMs;

    const second = await ensureDemoTwin({ tilesetsDirectory: tilesets });
    expect(second.converted).toBe(false);
    expect((await stat(first.tilesetPath)).mtimeMs).toBe(modified);
    expect((await readdir(tilesets)).sort()).toEqual(['demo-city', 'sources']);
  });

  it('converts again, replacing the old tileset, when the source is newer than the tileset', async () => {
    const tilesets = join(root, 'stale');
    await ensureDemoTwin({ tilesetsDirectory: tilesets, buildingCount: 40 });
    const { sourcePath, tilesetPath, tilesetDirectory } = demoTwinPaths(tilesets);
    // Replace the source by a larger district, dated after the tileset.
    await rm(sourcePath);
    await ensureDemoSource({ tilesetsDirectory: tilesets, buildingCount: 70 });
    const later = new Date(Date.now() + 60_000);
    await utimes(sourcePath, later, later);
    await writeFile(join(tilesetDirectory, 'stale-marker.txt'), 'from the old tileset');

    const result = await ensureDemoTwin({ tilesetsDirectory: tilesets });
    expect(result).toEqual({ tilesetPath, converted: true });
    const index = JSON.parse(await readFile(join(tilesetDirectory, 'ids.json'), 'utf8')) as {
      features: Record<string, unknown>;
    };
    expect(Object.keys(index.features)).toHaveLength(70);
    expect(await readdir(tilesetDirectory)).not.toContain('stale-marker.txt');
    expect((await readdir(tilesets)).sort()).toEqual(['demo-city', 'sources']);
  });

  it('removes the leftovers of a crashed run whose process is gone', async () => {
    const tilesets = join(root, 'leftovers');
    const pid = deadProcessId();
    await mkdir(join(tilesets, `.demo-city.${pid}.partial`, 'tiles'), { recursive: true });
    await mkdir(join(tilesets, `.demo-city.${pid}.old`), { recursive: true });
    await ensureDemoTwin({ tilesetsDirectory: tilesets, buildingCount: 20 });
    expect((await readdir(tilesets)).sort()).toEqual(['demo-city', 'sources']);
  });

  it('keeps the previous tileset and leaves no partial folder when the conversion fails', async () => {
    const tilesets = join(root, 'failure');
    await ensureDemoTwin({ tilesetsDirectory: tilesets, buildingCount: 25 });
    const { sourcePath, tilesetPath } = demoTwinPaths(tilesets);
    const before = await readFile(tilesetPath, 'utf8');
    // A truncated source, newer than the tileset: nothing usable can come out of it.
    await writeFile(
      sourcePath,
      '<?xml version="1.0"?>\n<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0">\n<core:cityObjectMember>',
    );
    const later = new Date(Date.now() + 60_000);
    await utimes(sourcePath, later, later);

    await expect(ensureDemoTwin({ tilesetsDirectory: tilesets })).rejects.toThrow(/demo-city\.gml/);
    expect(await readFile(tilesetPath, 'utf8')).toBe(before);
    expect((await readdir(tilesets)).sort()).toEqual(['demo-city', 'sources']);
  });

  it('converts the default district (2,000+ buildings), as npm start does', async () => {
    const tilesets = join(root, 'default');
    const result = await ensureDemoTwin({ tilesetsDirectory: tilesets });
    expect(result.converted).toBe(true);
    const index = JSON.parse(await readFile(join(tilesets, 'demo-city', 'ids.json'), 'utf8')) as {
      features: Record<string, { region: number[] }>;
    };
    expect(Object.keys(index.features).length).toBeGreaterThanOrEqual(2_000);
    // Region: west, south, east, north in degrees; the district lies around Darmstadt's Martinsviertel.
    const [west, south] = index.features['bldg-000001']!.region;
    expect(west).toBeGreaterThan(8.6);
    expect(west).toBeLessThan(8.72);
    expect(south).toBeGreaterThan(49.84);
    expect(south).toBeLessThan(49.92);
  });
});
