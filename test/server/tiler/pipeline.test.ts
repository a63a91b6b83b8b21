import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from '@loaders.gl/core';
import { Tiles3DLoader } from '@loaders.gl/3d-tiles';
import validator from 'gltf-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataError,
  TilerUsageError,
  convertCityModels,
  ecefToGeodetic,
  readIdIndex,
} from '../../../server/tiler/index';
import type { ConversionSummary, ConvertOptions } from '../../../server/tiler/index';
import { decodePrimitives, parseGlb, readAccessor, readPropertyTable } from './helpers/decode-glb';

const SHARED = path.resolve('..', 'shared', 'data');
const FIXTURES = path.resolve('test', 'fixtures', 'tiler');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-'));
let runs = 0;

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

async function convert(
  inputs: string[],
  options: Partial<ConvertOptions> = {},
): Promise<{ summary: ConversionSummary; out: string }> {
  const out = path.join(temporary, `run-${runs++}`);
  const summary = await convertCityModels({ inputs, outDirectory: out, ...options });
  return { summary, out };
}

interface Tile {
  boundingVolume: { region: number[] };
  geometricError: number;
  refine?: string;
  content?: { uri: string; url?: string };
  children?: Tile[];
}

function walk(tile: Tile, visit: (tile: Tile, parent?: Tile) => void, parent?: Tile): void {
  visit(tile, parent);
  for (const child of tile.children ?? []) walk(child, visit, tile);
}

function readTileset(out: string): { geometricError: number; root: Tile; asset: { version: string } } {
  return JSON.parse(readFileSync(path.join(out, 'tileset.json'), 'utf8'));
}

/** Independent reference (GDAL/PROJ): projected source point → ECEF, the height kept as given. */
function expectedEcef(epsg: string, x: number, y: number, z: number): number[] {
  const output = execFileSync('gdaltransform', ['-s_srs', epsg, '-t_srs', 'EPSG:4978'], {
    input: `${x} ${y} ${z}\n`,
  }).toString();
  return output.trim().split(/\s+/).map(Number);
}

function allEcef(out: string): Float64Array[] {
  return readdirSync(path.join(out, 'tiles')).flatMap((name) =>
    decodePrimitives(parseGlb(readFileSync(path.join(out, 'tiles', name)))).map(
      (primitive) => primitive.ecef,
    ),
  );
}

function nearestDistance(out: string, target: number[]): number {
  let best = Infinity;
  for (const ecef of allEcef(out)) {
    for (let index = 0; index < ecef.length; index += 3) {
      best = Math.min(
        best,
        Math.hypot(ecef[index] - target[0], ecef[index + 1] - target[1], ecef[index + 2] - target[2]),
      );
    }
  }
  return best;
}

