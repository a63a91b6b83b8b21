import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../../server/tiler/errors';
import { THEMATIC_KINDS, defaultKindOf } from '../../../../server/tiler/model';
import type { CityObjectRecord } from '../../../../server/tiler/model';
import { readCityJson } from '../../../../server/tiler/stages/read-cityjson';
import type { CityJsonReadOptions } from '../../../../server/tiler/stages/read-cityjson';
import { readRecords } from '../helpers/read-records';

const SHARED = path.resolve('..', 'shared', 'data', 'cityjson');
const DELFT = path.join(SHARED, 'delft_cityjson2.0_EPSG7415.city.json');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-read-cityjson-streaming-'));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

type Json = Record<string, unknown>;

const read = (file: string, options: Partial<CityJsonReadOptions> = {}) =>
  readRecords(readCityJson, file, options);

/** Reads until the reader throws; returns the error and what was emitted before. */
async function readFailing(file: string) {
  const records: CityObjectRecord[] = [];
  const error = await readCityJson(file, {
    onObject: (record) => records.push(record),
    onWarning: () => undefined,
  }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, records };
}

interface PlainPolygon {
  rings: number[][];
  kind: string;
  color?: number[];
}

interface PlainRecord {
  id: string;
  type: string;
  lod: number;
  parentId?: string;
  attributes: Record<string, unknown>;
  polygons: PlainPolygon[];
}

/**
 * The records a CityJSON document should give, computed from JSON.parse of the whole file, following the CityJSON 2.0
 * spec: vertex × scale + translate, the highest LOD per object, surfaces at depth 1 (MultiSurface), 2 (Solid) or
 * 3 (MultiSolid) with semantics and the first material theme at the same index path.
 */
function referenceRecords(document: Json): PlainRecord[] {
  const transform = document.transform as { scale: number[]; translate: number[] } | undefined;
  const scale = transform?.scale ?? [1, 1, 1];
  const translate = transform?.translate ?? [0, 0, 0];
  const vertices = document.vertices as number[][];
  const materials =
    (document.appearance as { materials?: Array<{ diffuseColor?: number[]; transparency?: number }> })
      ?.materials ?? [];
  const records: PlainRecord[] = [];
  for (const [id, value] of Object.entries(document.CityObjects as Record<string, Json>)) {
    const type = String(value.type).replace(/^\+/, '');
    const geometries = (value.geometry ?? []) as Json[];
    if (geometries.length === 0) continue;
    const lod = Math.max(...geometries.map((geometry) => Number.parseFloat(String(geometry.lod))));
    const polygons: PlainPolygon[] = [];
    for (const geometry of geometries) {
      if (Number.parseFloat(String(geometry.lod)) !== lod) continue;
      const depth = { MultiSurface: 1, CompositeSurface: 1, Solid: 2, MultiSolid: 3, CompositeSolid: 3 }[
        String(geometry.type)
      ];
      if (!depth) continue;
      const semantics = geometry.semantics as
        { surfaces: Array<{ type: string }>; values: unknown } | undefined;
      const theme = geometry.material
        ? (Object.values(geometry.material as Record<string, { values?: unknown; value?: number }>)[0] ?? {})
        : undefined;
      const visit = (boundary: unknown, level: number, semantic: unknown, material: unknown) => {
        const item = (values: unknown, index: number) => (Array.isArray(values) ? values[index] : undefined);
        if (level > 0) {
          (boundary as unknown[]).forEach((child, index) =>
            visit(child, level - 1, item(semantic, index), item(material, index)),
          );
          return;
        }
        const surface = boundary as number[][];
        if (surface.some((ring) => ring.some((index) => vertices[index] === undefined))) return;
        const rings = surface.map((ring) =>
          ring.flatMap((index) =>
            vertices[index].map((coordinate, axis) => coordinate * scale[axis] + translate[axis]),
          ),
        );
        const semanticType = typeof semantic === 'number' ? semantics!.surfaces[semantic].type : undefined;
        const materialIndex = typeof material === 'number' ? material : theme?.value;
        const source = materialIndex === undefined ? undefined : materials[materialIndex];
        const color = source
          ? [...(source.diffuseColor ?? [0.8, 0.8, 0.8]), 1 - (source.transparency ?? 0)]
          : undefined;
        polygons.push({
          rings,
          kind: (semanticType && THEMATIC_KINDS[semanticType]) || defaultKindOf(type),
          color,
        });
      };
      visit(geometry.boundaries, depth, semantics?.values, theme?.values);
    }
    if (polygons.length === 0) continue;
    const attributes: Record<string, unknown> = {};
    for (const [key, attribute] of Object.entries((value.attributes ?? {}) as Json)) {
      if (attribute === null || attribute === '') continue;
      attributes[key] = typeof attribute === 'object' ? JSON.stringify(attribute) : attribute;
    }
    records.push({
      id,
      type,
      lod,
      parentId: (value.parents as string[] | undefined)?.[0],
      attributes,
      polygons,
    });
  }
  return records;
}

