import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTilerArguments } from '../../../server/tiler/cli';
import { convertCityModels } from '../../../server/tiler/pipeline';
import type { ConversionSummary } from '../../../server/tiler/pipeline';
import { planUnits } from '../../../server/tiler/stages/split-input';
import { gridCity, polygon } from './helpers/grid-city';

const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-parallel-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** Every file of an output folder (tileset.json, ids.json, tiles/*.glb) by relative path. */
function outputFiles(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(full);
      else files.set(path.relative(directory, full), readFileSync(full));
    }
  };
  visit(directory);
  return files;
}

async function convertBoth(
  input: string,
  name: string,
): Promise<{
  sequential: ConversionSummary;
  parallel: ConversionSummary;
  same: boolean;
  differing: string[];
}> {
  const sequentialOut = path.join(temporary, `${name}-sequential`);
  const parallelOut = path.join(temporary, `${name}-parallel`);
  const sequential = await convertCityModels({ inputs: [input], outDirectory: sequentialOut, workers: 1 });
  const parallel = await convertCityModels({
    inputs: [input],
    outDirectory: parallelOut,
    workers: 2,
    partBytes: 64 << 10,
  });
  const a = outputFiles(sequentialOut);
  const b = outputFiles(parallelOut);
  const differing = [...new Set([...a.keys(), ...b.keys()])].filter(
    (file) => !a.get(file) || !b.get(file) || !a.get(file)!.equals(b.get(file)!),
  );
  return { sequential, parallel, same: differing.length === 0, differing };
}

/** 1-based line of the first occurrence of `marker` in `text`. */
function lineOf(text: string, marker: string): number {
  const at = text.indexOf(marker);
  expect(at).toBeGreaterThanOrEqual(0);
  return text.slice(0, at).split('\n').length;
}

