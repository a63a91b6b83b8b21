import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../../server/tiler/errors';
import { readCityJson } from '../../../../server/tiler/stages/read-cityjson';
import type { CityJsonReadOptions } from '../../../../server/tiler/stages/read-cityjson';
import { readRecords } from '../helpers/read-records';

const FIXTURES = path.resolve('test', 'fixtures', 'tiler');
const SHARED = path.resolve('..', 'shared', 'data', 'cityjson');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-read-cityjson-'));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

const read = (file: string, options: Partial<CityJsonReadOptions> = {}) =>
  readRecords(readCityJson, file, options);

describe('readCityJson', () => {
  it('returns transformed coordinates, semantics and materials of the highest LOD', async () => {
    const { byId, result } = await read(path.join(FIXTURES, 'small_cityjson2.0.city.json'));
    expect(result.referenceSystem).toBe('https://www.opengis.net/def/crs/EPSG/0/7415');
    const house = byId.get('house')!;
    expect(house.lod).toBe(2.2);
    expect(house.polygons).toHaveLength(6);
    // vertex 1 = (1000, 0, 0) × 0.01 + (85000, 446000, 0)
    expect(house.polygons[0].rings[0].slice(0, 3)).toEqual([85000, 446000, 0]);
    expect(house.polygons.map((polygon) => polygon.kind)).toEqual([
      'ground',
      'roof',
      'wall',
      'wall',
      'wall',
      'wall',
    ]);
    expect(house.polygons[1].color).toEqual([1, 0, 0, 1]);
    expect(house.polygons[0].color).toBeUndefined();
    expect(house.attributes).toEqual({ function: 'residential', yearOfConstruction: 1975 });
  });

  it('returns the LOD asked for', async () => {
    const { byId } = await read(path.join(FIXTURES, 'small_cityjson2.0.city.json'), { lod: 1 });
    expect(byId.get('house')!.lod).toBe(1);
    expect(byId.get('house')!.polygons).toHaveLength(1);
  });

  it('returns parts with their parent id and warns about dangling vertex indices', async () => {
    const { byId, warnings } = await read(path.join(FIXTURES, 'small_cityjson2.0.city.json'));
    const part = byId.get('house-part')!;
    expect(part.parentId).toBe('house');
    expect(part.polygons).toHaveLength(1);
    expect(
      warnings.some((warning) =>
        /house-part: 1 surface\(s\) refer to vertices that do not exist/.test(warning.message),
      ),
    ).toBe(true);
  });

  it('bakes a GeometryInstance: template × matrix + reference point', async () => {
    const { byId } = await read(path.join(FIXTURES, 'small_cityjson2.0.city.json'));
    const tree = byId.get('tree')!;
    // Reference point: vertex 8 = (20, 0, 0) + translate; template (1,0,0) scaled by 2 → +2 m east.
    expect(tree.polygons[0].rings[0]).toEqual([85020, 446000, 0, 85022, 446000, 0, 85020, 446002, 0]);
  });

  it('streams CityJSONSeq line by line, skipping a malformed line with its line number', async () => {
    const { records, warnings } = await read(path.join(FIXTURES, 'small_cityjsonseq.city.jsonl'));
    expect(records.map((record) => [record.id, record.line])).toEqual([
      ['a', 2],
      ['b', 4],
    ]);
    expect(records[1].polygons[0].rings[0]).toEqual([85030, 446000, 0, 85040, 446000, 0, 85040, 446010, 5]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].line).toBe(3);
  });

  it('returns the objects of every shared CityJSON file, with parts and without CRS where there is none', async () => {
    const delft = await read(path.join(SHARED, 'delft_cityjson2.0_EPSG7415.city.json'));
    expect(delft.records.filter((record) => record.type === 'Building')).toHaveLength(160);
    expect(new Set(delft.records.map((record) => record.type))).toEqual(
      new Set(['Building', 'Bridge', 'LandUse', 'PlantCover', 'WaterBody', 'Road', 'GenericCityObject']),
    );
    const parts = await read(path.join(SHARED, 'DH_01_subs_cityjson1.1.city.json'));
    expect(parts.records.filter((record) => record.type === 'BuildingPart' && record.parentId)).toHaveLength(
      8,
    );
    expect(parts.result.referenceSystem).toBeUndefined();
  });

  it('throws a DataError with a line for malformed JSON and for a document that is not CityJSON', async () => {
    const malformed = path.join(temporary, 'malformed.city.json');
    writeFileSync(malformed, '{\n  "type": "CityJSON",\n  "CityObjects": {,\n}');
    const error = await read(malformed).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).line).toBe(3);
    const other = path.join(temporary, 'other.json');
    writeFileSync(other, JSON.stringify({ type: 'FeatureCollection', features: [] }));
    await expect(read(other)).rejects.toThrow(/not a CityJSON document/);
    expect(readFileSync(malformed, 'utf8')).toContain('CityObjects');
  });
});
