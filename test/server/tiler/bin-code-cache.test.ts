// The tiler bundle's V8 code cache (bin.mjs): a run without a usable cache (none, damaged, written for other source)
// converts exactly as a run with one, and leaves a cache that the next run uses.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCodeCache, writeCodeCache } from '../../../server/tiler/bin.mjs';
import { ensureTilerBundle } from '../../../server/tiler/bundle.mjs';

const SMALL = path.resolve('test', 'fixtures', 'tiler', 'xlinks-holes-parts_citygml2.0.gml');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-code-cache-'));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** Every file under a folder, by path relative to it. */
function filesOf(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(directory, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(directory, entry);
    if (statSync(full).isFile()) files.set(entry, readFileSync(full));
  }
  return files;
}

describe('readCodeCache', () => {
  it('returns the data when the checksum matches, undefined when the file is missing, too short or damaged', () => {
    const file = path.join(temporary, 'unit.cache');
    expect(readCodeCache(file)).toBeUndefined();
    const data = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    writeCodeCache(file, data);
    // Four bytes of checksum, then the data.
    expect(statSync(file).size).toBe(12);
    expect(readCodeCache(file)).toEqual(data);
    const damaged = readFileSync(file);
    damaged[8] ^= 0xff;
    writeFileSync(file, damaged);
    expect(readCodeCache(file)).toBeUndefined();
    writeFileSync(file, Buffer.from([0, 0, 0]));
    expect(readCodeCache(file)).toBeUndefined();
  });
});

describe('tiler CLI (bin.mjs) with a code cache', () => {
  let bundle: string;
  let reference: Map<string, Buffer>;
  let runs = 0;

  /** Converts SMALL with the bundle copy (the child's way: in this process, no build); returns the output's files. */
  function convert(): Map<string, Buffer> {
    const out = path.join(temporary, `out-${runs++}`);
    const run = spawnSync(process.execPath, ['server/tiler/bin.mjs', SMALL, '--out', out, '--quiet'], {
      encoding: 'utf8',
      env: { ...process.env, PLAZA_TILER_CHILD_BUNDLE: bundle },
    });
    expect(run.status).toBe(0);
    return filesOf(out);
  }

  function cacheFiles(): string[] {
    return readdirSync(path.dirname(bundle))
      .filter((name) => name.endsWith('.cache'))
      .map((name) => path.join(path.dirname(bundle), name));
  }

  beforeAll(async () => {
    bundle = path.join(temporary, 'bundle', 'tiler-0123456789abcdef.cjs');
    rmSync(path.dirname(bundle), { recursive: true, force: true });
    const built = await ensureTilerBundle();
    mkdirSync(path.dirname(bundle));
    copyFileSync(built, bundle);
    // The first run has no cache: it converts as without one and writes the cache.
    reference = convert();
  }, 60_000);

  it('returns the same output and keeps the cache when a run reads the cache the first run wrote', () => {
    expect(reference.has('tileset.json')).toBe(true);
    const [cache] = cacheFiles();
    expect(cacheFiles()).toHaveLength(1);
    expect(readCodeCache(cache)).toBeDefined();
    const written = statSync(cache).ino;
    expect(convert()).toEqual(reference);
    // Accepted by V8, so not written again (a new cache is written aside and renamed: another inode).
    expect(statSync(cache).ino).toBe(written);
  });

  it('returns the same output and replaces the cache when its content is damaged', () => {
    const [cache] = cacheFiles();
    const damaged = readFileSync(cache);
    damaged[damaged.length >> 1] ^= 0x55;
    writeFileSync(cache, damaged);
    expect(convert()).toEqual(reference);
    expect(readCodeCache(cache)).toBeDefined();
    expect(readFileSync(cache)).not.toEqual(damaged);
  });

  it('returns the same output and replaces the cache when it is cut short or empty', () => {
    const [cache] = cacheFiles();
    for (const content of [readFileSync(cache).subarray(0, 1000), Buffer.alloc(0)]) {
      writeFileSync(cache, content);
      expect(convert()).toEqual(reference);
      expect(readCodeCache(cache)).toBeDefined();
    }
  });

  it('returns the same output and replaces the cache when V8 rejects it (a sound cache of other source)', () => {
    const [cache] = cacheFiles();
    const other = new Script('const plazaOther = 1;').createCachedData();
    writeCodeCache(cache, other);
    expect(convert()).toEqual(reference);
    const replaced = readCodeCache(cache);
    expect(replaced).toBeDefined();
    expect(replaced).not.toEqual(other);
  });
});