describe('tiler parallel conversion', () => {
  it('cuts a large CityGML file only at city object members and keeps small, gzipped and textured files whole', async () => {
    const text = gridCity({ count: 400 });
    const file = path.join(temporary, 'plan.gml');
    writeFileSync(file, text);
    const units = await planUnits([file], { partBytes: 32 << 10 });
    expect(units.length).toBeGreaterThan(3);
    const bytes = Buffer.from(text);
    for (const [position, unit] of units.entries()) {
      expect(unit.index).toBe(position);
      const range = unit.range!;
      if (position === 0) expect(range.start).toBe(0);
      else {
        expect(bytes.subarray(range.start, range.start + 22).toString()).toBe('<core:cityObjectMember');
        expect(range.start).toBe(units[position - 1].range!.end);
        // Every later part repeats the header (prolog, root start tag, name, envelope) and ends with the root's close.
        expect(Buffer.from(range.header).toString()).toBe(
          text.slice(0, text.indexOf('<core:cityObjectMember')),
        );
      }
      if (position < units.length - 1) expect(Buffer.from(range.footer).toString()).toBe('</core:CityModel>');
      else expect(range.end).toBe(bytes.length);
    }

    const gzipped = path.join(temporary, 'plan.gml.gz');
    writeFileSync(gzipped, gzipSync(text));
    const textured = path.join(temporary, 'plan-textured.gml');
    writeFileSync(textured, text.replace('</core:CityModel>', '<app:appearanceMember/></core:CityModel>'));
    const small = path.join(temporary, 'small.gml');
    writeFileSync(small, gridCity({ count: 3 }));
    const whole = await planUnits([gzipped, textured, small], { partBytes: 32 << 10 });
    expect(whole.map((unit) => [unit.fileIndex, unit.range])).toEqual([
      [0, undefined],
      [1, undefined],
      [2, undefined],
    ]);
    // What planning found out is handed on, so the reader does not scan the textured file again.
    expect(whole.map((unit) => unit.hasAppearances)).toEqual([undefined, true, undefined]);
  });

  it('writes byte-identical tiles, tileset and id index with two workers and with one', async () => {
    const file = path.join(temporary, 'same.gml');
    const text = gridCity({ count: 900, special: (index) => (index === 800 ? { id: '' } : undefined) });
    writeFileSync(file, text);
    const { sequential, parallel, same, differing } = await convertBoth(file, 'same');
    expect(differing).toEqual([]);
    expect(same).toBe(true);
    expect(sequential.features).toBe(900);
    expect(parallel.features).toBe(900);
    expect(parallel.tiles).toBe(sequential.tiles);
    expect(parallel.bytes).toBe(sequential.bytes);
    expect(parallel.crs).toBe(sequential.crs);
    // The building without gml:id is named after the byte offset of its start tag's '>' (the same in both modes).
    const ids = JSON.parse(readFileSync(path.join(temporary, 'same-parallel', 'ids.json'), 'utf8')) as {
      features: Record<string, unknown>;
    };
    const tagEnd = Buffer.from(text).indexOf('<bldg:Building>') + '<bldg:Building'.length;
    expect(ids.features[`Building_at_${tagEnd}`]).toBeDefined();
    expect(Object.keys(ids.features)).toHaveLength(900);
  });

  it('reports warnings of later parts at their real lines, and keeps the first of two equal ids across parts', async () => {
    const count = 900;
    const text = gridCity({
      count,
      special: (index) => {
        if (index === 850)
          return {
            geometry:
              '<bldg:lod2MultiSurface><gml:MultiSurface>\n<gml:surfaceMember>' +
              polygon('degenerate-850', [
                [458000, 5438000, 100],
                [458000, 5438000, 100],
                [458000, 5438000, 100],
              ]) +
              '</gml:surfaceMember>\n</gml:MultiSurface></bldg:lod2MultiSurface>',
          };
        if (index === 870) return { id: 'b10' };
        return undefined;
      },
    });
    const file = path.join(temporary, 'warnings.gml');
    writeFileSync(file, text);
    const { sequential, parallel, same } = await convertBoth(file, 'warnings');
    expect(same).toBe(true);
    // b850 has no usable polygon; the second b10 is a duplicate.
    expect(parallel.features).toBe(count - 2);
    const duplicate = parallel.warnings.find((warning) => /duplicate id b10/.test(warning.message));
    // The duplicate's line: the 871st <bldg:Building gml:id="b10"> is the second occurrence in the file.
    const secondB10 = text.indexOf(
      '<bldg:Building gml:id="b10">',
      text.indexOf('<bldg:Building gml:id="b10">') + 1,
    );
    expect(duplicate?.line).toBe(text.slice(0, secondB10).split('\n').length);
    const skipped = parallel.warnings.find((warning) => /b850: no usable polygon/.test(warning.message));
    expect(skipped?.line).toBe(lineOf(text, '<bldg:Building gml:id="b850">'));
    expect(parallel.warnings).toEqual(sequential.warnings);
  });

  it('converts a file whole when a part refers to a surface in another part, with the same result as one thread', async () => {
    const count = 900;
    const text = gridCity({
      count,
      special: (index) =>
        index === 880
          ? {
              geometry:
                '<bldg:lod2MultiSurface><gml:MultiSurface>\n<gml:surfaceMember xlink:href="#b3-roof"/>\n' +
                '</gml:MultiSurface></bldg:lod2MultiSurface>',
            }
          : undefined,
    });
    const file = path.join(temporary, 'xlink.gml');
    writeFileSync(file, text);
    const { sequential, parallel, same } = await convertBoth(file, 'xlink');
    expect(same).toBe(true);
    expect(sequential.features).toBe(count);
    expect(parallel.features).toBe(count);
    // Resolved, not warned about: b880 borrows b3's roof.
    expect(parallel.warnings.filter((warning) => /does not resolve/.test(warning.message))).toEqual([]);
  });

  it('reports malformed XML in a later part at its real line and keeps the objects before it', async () => {
    const count = 900;
    const text = gridCity({
      count,
      special: (index) =>
        index === 860
          ? { member: '<core:cityObjectMember>\n<bldg:Building gml:id="broken">\n</core:cityObjectMember>' }
          : undefined,
    });
    const file = path.join(temporary, 'malformed.gml');
    writeFileSync(file, text);
    const { sequential, parallel, same } = await convertBoth(file, 'malformed');
    expect(same).toBe(true);
    expect(parallel.features).toBe(860);
    const error = parallel.warnings.find((warning) => /malformed XML/.test(warning.message));
    expect(error?.message).toMatch(
      /unexpected close tag <\/core:cityObjectMember> \(expected <\/bldg:Building>\)/,
    );
    const brokenLine = lineOf(text, '<bldg:Building gml:id="broken">');
    expect(error?.line).toBe(brokenLine + 1);
    expect(parallel.warnings).toEqual(sequential.warnings);
  });

  it('reports a CRS problem once per file, not once per part', async () => {
    const file = path.join(temporary, 'no-crs.gml');
    writeFileSync(file, gridCity({ count: 900 }).replace(' srsName="EPSG:25832"', ''));
    const error = await convertCityModels({
      inputs: [file],
      outDirectory: path.join(temporary, 'no-crs'),
      workers: 2,
      partBytes: 64 << 10,
    }).catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/nothing usable was converted/);
    expect((error as Error).message.match(/declares no CRS/g)).toHaveLength(1);
  });

  it('accepts --workers n ≥ 1 on the command line and refuses anything else', () => {
    expect(parseTilerArguments(['a.gml', '--out', 'o', '--workers', '3']).options.workers).toBe(3);
    expect(parseTilerArguments(['a.gml', '--out', 'o']).options.workers).toBeUndefined();
    for (const bad of ['0', '-1', '1.5', 'x'])
      expect(() => parseTilerArguments(['a.gml', '--out', 'o', '--workers', bad])).toThrow(/--workers/);
  });
});