/** Structure checks every tileset must pass; returns the number of tiles. */
async function checkTileset(out: string): Promise<number> {
  const tileset = readTileset(out);
  expect(tileset.asset.version).toBe('1.1');
  expect(tileset.geometricError).toBeGreaterThan(tileset.root.geometricError);
  let tiles = 0;
  const checks: Array<Promise<void>> = [];
  walk(tileset.root, (tile, parent) => {
    tiles++;
    const [west, south, east, north, minimumHeight, maximumHeight] = tile.boundingVolume.region;
    expect(west).toBeLessThan(east);
    expect(south).toBeLessThan(north);
    expect(minimumHeight).toBeLessThan(maximumHeight);
    if (!tile.children) expect(tile.geometricError).toBe(0);
    if (parent) {
      // Children inside parents, geometric error decreasing.
      const outer = parent.boundingVolume.region;
      expect(west).toBeGreaterThanOrEqual(outer[0]);
      expect(south).toBeGreaterThanOrEqual(outer[1]);
      expect(east).toBeLessThanOrEqual(outer[2]);
      expect(north).toBeLessThanOrEqual(outer[3]);
      expect(minimumHeight).toBeGreaterThanOrEqual(outer[4]);
      expect(maximumHeight).toBeLessThanOrEqual(outer[5]);
      expect(tile.geometricError).toBeLessThan(parent.geometricError);
    }
    expect(tile.content?.url).toBeUndefined();
    const uri = tile.content!.uri;
    checks.push(
      (async () => {
        const glb = readFileSync(path.join(out, uri));
        const report = await validator.validateBytes(new Uint8Array(glb));
        expect(
          report.issues.numErrors,
          `${uri}: ${JSON.stringify(report.issues.messages.filter((message: { severity: number }) => message.severity === 0))}`,
        ).toBe(0);
        expect(report.issues.numWarnings).toBe(0);
        // Content inside its tile's bounding region, heights included.
        const low = [Infinity, Infinity, Infinity];
        const high = [-Infinity, -Infinity, -Infinity];
        for (const primitive of decodePrimitives(parseGlb(glb))) {
          for (let index = 0; index < primitive.ecef.length; index += 3) {
            const [longitude, latitude, height] = ecefToGeodetic(
              primitive.ecef[index],
              primitive.ecef[index + 1],
              primitive.ecef[index + 2],
            );
            const point = [(longitude * Math.PI) / 180, (latitude * Math.PI) / 180, height];
            for (let axis = 0; axis < 3; axis++) {
              low[axis] = Math.min(low[axis], point[axis]);
              high[axis] = Math.max(high[axis], point[axis]);
            }
          }
        }
        expect(low[0]).toBeGreaterThanOrEqual(west);
        expect(high[0]).toBeLessThanOrEqual(east);
        expect(low[1]).toBeGreaterThanOrEqual(south);
        expect(high[1]).toBeLessThanOrEqual(north);
        expect(low[2]).toBeGreaterThanOrEqual(minimumHeight);
        expect(high[2]).toBeLessThanOrEqual(maximumHeight);
      })(),
    );
  });
  await Promise.all(checks);
  // And the tileset reads back with loaders.gl.
  const parsed = await parse(readFileSync(path.join(out, 'tileset.json')), Tiles3DLoader, {}, {
    url: `file://${path.join(out, 'tileset.json')}`,
  } as never);
  expect((parsed as { root: { lodMetricValue: number } }).root.lodMetricValue).toBe(
    tileset.root.geometricError,
  );
  return tiles;
}