function plain(records: CityObjectRecord[]): PlainRecord[] {
  return records.map((record) => ({
    id: record.id,
    type: record.type,
    lod: record.lod,
    parentId: record.parentId,
    attributes: record.attributes,
    polygons: record.polygons.map((polygon) => ({
      rings: polygon.rings,
      kind: polygon.kind,
      color: polygon.color,
    })),
  }));
}

/** Writes `document` with its members in the given order (others after), pretty-printed when `indent` is set. */
function writeOrdered(name: string, document: Json, order: string[], indent?: number): string {
  const ordered: Json = {};
  for (const key of order) if (key in document) ordered[key] = document[key];
  for (const [key, value] of Object.entries(document)) if (!(key in ordered)) ordered[key] = value;
  const file = path.join(temporary, name);
  writeFileSync(file, JSON.stringify(ordered, null, indent));
  return file;
}

function sharedFiles(): string[] {
  const files: string[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.json$/.test(entry.name)) files.push(full);
    }
  };
  walk(SHARED);
  return files.sort();
}

/** A document of `count` box buildings (8 vertices each, one LOD1 solid, one material), vertices before objects. */
function boxCity(count: number): Json {
  const vertices: number[][] = [];
  const objects: Json = {};
  for (let index = 0; index < count; index++) {
    const x = (index % 100) * 2000;
    const y = Math.floor(index / 100) * 2000;
    const base = vertices.length;
    for (const [dx, dy, z] of [
      [0, 0, 0],
      [1000, 0, 0],
      [1000, 1000, 0],
      [0, 1000, 0],
      [0, 0, 900],
      [1000, 0, 900],
      [1000, 1000, 900],
      [0, 1000, 900],
    ])
      vertices.push([x + dx, y + dy, z]);
    const [a, b, c, d, e, f, g, h] = Array.from({ length: 8 }, (_, corner) => base + corner);
    objects[`building-${index}`] = {
      type: 'Building',
      attributes: { number: index, name: `Building "${index}" {x}` },
      geometry: [
        {
          type: 'Solid',
          lod: '1',
          boundaries: [
            [[[a, d, c, b]], [[e, f, g, h]], [[a, b, f, e]], [[b, c, g, f]], [[c, d, h, g]], [[d, a, e, h]]],
          ],
          material: { default: { value: 0 } },
        },
      ],
    };
  }
  return {
    type: 'CityJSON',
    version: '2.0',
    transform: { scale: [0.001, 0.001, 0.001], translate: [85000, 446000, 0] },
    appearance: { materials: [{ name: 'brick', diffuseColor: [0.5, 0.25, 0.125], transparency: 0.5 }] },
    vertices,
    CityObjects: objects,
  };
}

