import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createStaging,
  publishStaging,
  removeStaging,
  removeOwnStaging,
  removeStaleStaging,
} from '../../../server/tiler/output-directory';
import { DataError, convertCityModels } from '../../../server/tiler/index';

const SHARED = path.resolve('..', 'shared', 'data', 'citygml');
const FIXTURES = path.resolve('test', 'fixtures', 'tiler');

const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-output-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** Above Linux's largest pid (4,194,304), so certainly no running process. */
const DEAD_PID = 2_147_483_000;

/** Every file under `directory` (relative path → bytes). */
function snapshot(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    files.set(path.relative(directory, full), readFileSync(full).toString('base64'));
  }
  return files;
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

describe('output-directory', () => {
  it('returns a new empty staging folder named after this process inside a created output folder', () => {
    const out = path.join(temporary, 'fresh', 'nested');
    const staging = createStaging(out);
    expect(path.dirname(staging)).toBe(out);
    expect(path.basename(staging)).toMatch(new RegExp(`^\\.plaza-tiler-${process.pid}-\\d+$`));
    expect(readdirSync(staging)).toEqual([]);
  });

  it('removes staging folders and spill files of processes that are gone, and keeps those of running ones', () => {
    const out = path.join(temporary, 'stale');
    write(path.join(out, `.plaza-tiler-${DEAD_PID}-1700000000000`, 'tiles', '0-0-0.glb'), 'old');
    write(path.join(out, `.plaza-tiler-${DEAD_PID}-1700000000000-0.spill`), 'spill');
    write(path.join(out, `.plaza-tiler-${process.ppid}-1700000000000`, 'x.spill'), 'running');
    write(path.join(out, 'tileset.json'), '{}');
    removeStaleStaging(out);
    expect(readdirSync(out).sort()).toEqual([`.plaza-tiler-${process.ppid}-1700000000000`, 'tileset.json']);
  });

  it('replaces tiles, tileset.json and ids.json with the staged ones and leaves other files alone', () => {
    const out = path.join(temporary, 'publish');
    write(path.join(out, 'tiles', '0-0-0.glb'), 'old root');
    write(path.join(out, 'tiles', '1-0-0.glb'), 'old tile the new tileset does not have');
    write(path.join(out, 'tileset.json'), 'old tileset');
    write(path.join(out, 'ids.json'), 'old ids');
    write(path.join(out, 'README.txt'), 'the user’s own file');
    const staging = createStaging(out);
    write(path.join(staging, 'tiles', '0-0-0.glb'), 'new root');
    write(path.join(staging, 'tileset.json'), 'new tileset');
    write(path.join(staging, 'ids.json'), 'new ids');
    write(path.join(staging, 'work.spill'), 'spill');

    publishStaging(staging, out);
    removeStaging(staging);
    expect(readdirSync(out).sort()).toEqual(['README.txt', 'ids.json', 'tiles', 'tileset.json']);
    expect(readdirSync(path.join(out, 'tiles'))).toEqual(['0-0-0.glb']);
    expect(readFileSync(path.join(out, 'tiles', '0-0-0.glb'), 'utf8')).toBe('new root');
    expect(readFileSync(path.join(out, 'tileset.json'), 'utf8')).toBe('new tileset');
    expect(readFileSync(path.join(out, 'ids.json'), 'utf8')).toBe('new ids');
    expect(readFileSync(path.join(out, 'README.txt'), 'utf8')).toBe('the user’s own file');
  });

  it('removes only this process’s staging folders when asked to clean up after an interruption', () => {
    const out = path.join(temporary, 'own');
    const mine = createStaging(out);
    write(path.join(mine, 'tiles', '0-0-0.glb'), 'half');
    write(path.join(out, `.plaza-tiler-${process.ppid}-1`, 'x'), 'another run');
    removeOwnStaging(out);
    expect(existsSync(mine)).toBe(false);
    expect(readdirSync(out)).toEqual([`.plaza-tiler-${process.ppid}-1`]);
    expect(() => removeOwnStaging(path.join(temporary, 'does-not-exist'))).not.toThrow();
  });

  it('keeps the previous tileset untouched when a conversion into the same folder fails, and replaces it when one succeeds', async () => {
    const out = path.join(temporary, 'convert');
    const first = await convertCityModels({
      inputs: [path.join(SHARED, 'Building_and_garage_LOD2_citygml2.0_EPSG25832.gml')],
      outDirectory: out,
      workers: 1,
    });
    expect(first.tilesetPath).toBe(path.join(out, 'tileset.json'));
    expect(first.idIndexPath).toBe(path.join(out, 'ids.json'));
    const before = snapshot(out);
    expect([...before.keys()].sort()).toEqual(['ids.json', path.join('tiles', '0-0-0.glb'), 'tileset.json']);

    // The shared invalid file declares no CRS: nothing usable, so nothing in the folder may change.
    await expect(
      convertCityModels({
        inputs: [path.join(SHARED, 'citygml4j_invalid_building_citygml3.0.gml')],
        outDirectory: out,
        workers: 1,
      }),
    ).rejects.toThrow(DataError);
    expect(snapshot(out)).toEqual(before);

    const second = await convertCityModels({
      inputs: [path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml')],
      outDirectory: out,
      workers: 1,
    });
    const after = snapshot(out);
    expect([...after.keys()].sort()).toEqual(['ids.json', path.join('tiles', '0-0-0.glb'), 'tileset.json']);
    expect(after.get('ids.json')).not.toBe(before.get('ids.json'));
    expect(Object.keys(JSON.parse(readFileSync(second.idIndexPath, 'utf8')).features)).not.toContain(
      Object.keys(JSON.parse(Buffer.from(before.get('ids.json')!, 'base64').toString()).features)[0],
    );
  });
});
