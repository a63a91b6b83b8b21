import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FLAGS,
  inProcessFlags,
  MEDIUM_CITYGML_BYTES,
  SMALL_INPUT_BYTES,
  UNOPTIMIZED_WORK,
  VALUE_OPTIONS,
} from '../../../server/tiler/bin.mjs';

const FIXTURES = path.resolve('test', 'fixtures', 'tiler');
const SMALL = path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-bin-'));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** A (sparse) file of `bytes` bytes: only its size is read. */
function sized(name: string, bytes: number): string {
  const file = path.join(temporary, name);
  writeFileSync(file, '');
  truncateSync(file, bytes);
  return file;
}

/** Whether the command line converts in this process (any flags). */
const isSmallConversion = (argv: string[]) => inProcessFlags(argv) !== undefined;

describe('inProcessFlags', () => {
  it('returns true when the only inputs are small regular files, whatever the options', () => {
    expect(isSmallConversion([SMALL, '--out', 'x', '--crs', 'EPSG:25832', '--quiet'])).toBe(true);
    expect(isSmallConversion(['--out=x', SMALL, '--types=Building', SMALL, '--no-compress'])).toBe(true);
    // An option's value is never taken for an input, even when it names a large file.
    const large = path.join(temporary, 'large.gml');
    writeFileSync(large, Buffer.alloc(SMALL_INPUT_BYTES + 1));
    expect(isSmallConversion([SMALL, '--out', large])).toBe(true);
  });

  it('returns false when the inputs together pass the limit', () => {
    const half = path.join(temporary, 'half.city.json');
    writeFileSync(half, Buffer.alloc(SMALL_INPUT_BYTES / 2 + 1));
    expect(isSmallConversion([half, '--out', 'x'])).toBe(true);
    expect(isSmallConversion([half, half, '--out', 'x'])).toBe(false);
  });

  it('returns true for CityGML up to the medium limit together, false past it or with any other input', () => {
    const gml = sized('medium.gml', MEDIUM_CITYGML_BYTES / 2);
    const xml = sized('medium.XML', MEDIUM_CITYGML_BYTES / 2);
    expect(isSmallConversion([gml, xml, '--out', 'x'])).toBe(true);
    expect(isSmallConversion([gml, xml, SMALL, '--out', 'x'])).toBe(false);
    // Together above SMALL_INPUT_BYTES: CityJSON or compressed CityGML next to CityGML makes the run a child's.
    const json = sized('small.city.json', 1000);
    const gz = sized('small.gml.gz', 1000);
    expect(isSmallConversion([gml, json, '--out', 'x'])).toBe(false);
    expect(isSmallConversion([gml, gz, '--out', 'x'])).toBe(false);
    // Everything together within SMALL_INPUT_BYTES runs here whatever the format.
    expect(isSmallConversion([json, gz, SMALL, '--out', 'x'])).toBe(true);
  });

  it('returns false for a folder, a pipe, a missing file and an option it does not know', () => {
    expect(isSmallConversion([FIXTURES, '--out', 'x'])).toBe(false);
    const pipe = path.join(temporary, 'pipe.gml');
    execFileSync('mkfifo', [pipe]);
    expect(isSmallConversion([pipe, '--out', 'x'])).toBe(false);
    expect(isSmallConversion([path.join(temporary, 'missing.gml'), '--out', 'x'])).toBe(false);
    expect(isSmallConversion([SMALL, '--out', 'x', '--help'])).toBe(false);
  });

  it('returns --no-opt when CityGML adds up to exactly UNOPTIMIZED_WORK (2 MB), and not one byte over', () => {
    const noOpt = (argv: string[]) => inProcessFlags(argv)?.includes('--no-opt');
    expect(noOpt([sized('a.gml', 700_000), sized('b.xml', (2 << 20) - 700_000), '--out', 'x'])).toBe(true);
    expect(noOpt([sized('big.gml', UNOPTIMIZED_WORK + 1), '--out', 'x'])).toBe(false);
    // Still in-process, with the young generation kept small.
    expect(inProcessFlags([sized('big.gml', UNOPTIMIZED_WORK + 1)])).toEqual([
      '--semi-space-growth-factor=1',
    ]);
  });

  it('returns --no-opt for CityJSON up to 256 KB (counted eight times), for other names too, never for .gz', () => {
    const noOpt = (argv: string[]) => inProcessFlags(argv)?.includes('--no-opt');
    expect(noOpt([sized('c.city.json', 256 << 10)])).toBe(true);
    expect(noOpt([sized('d.jsonl', (256 << 10) + 1)])).toBe(false);
    // In-process runs (1 MB together): 896 KB of CityGML + 8 x 128 KB of CityJSON = 1,920 KB of work; 864 + 8 x 160
    // = 2,144 KB is over 2 MB.
    expect(noOpt([sized('e.GML', 896 << 10), sized('f.json', 128 << 10)])).toBe(true);
    expect(noOpt([sized('e2.gml', 864 << 10), sized('f2.json', 160 << 10)])).toBe(false);
    expect(noOpt([sized('g.txt', 300_000)])).toBe(false);
    expect(noOpt([sized('h.gml.gz', 10)])).toBe(false);
  });

  it('knows every option of the CLI (cli.ts), each with or without a value as the CLI reads it', () => {
    const cli = readFileSync(path.resolve('server', 'tiler', 'cli.ts'), 'utf8');
    const options = [...cli.matchAll(/case '(-[-a-z]+)':/g)].map((match) => match[1]);
    const known = [...VALUE_OPTIONS, ...FLAGS, '--help', '-h'];
    expect([...options].sort()).toEqual([...known].sort());
  });
});

describe('tiler CLI (bin.mjs)', () => {
  it('returns 0 and prints the summary when it converts a small file (in its own process)', () => {
    const out = path.join(temporary, 'out');
    const run = spawnSync(process.execPath, ['server/tiler/bin.mjs', SMALL, '--out', out, '--quiet'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^tiles: \d+ features, 1 tiles, /);
    expect(JSON.parse(readFileSync(path.join(out, 'tileset.json'), 'utf8')).asset.version).toBe('1.1');
  });
});
