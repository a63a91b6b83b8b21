import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../../../server/tiler/errors';
import type { CityObjectRecord } from '../../../../server/tiler/model';
import { readCityGml } from '../../../../server/tiler/stages/read-citygml';
import type { CityGmlReadOptions } from '../../../../server/tiler/stages/read-citygml';
import { readRecords } from '../helpers/read-records';

const FIXTURES = path.resolve('test', 'fixtures', 'tiler');
const SHARED = path.resolve('..', 'shared', 'data', 'citygml');
const XLINKS = path.join(FIXTURES, 'xlinks-holes-parts_citygml2.0.gml');
const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-read-citygml-'));

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

const read = (file: string, options: Partial<CityGmlReadOptions> = {}) =>
  readRecords(readCityGml, file, options);

describe('readCityGml', () => {
  it('returns xlinked surfaces with and without "#", including a target defined in a later member', async () => {
    const { byId } = await read(XLINKS);
    const building = byId.get('B1')!;
    expect(building.lod).toBe(2);
    // Ground (with hole), degenerate ground, wall (referenced and defined: once), and the forward-referenced roof.
    expect(building.polygons).toHaveLength(4);
    const ground = building.polygons.find(
      (polygon) => polygon.kind === 'ground' && polygon.rings.length === 2,
    )!;
    expect(ground.rings[1]).toEqual([
      458904, 5438404, 100, 458906, 5438404, 100, 458906, 5438406, 100, 458904, 5438406, 100,
    ]);
    const roof = building.polygons.find((polygon) => polygon.rings[0][2] === 105)!;
    expect(roof.rings[0]).toHaveLength(12);
  });

  it('returns only the highest LOD, never two LODs merged, and the lower one when --lod asks', async () => {
    const highest = (await read(XLINKS)).byId.get('B1')!;
    expect(highest.polygons.some((polygon) => polygon.rings[0][2] === 104)).toBe(false);
    const lod1 = (await read(XLINKS, { lod: 1 })).byId.get('B1')!;
    expect(lod1.lod).toBe(1);
    expect(lod1.polygons).toHaveLength(1);
    expect(lod1.polygons[0].rings[0]).toEqual([
      458900, 5438400, 104, 458910, 5438400, 104, 458910, 5438410, 104, 458900, 5438410, 104,
    ]);
  });

  it('returns polygons in document order, each once, whatever the order and repeats of the xlinks to them', async () => {
    // Polygons are squares at heights z = 1..4; the solid (LOD 1 and LOD 3) references some of them again, backwards,
    // twice, and one (z = 5) defined in a later member.
    const square = (id: string, z: number) =>
      `<gml:surfaceMember><gml:Polygon gml:id="${id}"><gml:exterior><gml:LinearRing><gml:posList>` +
      `0 0 ${z} 1 0 ${z} 1 1 ${z} 0 0 ${z}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>`;
    const link = (id: string) => `<gml:surfaceMember xlink:href="#${id}"/>`;
    const xml = [
      '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" xmlns:bldg="http://www.opengis.net/citygml/building/2.0"',
      ' xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink">',
      '<core:cityObjectMember><bldg:Building gml:id="B">',
      `<bldg:lod1MultiSurface><gml:MultiSurface>${square('p1', 1)}</gml:MultiSurface></bldg:lod1MultiSurface>`,
      `<bldg:lod3MultiSurface><gml:MultiSurface>${square('p2', 2)}${square('p3', 3)}${link('p5')}${link('p4')}</gml:MultiSurface></bldg:lod3MultiSurface>`,
      `<bldg:lod3Solid><gml:Solid><gml:exterior><gml:CompositeSurface>${link('p4')}${link('p3')}${link('p2')}${link('p4')}${link('p5')}`,
      '</gml:CompositeSurface></gml:exterior></gml:Solid></bldg:lod3Solid>',
      `<bldg:lod4MultiSurface><gml:MultiSurface>${square('p4', 4)}</gml:MultiSurface></bldg:lod4MultiSurface>`,
      '</bldg:Building></core:cityObjectMember>',
      `<core:cityObjectMember><bldg:Building gml:id="C"><bldg:lod1MultiSurface><gml:MultiSurface>${square('p5', 5)}`,
      '</gml:MultiSurface></bldg:lod1MultiSurface></bldg:Building></core:cityObjectMember>',
      '</core:CityModel>',
    ].join('\n');
    const file = path.join(temporary, 'xlink-order.gml');
    writeFileSync(file, xml);
    const heights = (record: CityObjectRecord) => record.polygons.map((polygon) => polygon.rings[0][2]);
    // LOD 4 (highest): p4, then nothing else at LOD 4.
    expect(heights((await read(file)).byId.get('B')!)).toEqual([4]);
    // LOD 3: p2, p3 (own, in document order), p4 (defined later in the member, referenced twice), p5 (elsewhere).
    const lod3 = (await read(file, { lod: 3 })).byId.get('B')!;
    expect(lod3.lod).toBe(3);
    expect(heights(lod3)).toEqual([2, 3, 4, 5]);
    // Asked LOD 2: the highest up to it (1); asked LOD 0: none up to it, so the lowest (1).
    expect(heights((await read(file, { lod: 2 })).byId.get('B')!)).toEqual([1]);
    expect((await read(file, { lod: 0 })).byId.get('B')!.lod).toBe(1);
  });

  it('warns with the line where a posList that is not a list of coordinates starts', async () => {
    const xml = [
      '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" xmlns:bldg="http://www.opengis.net/citygml/building/2.0"',
      ' xmlns:gml="http://www.opengis.net/gml"><core:cityObjectMember><bldg:Building gml:id="B"><bldg:lod2MultiSurface>',
      '<gml:MultiSurface><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing>',
      '<gml:posList',
      ' srsDimension="3">0 0 1 1 0 1',
      '1 1 x 0 0 1',
      '</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface>',
      '</bldg:lod2MultiSurface></bldg:Building></core:cityObjectMember></core:CityModel>',
    ].join('\n');
    const file = path.join(temporary, 'bad-poslist.gml');
    writeFileSync(file, xml);
    const { warnings } = await read(file);
    // The start tag ends on line 5 (the line the reader gave before lines were counted only when asked for).
    expect(
      warnings.filter((warning) => /posList holds text/.test(warning.message)).map((w) => w.line),
    ).toEqual([5]);
  });

  it('returns attributes, generic attributes and the root envelope srsName', async () => {
    const { byId, result } = await read(XLINKS);
    expect(result.version).toBe('2.0');
    expect(result.rootSrsName).toBe('urn:ogc:def:crs:EPSG::25832');
    const building = byId.get('B1')!;
    expect(building.srsName).toBe('urn:ogc:def:crs:EPSG::25832');
    expect(building.attributes).toMatchObject({
      name: 'Forward reference house',
      owner: 'city',
      rooms: 7,
      yearOfConstruction: 1990,
      measuredHeight: 6.5,
    });
  });

  it('returns a BuildingPart with its parent id and its X3DMaterial colour', async () => {
    const { byId } = await read(XLINKS);
    expect(byId.has('B2')).toBe(false);
    const part = byId.get('BP1')!;
    expect(part.parentId).toBe('B2');
    expect(part.type).toBe('BuildingPart');
    expect(part.polygons[0].color).toEqual([1, 0, 0, 1]);
  });

  it('returns only the accepted types when a type filter is given', async () => {
    const { records } = await read(XLINKS, { acceptType: (type) => type === 'GenericCityObject' });
    expect(records.map((record) => record.id)).toEqual(['G1']);
  });

  it('bakes ImplicitGeometry: inline and xlinked templates × matrix + reference point', async () => {
    const { byId, warnings } = await read(path.join(FIXTURES, 'implicit-geometry_citygml2.0.gml'));
    expect(warnings).toEqual([]);
    // T1: the unit square scaled by 2 at (458950, 5438450, 100).
    expect(byId.get('T1')!.polygons.map((polygon) => polygon.rings)).toEqual([
      [[458950, 5438450, 100, 458952, 5438450, 100, 458952, 5438452, 100, 458950, 5438452, 100]],
    ]);
    // T2: the same template by xlink, lifted 5 m by the matrix, at (458960, 5438450, 100).
    expect(byId.get('T2')!.polygons.map((polygon) => polygon.rings)).toEqual([
      [[458960, 5438450, 105, 458961, 5438450, 105, 458961, 5438451, 105, 458960, 5438451, 105]],
    ]);
    expect(byId.get('T2')!.polygons[0].kind).toBe('vegetation');
  });

  it('applies X3DMaterials from a global appearance that follows the objects, by polygon or aggregate id', async () => {
    const { byId } = await read(path.join(FIXTURES, 'global-appearance_citygml2.0.gml'));
    expect(byId.get('A1')!.polygons[0].color).toEqual([0, 0, 1, 0.5]);
    expect(byId.get('A2')!.polygons[0].color).toEqual([0, 1, 0, 1]);
  });

  it('reads CityGML 1.0 with gml:coordinates and gml:pos rings, and a CRS declared on a geometry only', async () => {
    const { byId, result } = await read(path.join(FIXTURES, 'citygml1.0_coordinates.gml'));
    expect(result.version).toBe('1.0');
    expect(result.rootSrsName).toBeUndefined();
    const building = byId.get('OLD1')!;
    expect(building.srsName).toBe('EPSG:25832');
    expect(building.polygons.map((polygon) => polygon.rings[0])).toEqual([
      [458900, 5438400, 100, 458910, 5438400, 100, 458910, 5438410, 100, 458900, 5438410, 100],
      [458900, 5438400, 100, 458910, 5438400, 100, 458910, 5438400, 106, 458900, 5438400, 106],
    ]);
    // The street furniture has no srsName of its own: it takes the one the file declared first.
    const furniture = byId.get('BENCH1')!;
    expect(furniture.type).toBe('CityFurniture');
    expect(furniture.srsName).toBe('EPSG:25832');
    expect(furniture.polygons[0].kind).toBe('furniture');
  });

  it('reads gzipped files the same as plain ones', async () => {
    const gzipped = path.join(temporary, 'xlinks.gml.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(XLINKS)));
    const plain = await read(XLINKS);
    const compressed = await read(gzipped);
    expect(compressed.records.map((record) => record.polygons)).toEqual(
      plain.records.map((record) => record.polygons),
    );
  });

  it('returns the same objects and polygons for the CityGML 2.0 and 3.0 Building_and_garage pair', async () => {
    const version2 = await read(path.join(SHARED, 'Building_and_garage_LOD2_citygml2.0_EPSG25832.gml'));
    const version3 = await read(path.join(SHARED, 'Building_and_garage_LOD2_citygml3.0_EPSG25832.gml'));
    expect(version3.result.version).toBe('3.0');
    const summary = (records: CityObjectRecord[]) =>
      records.map((record) => ({
        type: record.type,
        parent: Boolean(record.parentId),
        polygons: record.polygons.length,
        kinds: record.polygons.map((polygon) => polygon.kind).sort(),
      }));
    expect(summary(version3.records)).toEqual(summary(version2.records));
    expect(version2.records.map((record) => record.type).sort()).toEqual([
      'Building',
      'BuildingPart',
      'TINRelief',
    ]);
  });

  it('throws a DataError with file and line when the XML is malformed, after emitting the objects before it', async () => {
    const file = path.join(FIXTURES, 'malformed_citygml2.0.gml');
    const records: CityObjectRecord[] = [];
    const error = await readCityGml(file, {
      onObject: (record) => records.push(record),
      onWarning: () => undefined,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).file).toBe(file);
    expect((error as DataError).line).toBe(14);
    expect((error as DataError).message).toMatch(/malformed XML/);
    expect(records.map((record) => record.id)).toEqual(['M1']);
  });

  it('throws a DataError when the file is truncated', async () => {
    const truncated = path.join(temporary, 'truncated.gml');
    const text = readFileSync(XLINKS, 'utf8');
    writeFileSync(truncated, text.slice(0, Math.floor(text.length * 0.6)));
    await expect(read(truncated)).rejects.toThrow(DataError);
  });

  it('refuses a DOCTYPE with entities and never reads the external entity', async () => {
    const error = await read(path.join(FIXTURES, 'xxe_citygml2.0.gml')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(/DOCTYPE with entity declarations refused/);
    expect((error as DataError).message).not.toMatch(/root:/);
  });

  it('throws a DataError naming the file when it does not exist', async () => {
    await expect(read(path.join(temporary, 'missing.gml'))).rejects.toThrow(/cannot read the file/);
  });

  it('returns 100 buildings for the citygml4j CityGML 3.0 file and 104 for Bedburg', async () => {
    expect(
      (await read(path.join(SHARED, 'citygml4j_lod2_buildings_citygml3.0_EPSG3068.gml'))).records.filter(
        (record) => record.type === 'Building',
      ),
    ).toHaveLength(100);
    const bedburg = await read(path.join(SHARED, 'Bedburg_LoD2_citygml2.0_UTM32-DHHN2016.gml'));
    expect(bedburg.records).toHaveLength(104);
    expect(bedburg.warnings).toEqual([]);
    // Solids xlink to the thematic surfaces: each face once (a box house has at least 5 faces, never doubled).
    for (const record of bedburg.records) {
      const keys = record.polygons.map((polygon) => polygon.rings[0].join(','));
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});
