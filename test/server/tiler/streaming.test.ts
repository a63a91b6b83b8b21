import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridCity } from './helpers/grid-city';

const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-streaming-'));
const BUILDINGS = 6_000;
const HEAP_MEGABYTES = 32;
const input = path.join(temporary, 'grid.gml');

beforeAll(() => writeFileSync(input, gridCity({ count: BUILDINGS })));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

describe('tiler streaming', () => {
  it(`converts ${BUILDINGS} buildings with the JavaScript heap capped at ${HEAP_MEGABYTES} MB`, () => {
    const out = path.join(temporary, 'out');
    // About 10 MB of CityGML: as a DOM (0.55-0.7 MB per building for the peer, per the notes) this would need gigabytes;
    // streaming with geometry spilled to disk fits a heap of a few tens of MB.
    expect(statSync(input).size).toBeGreaterThan(10_000_000);
    const child = spawnSync(
      process.execPath,
      [
        `--max-old-space-size=${HEAP_MEGABYTES}`,
        'server/tiler/bin.mjs',
        input,
        '--out',
        out,
        '--quiet',
        '--workers',
        '1',
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(child.stderr).not.toMatch(/heap out of memory/);
    expect(child.status).toBe(0);
    expect(child.stdout).toMatch(new RegExp(`^tiles: ${BUILDINGS} features, \\d+ tiles`));
  }, 150_000);
});