describe('readCityJson (streamed documents)', () => {
  it.each(sharedFiles().map((file) => [path.relative(SHARED, file), file]))(
    'returns the records a whole-document JSON.parse reference gives for %s',
    async (_name, file) => {
      const document = JSON.parse(readFileSync(file, 'utf8')) as Json;
      const { records } = await read(file);
      const expected = referenceRecords(document);
      expect(expected.length).toBeGreaterThan(0);
      expect(plain(records)).toEqual(expected);
      expect(records.every((record) => record.file === file && (record.line ?? 0) >= 1)).toBe(true);
    },
  );

  it('returns the same records whether vertices come before or after CityObjects, gzipped or not', async () => {
    const document = JSON.parse(readFileSync(DELFT, 'utf8')) as Json;
    const expected = referenceRecords(document);
    const verticesFirst = writeOrdered('vertices-first.city.json', document, [
      'type',
      'version',
      'transform',
      'vertices',
      'metadata',
      'CityObjects',
    ]);
    // Everything the objects need comes after them: vertices, transform, metadata (the CRS) and the type itself.
    const objectsFirst = writeOrdered('objects-first.city.json', document, [
      'CityObjects',
      'vertices',
      'metadata',
      'transform',
      'version',
      'type',
    ]);
    const gzipped = path.join(temporary, 'objects-first.city.json.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(objectsFirst)));
    for (const file of [verticesFirst, objectsFirst, gzipped]) {
      const { records, result } = await read(file);
      expect(plain(records)).toEqual(expected);
      expect(result.referenceSystem).toBe('https://www.opengis.net/def/crs/EPSG/0/7415');
      expect(result.version).toBe('2.0');
      expect(result.objects).toBe(expected.length);
    }
  });

  it('returns the line of each object in a pretty-printed document', async () => {
    const document = boxCity(5);
    const file = writeOrdered('pretty.city.json', document, ['CityObjects'], 2);
    const lines = readFileSync(file, 'utf8').split('\n');
    const { records } = await read(file);
    expect(records.map((record) => record.id)).toEqual([0, 1, 2, 3, 4].map((index) => `building-${index}`));
    for (const record of records) expect(lines[record.line! - 1].trim()).toBe(`"${record.id}": {`);
  });

  it('returns the same records with vertices spilled to a temporary file', async () => {
    // 5 000 buildings × 8 = 40 000 vertices: more than one 32 768-vertex page, so pages go to disk and come back.
    const document = boxCity(5_000);
    const file = writeOrdered('spill.city.json', document, ['CityObjects']);
    const expected = referenceRecords(document);
    // A private temporary folder (os.tmpdir() follows TMPDIR), so other test files spilling at the same time do not count.
    const spillFolder = path.join(temporary, 'spill');
    mkdirSync(spillFolder);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = spillFolder;
    let seenDuringRead: string[] = [];
    try {
      const spilled = await read(file, {
        vertexSpillBytes: 1,
        onBytes: () => {
          seenDuringRead = readdirSync(spillFolder);
        },
      });
      expect(plain(spilled.records)).toEqual(expected);
      expect(spilled.records[4_999].polygons[0].color).toEqual([0.5, 0.25, 0.125, 0.5]);
      // building-4999: x = 99 × 2 m, y = 49 × 2 m from the translate; corner a = (85 198, 446 098, 0).
      expect(spilled.records[4_999].polygons[0].rings[0].slice(0, 3)).toEqual([85198, 446098, 0]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    expect(seenDuringRead).toHaveLength(1);
    expect(seenDuringRead[0]).toMatch(/^plaza-cityjson-vertices-/);
    expect(readdirSync(spillFolder)).toEqual([]);
  });

  it('keeps the objects emitted before a truncation and names the line where the file ends', async () => {
    const document = boxCity(4);
    const text = JSON.stringify(document, null, 2);
    // Cut inside building-2: its key is present, its geometry is not complete.
    const cut = text.slice(0, text.indexOf('"building-2"') + 60);
    const file = path.join(temporary, 'truncated.city.json');
    writeFileSync(file, cut);
    const { error, records } = await readFailing(file);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).detail).toMatch(/unexpected end of file.*truncated/);
    expect((error as DataError).line).toBe(cut.split('\n').length);
    expect(records.map((record) => record.id)).toEqual(['building-0', 'building-1']);
    // The same cut, gzipped and with the gzip stream itself cut (no trailer): the same error and the same objects.
    const gzipped = path.join(temporary, 'truncated.city.json.gz');
    const compressed = gzipSync(cut);
    writeFileSync(gzipped, compressed.subarray(0, compressed.length - 8));
    const fromGzip = await readFailing(gzipped);
    expect(fromGzip.error).toBeInstanceOf(DataError);
    expect((fromGzip.error as DataError).line).toBe(cut.split('\n').length);
    expect(fromGzip.records.map((record) => record.id)).toEqual(['building-0', 'building-1']);
  });

  it('throws at the cut and emits nothing when the file ends inside vertices that follow the objects', async () => {
    const text = JSON.stringify(boxCity(4), null, 2);
    const objectsFirst = writeOrdered(
      'objects-then-vertices.city.json',
      JSON.parse(text) as Json,
      ['CityObjects'],
      2,
    );
    const full = readFileSync(objectsFirst, 'utf8');
    const cut = full.slice(0, full.indexOf('"vertices"') + 40);
    writeFileSync(objectsFirst, cut);
    const { error, records } = await readFailing(objectsFirst);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).detail).toMatch(/truncated/);
    expect((error as DataError).line).toBe(cut.split('\n').length);
    expect(records).toEqual([]);
  });

  it('throws a DataError on the line of a mismatched bracket, a bad literal or a short vertex', async () => {
    const write = (name: string, lines: string[]) => {
      const file = path.join(temporary, name);
      writeFileSync(file, lines.join('\n'));
      return file;
    };
    const head = ['{', '"type": "CityJSON",', '"transform": {"scale": [1, 1, 1], "translate": [0, 0, 0]},'];
    const bracket = write('bracket.city.json', [
      ...head,
      '"CityObjects": {',
      '"a": {"type": "Building", "geometry": [}',
      '},',
      '"vertices": []',
      '}',
    ]);
    const literal = write('literal.city.json', [
      ...head,
      '"vertices": [[0, 0, 0]],',
      '"CityObjects": {',
      '"a": {"type": "Building"},',
      '"b": {"type": "Building", "attributes": {"x": tru}}',
      '}',
      '}',
    ]);
    const vertex = write('vertex.city.json', [
      ...head,
      '"vertices": [',
      '[0, 0, 0],',
      '[1, 2]',
      '],',
      '"CityObjects": {}',
      '}',
    ]);
    const trailing = write('trailing.city.json', [...head, '"vertices": [], "CityObjects": {}', '}', '{']);
    for (const [file, line] of [
      [bracket, 5],
      [literal, 7],
      [vertex, 6],
      [trailing, 6],
    ] as const) {
      const { error } = await readFailing(file);
      expect(error, file).toBeInstanceOf(DataError);
      expect((error as DataError).line, file).toBe(line);
      expect((error as DataError).file).toBe(file);
    }
  });

  it('throws "not a CityJSON document" for other JSON and skips an object that is not a JSON object', async () => {
    const array = path.join(temporary, 'array.json');
    writeFileSync(array, '[1, 2, 3]');
    await expect(read(array)).rejects.toThrow(/not a CityJSON document/);
    const noVertices = path.join(temporary, 'no-vertices.json');
    writeFileSync(noVertices, '{"type": "CityJSON", "CityObjects": {}}');
    await expect(read(noVertices)).rejects.toThrow(/not a CityJSON document/);
    const document = boxCity(2);
    (document.CityObjects as Json)['odd'] = 5;
    const file = writeOrdered('odd.city.json', document, []);
    const { records, warnings } = await read(file);
    expect(records.map((record) => record.id)).toEqual(['building-0', 'building-1']);
    expect(warnings.map((warning) => warning.message)).toEqual(['odd: not a CityJSON object; skipped']);
  });

  it('reports progress over both passes: never backwards, reaching the file size at the end', async () => {
    const file = writeOrdered('bytes.city.json', boxCity(50), ['CityObjects']);
    const seen: number[] = [];
    await read(file, { onBytes: (bytes) => seen.push(bytes) });
    const size = statSync(file).size;
    expect(seen.length).toBeGreaterThan(1);
    // The first pass counts for half of the file, the second for the other half.
    expect(seen.some((bytes) => bytes > 0 && bytes <= size / 2)).toBe(true);
    expect(seen.every((bytes, index) => index === 0 || bytes >= seen[index - 1])).toBe(true);
    expect(seen[seen.length - 1]).toBe(size);
  });
});
