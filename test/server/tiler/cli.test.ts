import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { formatSummary, parseTilerArguments, runTilerCommand } from '../../../server/tiler/cli';
import { TilerUsageError } from '../../../server/tiler/errors';

const FIXTURES = path.resolve('test', 'fixtures', 'tiler');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-cli-'));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** A writable that records what is written, optionally pretending to be a terminal. */
function capture(isTTY = false): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  const chunks: string[] = [];
  (stream as unknown as PassThrough).on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  Object.assign(stream, { isTTY });
  return { stream, text: () => chunks.join('') };
}

describe('parseTilerArguments', () => {
  it('returns inputs and options from flags in both --flag value and --flag=value forms', () => {
    const { options } = parseTilerArguments([
      'a.gml',
      'folder',
      '--out',
      'tiles',
      '--crs=EPSG:25832',
      '--height-offset',
      '47.5',
      '--lod',
      '2',
      '--types',
      'Building, Bridge',
      '--no-compress',
    ]);
    expect(options).toMatchObject({
      inputs: ['a.gml', 'folder'],
      outDirectory: 'tiles',
      crs: 'EPSG:25832',
      heightOffset: 47.5,
      lod: 2,
      types: ['Building', 'Bridge'],
      compress: false,
    });
  });

  it('throws TilerUsageError for unknown flags, missing values, non-numbers, and missing --out or inputs', () => {
    expect(() => parseTilerArguments(['a.gml', '--out', 'x', '--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => parseTilerArguments(['a.gml', '--out'])).toThrow(/--out needs a value/);
    expect(() => parseTilerArguments(['a.gml', '--out', 'x', '--lod', 'two'])).toThrow(
      /--lod needs a number/,
    );
    expect(() => parseTilerArguments(['a.gml'])).toThrow(/--out <dir> is required/);
    expect(() => parseTilerArguments(['--out', 'x'])).toThrow(TilerUsageError);
  });
});

describe('runTilerCommand', () => {
  it('returns 0 and prints one summary line with the CRS and height handling when the conversion succeeds', async () => {
    const stdout = capture();
    const stderr = capture();
    const out = path.join(temporary, 'ok');
    const code = await runTilerCommand(
      [path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml'), '--out', out],
      stdout.stream,
      stderr.stream,
    );
    expect(code).toBe(0);
    const lines = stdout.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^tiles: 3 features, 1 tiles, .* MB in .* s, 1 warning\(s\); CRS EPSG:25832; heights: .*no geoid/,
    );
    // The bad object is listed with file:line on stderr.
    expect(stderr.text()).toMatch(
      /warning: .*xlinks-holes-parts_citygml2\.0\.gml:\d+: Building B1: 1 polygon\(s\) skipped/,
    );
    expect(JSON.parse(readFileSync(path.join(out, 'tileset.json'), 'utf8')).asset.version).toBe('1.1');
  });

  it('draws a progress bar with features/s, MB/s and ETA on a terminal', async () => {
    const stderr = capture(true);
    await runTilerCommand(
      [path.join(FIXTURES, 'small_cityjson2.0.city.json'), '--out', path.join(temporary, 'tty')],
      capture().stream,
      stderr.stream,
    );
    expect(stderr.text()).toMatch(/\r\[[#.]{24}\]\s+\d+% \d+ features \(\d+\/s, [\d.]+ MB\/s\)/);
    // The tile phase counts tiles against their total (one tile here: a full bar).
    expect(stderr.text()).toMatch(/\r\[#{24}\] 100% \d+ features .* writing tile 1 of 1/);
  });

  it('returns 1 with the reason when nothing usable was produced', async () => {
    const stdout = capture();
    const stderr = capture();
    const code = await runTilerCommand(
      [path.join(FIXTURES, 'unknown-crs_citygml2.0.gml'), '--out', path.join(temporary, 'bad')],
      stdout.stream,
      stderr.stream,
    );
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/error: .*EPSG:99999.*--crs/);
    expect(stdout.text()).toMatch(/^tiles: 0 features, 0 tiles/);
  });

  it('returns 2 on misuse', async () => {
    const stderr = capture();
    expect(await runTilerCommand(['--out', 'x'], capture().stream, stderr.stream)).toBe(2);
    expect(stderr.text()).toMatch(/usage: npm run tiles/);
  });
});

describe('formatSummary', () => {
  it('returns features, tiles, megabytes, seconds, warnings, CRS and heights on one line', () => {
    const line = formatSummary({
      features: 12,
      tiles: 3,
      bytes: 2_500_000,
      seconds: 1.234,
      warnings: [],
      warningCount: 2,
      crs: 'EPSG:28992 + NAP',
      heightHandling: 'kept',
      tilesetPath: 't',
      idIndexPath: 'i',
    });
    expect(line).toBe(
      'tiles: 12 features, 3 tiles, 2.50 MB in 1.23 s, 2 warning(s); CRS EPSG:28992 + NAP; heights: kept',
    );
  });
});