describe('convertCityModels', () => {
  const converted = new Map<string, { summary: ConversionSummary; out: string }>();
  const expectedFeatures: Record<string, number> = {
    // Building + BuildingPart + TINRelief (README: 1 Building + 1 BuildingPart; the file also holds a relief).
    'citygml/Building_and_garage_LOD2_citygml2.0_EPSG25832.gml': 3,
    'citygml/Building_and_garage_LOD2_citygml3.0_EPSG25832.gml': 3,
    'citygml/Bedburg_LoD2_citygml2.0_UTM32-DHHN2016.gml': 104,
    'citygml/citygml4j_lod2_buildings_citygml3.0_EPSG3068.gml': 100,
    'citygml/plateau_53394517/53394517_bldg_6697_2_op_CityGML2.gml': 1,
    'citygml/plateau_53394517/53394517_bldg_6697_2_op_CityGML3.gml': 1,
    // 160 + 3 + 81 + 126 + 3 + 143 + 54 objects per the README.
    'cityjson/delft_cityjson2.0_EPSG7415.city.json': 570,
    // No CRS in these two (RD coordinates per the README): converted with --crs EPSG:28992.
    'cityjson/rotterdam/rotterdam_subset_cityjson2.0.city.json': 16,
    // 8 BuildingPart + the 1 of 4 Buildings that has geometry of its own (the other 3 are found through their parts).
    'cityjson/DH_01_subs_cityjson1.1.city.json': 9,
  };

  beforeAll(async () => {
    for (const file of Object.keys(expectedFeatures)) {
      const crs = file.includes('rotterdam') || file.includes('DH_01') ? 'EPSG:28992' : undefined;
      converted.set(file, await convert([path.join(SHARED, file)], { crs }));
    }
  }, 120_000);

  it('converts every shared CityGML and CityJSON file into the expected number of features', () => {
    for (const [file, count] of Object.entries(expectedFeatures))
      expect(converted.get(file)!.summary.features, file).toBe(count);
  });

  it('writes GLBs that pass gltf-validator and tilesets whose structure holds, for every shared file', async () => {
    for (const [file, { out, summary }] of converted) {
      expect(await checkTileset(out), file).toBe(summary.tiles);
    }
  }, 120_000);

  it('returns a clear error naming --crs for the invalid file, which declares no CRS', async () => {
    const error = await convert([
      path.join(SHARED, 'citygml/citygml4j_invalid_building_citygml3.0.gml'),
    ]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(/nothing usable.*declares no CRS.*--crs/);
  });

  it('refuses the local engineering CRS unless --crs places it', async () => {
    const file = path.join(SHARED, 'citygml/Building_LOD1_citygml3.0_LocalEngineeringCRS.gml');
    await expect(convert([file])).rejects.toThrow(/local engineering CRS.*--crs/);
    const { summary } = await convert([file], { crs: 'EPSG:25832' });
    // One Building and one TINRelief.
    expect(summary.features).toBe(2);
    expect(summary.crs).toBe('EPSG:25832');
  });

  it('places a known corner of Building_and_garage within 0.5 m of GDAL, with orthometric heights kept', () => {
    // A wall corner in the file: 458875 5438350 112 (EPSG:25832 + DHHN92).
    const target = expectedEcef('EPSG:25832', 458875, 5438350, 112);
    for (const version of ['2.0', '3.0']) {
      const { out, summary } = converted.get(
        `citygml/Building_and_garage_LOD2_citygml${version}_EPSG25832.gml`,
      )!;
      expect(nearestDistance(out, target)).toBeLessThan(0.5);
      expect(summary.crs).toBe('EPSG:25832 + DHHN92');
      expect(summary.heightHandling).toMatch(/DHHN92.*kept.*no geoid/);
    }
  });

  it('places a Bedburg corner (AdV URN) within 0.5 m of GDAL', () => {
    const text = readFileSync(
      path.join(SHARED, 'citygml/Bedburg_LoD2_citygml2.0_UTM32-DHHN2016.gml'),
      'utf8',
    );
    const [x, y, z] = /<gml:pos>\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(text)!.slice(1).map(Number);
    const { out } = converted.get('citygml/Bedburg_LoD2_citygml2.0_UTM32-DHHN2016.gml')!;
    expect(nearestDistance(out, expectedEcef('EPSG:25832', x, y, z))).toBeLessThan(0.5);
  });

  it('returns the same objects with bounds within centimetres for CityGML 2.0 and 3.0 of Building_and_garage', () => {
    const index = (file: string) =>
      JSON.parse(readFileSync(path.join(converted.get(file)!.out, 'ids.json'), 'utf8')).features as Record<
        string,
        { type: string; region: number[] }
      >;
    const version2 = Object.values(index('citygml/Building_and_garage_LOD2_citygml2.0_EPSG25832.gml')).sort(
      (a, b) => a.type.localeCompare(b.type),
    );
    const version3 = Object.values(index('citygml/Building_and_garage_LOD2_citygml3.0_EPSG25832.gml')).sort(
      (a, b) => a.type.localeCompare(b.type),
    );
    expect(version3.map((entry) => entry.type)).toEqual(version2.map((entry) => entry.type));
    version2.forEach((entry, position) => {
      const other = version3[position].region;
      entry.region.forEach((value, axis) =>
        expect(Math.abs(value - other[axis]) * (axis < 4 ? 111_320 : 1)).toBeLessThan(0.02),
      );
    });
  });

  it('adds the height offset to every height', async () => {
    const file = path.join(SHARED, 'citygml/Building_and_garage_LOD2_citygml2.0_EPSG25832.gml');
    const { out, summary } = await convert([file], { heightOffset: 47.3 });
    expect(nearestDistance(out, expectedEcef('EPSG:25832', 458875, 5438350, 159.3))).toBeLessThan(0.5);
    expect(summary.heightHandling).toMatch(/\+47\.3 m offset/);
  });

  it('writes the same geometry without quantization when compress is false', async () => {
    const file = path.join(SHARED, 'citygml/Building_and_garage_LOD2_citygml2.0_EPSG25832.gml');
    const { out } = await convert([file], { compress: false });
    const glb = parseGlb(readFileSync(path.join(out, 'tiles', '0-0-0.glb')));
    expect(glb.json.extensionsUsed).not.toContain('KHR_mesh_quantization');
    expect(nearestDistance(out, expectedEcef('EPSG:25832', 458875, 5438350, 112))).toBeLessThan(0.05);
    await checkTileset(out);
  });

  it('keeps attributes, persistent ids, parent ids and materials in the tiles and the id index', async () => {
    const { out, summary } = await convert([path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml')]);
    expect(summary.features).toBe(3);
    expect(summary.crs).toBe('EPSG:25832');
    // The degenerate ring of B1 is skipped with a warning naming the object and its line.
    expect(
      summary.warnings.some(
        (warning) =>
          warning.line !== undefined && /B1: 1 polygon\(s\) skipped .*degenerate/.test(warning.message),
      ),
    ).toBe(true);
    const glb = parseGlb(readFileSync(path.join(out, 'tiles', '0-0-0.glb')));
    const rows = readPropertyTable(glb);
    const building = rows.find((row) => row.id === 'B1')!;
    expect(building).toMatchObject({
      type: 'Building',
      owner: 'city',
      rooms: 7,
      yearOfConstruction: 1990,
      measuredHeight: 6.5,
      lod: 2,
    });
    const part = rows.find((row) => row.id === 'BP1')!;
    expect(part.parentId).toBe('B2');
    const primitives = decodePrimitives(glb);
    const partRow = rows.indexOf(part);
    const red = primitives.find((primitive) => primitive.featureIds.includes(partRow))!;
    expect(red.baseColor).toEqual([1, 0, 0, 1]);
    const index = await readIdIndex(out);
    expect(index.features.B1.tile).toBe('tiles/0-0-0.glb');
    expect(index.features.BP1.parentId).toBe('B2');
    // B2 has no geometry of its own: the index finds it through its part.
    expect(index.features.B2.parts).toEqual(['BP1']);
    const [west, south, east, north, minimumHeight, maximumHeight] = index.features.B1.region;
    expect(minimumHeight).toBeCloseTo(100, 1);
    expect(maximumHeight).toBeCloseTo(105, 1);
    expect(east).toBeGreaterThan(west);
    expect(north).toBeGreaterThan(south);
    await checkTileset(out);
  });

  it('builds a quadtree with coarse parents when the leaf budget is small', async () => {
    const { out, summary } = await convert(
      [path.join(SHARED, 'citygml/Bedburg_LoD2_citygml2.0_UTM32-DHHN2016.gml')],
      { maximumLeafVertices: 500 },
    );
    expect(summary.tiles).toBeGreaterThan(5);
    expect(await checkTileset(out)).toBe(summary.tiles);
    const tileset = readTileset(out);
    expect(tileset.root.children!.length).toBeGreaterThan(0);
    expect(tileset.root.refine).toBe('REPLACE');
    // Every building is in exactly one leaf, and the index says which.
    const index = JSON.parse(readFileSync(path.join(out, 'ids.json'), 'utf8')).features as Record<
      string,
      { tile: string; feature: number }
    >;
    expect(Object.keys(index)).toHaveLength(104);
    const leaves = new Set<string>();
    walk(tileset.root, (tile) => {
      if (!tile.children) leaves.add(tile.content!.uri);
    });
    for (const entry of Object.values(index)) expect(leaves.has(entry.tile)).toBe(true);
    // The root's coarse content holds one prism (5 faces) per building, at most.
    const root = parseGlb(readFileSync(path.join(out, tileset.root.content!.uri)));
    expect(readPropertyTable(root).length).toBeLessThanOrEqual(104);
  });

  it('throws a DataError when the id index is missing', async () => {
    await expect(readIdIndex(path.join(temporary, 'nowhere'))).rejects.toThrow(DataError);
  });

  it('selects object types with --types', async () => {
    const { summary } = await convert([path.join(SHARED, 'cityjson/delft_cityjson2.0_EPSG7415.city.json')], {
      types: ['Bridge', 'WaterBody'],
    });
    expect(summary.features).toBe(6);
  });

  it('skips a duplicate id with a warning at its line and keeps the first', async () => {
    const { summary } = await convert([path.join(FIXTURES, 'duplicate-ids_citygml2.0.gml')]);
    expect(summary.features).toBe(3);
    const duplicate = summary.warnings.find((warning) => /duplicate id BP1/.test(warning.message))!;
    expect(duplicate.line).toBe(83);
  });

  it("returns the first file's objects and a duplicate warning per object when the same file is given twice", async () => {
    const file = path.join(SHARED, 'citygml/Building_and_garage_LOD2_citygml2.0_EPSG25832.gml');
    const { summary, out } = await convert([file, file]);
    // Building + BuildingPart + TINRelief, once.
    expect(summary.features).toBe(3);
    const duplicates = summary.warnings.filter((warning) => /^duplicate id /.test(warning.message));
    expect(duplicates).toHaveLength(3);
    expect(duplicates.every((warning) => warning.file === file)).toBe(true);
    expect(Object.keys((await readIdIndex(out)).features)).toHaveLength(3);
  });

  it('keeps the objects before malformed XML and lists the error with file and line', async () => {
    const file = path.join(FIXTURES, 'malformed_citygml2.0.gml');
    const { summary } = await convert([file]);
    expect(summary.features).toBe(1);
    expect(summary.warnings).toContainEqual(
      expect.objectContaining({ file, line: 14, message: expect.stringMatching(/malformed XML/) }),
    );
  });

  it('returns a clear error for an unknown CRS and for an XXE attempt', async () => {
    await expect(convert([path.join(FIXTURES, 'unknown-crs_citygml2.0.gml')])).rejects.toThrow(
      /EPSG:99999.*--crs/,
    );
    const xxe = await convert([path.join(FIXTURES, 'xxe_citygml2.0.gml')]).catch((caught: unknown) => caught);
    expect(xxe).toBeInstanceOf(DataError);
    expect((xxe as DataError).message).toMatch(/DOCTYPE with entity declarations refused/);
  });

  it('warns about textures whose images are missing and embeds the one that exists (CityJSON)', () => {
    const { summary, out } = converted.get('cityjson/rotterdam/rotterdam_subset_cityjson2.0.city.json')!;
    // README: 74 textures referenced, 1 image present.
    expect(
      summary.warnings.some((warning) => /73 of 74 texture image\(s\) missing/.test(warning.message)),
    ).toBe(true);
    const glb = parseGlb(readFileSync(path.join(out, 'tiles', '0-0-0.glb')));
    const images =
      (glb.json as unknown as { images?: Array<{ bufferView: number; mimeType: string }> }).images ?? [];
    expect(images).toHaveLength(1);
    const view = glb.json.bufferViews[images[0].bufferView];
    const embedded = glb.binary.slice(view.byteOffset ?? 0, (view.byteOffset ?? 0) + view.byteLength);
    expect(
      Buffer.from(embedded).equals(
        readFileSync(path.join(SHARED, 'cityjson/rotterdam/appearances/0320_4_15.jpg')),
      ),
    ).toBe(true);
  });

  it('applies ParameterizedTexture coordinates from CityGML 2.0 and 3.0 with the image embedded', () => {
    const image = readFileSync(
      path.join(SHARED, 'citygml/plateau_53394517/53394517_bldg_6697_appearance/stad0158.jpg'),
    );
    const counts: number[] = [];
    for (const version of ['2', '3']) {
      const { out } = converted.get(
        `citygml/plateau_53394517/53394517_bldg_6697_2_op_CityGML${version}.gml`,
      )!;
      const glb = parseGlb(readFileSync(path.join(out, 'tiles', '0-0-0.glb')));
      const json = glb.json as unknown as {
        images: Array<{ bufferView: number }>;
        meshes: Array<{ primitives: Array<{ attributes: Record<string, number> }> }>;
      };
      const view = glb.json.bufferViews[json.images[0].bufferView];
      expect(
        Buffer.from(glb.binary.slice(view.byteOffset ?? 0, (view.byteOffset ?? 0) + view.byteLength)).equals(
          image,
        ),
      ).toBe(true);
      const textured = json.meshes[0].primitives.filter(
        (primitive) => primitive.attributes.TEXCOORD_0 !== undefined,
      );
      expect(textured).toHaveLength(1);
      const uvs = readAccessor(glb, textured[0].attributes.TEXCOORD_0);
      expect(Math.min(...uvs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...uvs)).toBeLessThanOrEqual(1);
      counts.push(uvs.length);
    }
    // Same building, same texture coordinates in both encodings.
    expect(counts[1]).toBe(counts[0]);
  });

  it('throws TilerUsageError for a --crs it cannot resolve, no inputs, and an output it cannot write', async () => {
    await expect(
      convert([path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml')], { crs: 'EPSG:123456' }),
    ).rejects.toThrow(TilerUsageError);
    await expect(convert([])).rejects.toThrow(TilerUsageError);
    // An output path below a plain file cannot be created.
    const file = path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml');
    await expect(convertCityModels({ inputs: [file], outDirectory: path.join(file, 'out') })).rejects.toThrow(
      /cannot write to the output directory/,
    );
  });

  it('converts a folder of mixed inputs in one run', async () => {
    const { summary } = await convert([
      path.join(SHARED, 'citygml', 'plateau_53394517'),
      path.join(FIXTURES, 'small_cityjsonseq.city.jsonl'),
    ]);
    expect(summary.features).toBe(3);
    expect(summary.crs.split('; ').sort()).toEqual(['EPSG:28992 + NAP', 'EPSG:6668 + JGD2011 vertical']);
  });
});

describe('convertCityModels from a pipe', () => {
  let pipes = 0;
  /** A named pipe that a `cat` child fills with the file's bytes once (as `<(zcat x.gml.gz)` would). */
  function pipeOf(file: string): string {
    const pipe = path.join(temporary, `pipe-${pipes++}-${path.basename(file)}`);
    execFileSync('mkfifo', [pipe]);
    spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', file, pipe], { stdio: 'ignore' });
    return pipe;
  }

  /** Every output file's bytes, by path inside the output folder. */
  function outputOf(out: string): Map<string, Buffer> {
    const files = new Map<string, Buffer>();
    for (const name of readdirSync(out, { recursive: true, encoding: 'utf8' }).sort()) {
      const full = path.join(out, name);
      if (!name.startsWith('.') && !statSync(full).isDirectory()) files.set(name, readFileSync(full));
    }
    return files;
  }

  it('writes the same tiles and id index as from the file itself, for appearances, xlinks and gzip', async () => {
    const gzipped = path.join(temporary, 'xlinks.gml.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml'))));
    for (const file of [
      path.join(FIXTURES, 'global-appearance_citygml2.0.gml'),
      path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml'),
      gzipped,
      path.join(FIXTURES, 'small_cityjson2.0.city.json'),
    ]) {
      const direct = await convert([file]);
      const piped = await convert([pipeOf(file)]);
      expect(piped.summary.features).toBe(direct.summary.features);
      expect(direct.summary.features).toBeGreaterThan(0);
      expect(outputOf(piped.out)).toEqual(outputOf(direct.out));
    }
  });

  it('names the pipe, not its copy, in warnings', async () => {
    const pipe = pipeOf(path.join(FIXTURES, 'malformed_citygml2.0.gml'));
    const { summary, out } = await convert([pipe]);
    expect(summary.features).toBe(1);
    expect(summary.warnings).toContainEqual(
      expect.objectContaining({ file: pipe, line: 14, message: expect.stringMatching(/malformed XML/) }),
    );
    // The copy went with the staging folder.
    expect(readdirSync(out).sort()).toEqual(['ids.json', 'tiles', 'tileset.json']);
  });
});
