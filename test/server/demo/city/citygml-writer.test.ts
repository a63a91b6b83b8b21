import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCityGml } from '../../../../server/demo/city/citygml-writer';
import { createDemoDistrict } from '../../../../server/demo/city/district';
import type { DemoBuilding } from '../../../../server/demo/city/types';

const run = promisify(execFile);

const CORE = 'http://www.opengis.net/citygml/2.0';
const BUILDING = 'http://www.opengis.net/citygml/building/2.0';
const GENERICS = 'http://www.opengis.net/citygml/generics/2.0';
const GML = 'http://www.opengis.net/gml';
const XAL = 'urn:oasis:names:tc:ciq:xsdschema:xAL:2.0';
const XLINK = 'http://www.w3.org/1999/xlink';
// CityGML 2.0 code list _AbstractBuilding_roofType.
const ROOF_TYPE_CODES = { flat: '1000', gabled: '1030', hipped: '1040' };

type Point = [number, number, number];

interface ParsedBuilding {
  id: string;
  fields: Map<string, string>;
  genericAttributes: Map<string, string>;
  solidReferences: string[];
  /** Polygon gml:id -> boundary surface kind and ring. */
  polygons: Map<string, { kind: string; ring: Point[] }>;
}

interface ParsedModel {
  rootNamespace: string;
  envelope: { srsName: string; srsDimension: string; lower: Point; upper: Point };
  buildings: ParsedBuilding[];
  allIds: string[];
}

/** Reads a CityGML file with an independent namespace-aware SAX parser. */
async function parseCityGml(path: string): Promise<ParsedModel> {
  const text = await readFile(path, 'utf8');
  const parser = new SaxesParser({ xmlns: true });
  const stack: Array<{
    uri: string;
    local: string;
    attributes: Record<string, { uri: string; value: string }>;
  }> = [];
  const model: ParsedModel = {
    rootNamespace: '',
    envelope: { srsName: '', srsDimension: '', lower: [0, 0, 0], upper: [0, 0, 0] },
    buildings: [],
    allIds: [],
  };
  let building: ParsedBuilding | undefined;
  let surfaceKind = '';
  let polygonId = '';
  let genericName = '';
  let inSolid = false;
  let textBuffer = '';
  parser.on('opentag', (tag) => {
    const attributes: Record<string, { uri: string; value: string }> = {};
    for (const attribute of Object.values(tag.attributes)) {
      if (typeof attribute !== 'string') attributes[`${attribute.uri}|${attribute.local}`] = attribute;
    }
    const id = attributes[`${GML}|id`]?.value;
    if (id) model.allIds.push(id);
    if (stack.length === 0) model.rootNamespace = tag.uri ?? '';
    stack.push({ uri: tag.uri ?? '', local: tag.local ?? '', attributes });
    textBuffer = '';
    if (tag.uri === GML && tag.local === 'Envelope' && !building) {
      model.envelope.srsName = attributes['|srsName']?.value ?? '';
      model.envelope.srsDimension = attributes['|srsDimension']?.value ?? '';
    }
    if (tag.uri === BUILDING && tag.local === 'Building') {
      building = {
        id: id ?? '',
        fields: new Map(),
        genericAttributes: new Map(),
        solidReferences: [],
        polygons: new Map(),
      };
    }
    if (!building) return;
    if (tag.uri === BUILDING && tag.local === 'lod2Solid') inSolid = true;
    if (inSolid && tag.uri === GML && tag.local === 'surfaceMember') {
      building.solidReferences.push(attributes[`${XLINK}|href`]?.value ?? '');
    }
    if (tag.uri === BUILDING && /^(Ground|Wall|Roof)Surface$/.test(tag.local ?? ''))
      surfaceKind = tag.local ?? '';
    if (tag.uri === GML && tag.local === 'Polygon') polygonId = id ?? '';
    if (tag.uri === GENERICS && tag.local === 'stringAttribute')
      genericName = attributes['|name']?.value ?? '';
  });
  parser.on('text', (text) => {
    textBuffer += text;
  });
  parser.on('closetag', () => {
    const element = stack.pop()!;
    const parent = stack[stack.length - 1];
    const content = textBuffer.trim();
    textBuffer = '';
    if (
      element.uri === GML &&
      (element.local === 'lowerCorner' || element.local === 'upperCorner') &&
      !building
    ) {
      const point = content.split(/\s+/).map(Number) as Point;
      if (element.local === 'lowerCorner') model.envelope.lower = point;
      else model.envelope.upper = point;
    }
    if (!building) return;
    if (element.uri === BUILDING && element.local === 'Building') {
      model.buildings.push(building);
      building = undefined;
      return;
    }
    if (element.uri === BUILDING && element.local === 'lod2Solid') inSolid = false;
    if (element.uri === GML && element.local === 'posList') {
      const values = content.split(/\s+/).map(Number);
      const ring: Point[] = [];
      for (let index = 0; index < values.length; index += 3)
        ring.push([values[index]!, values[index + 1]!, values[index + 2]!]);
      building.polygons.set(polygonId, { kind: surfaceKind, ring });
    }
    if (element.uri === GENERICS && element.local === 'value')
      building.genericAttributes.set(genericName, content);
    const leaf = `${element.uri === XAL ? 'xAL' : element.uri === GML ? 'gml' : element.uri === CORE ? 'core' : 'bldg'}:${element.local}`;
    if (
      [
        'gml:name',
        'bldg:function',
        'bldg:yearOfConstruction',
        'bldg:roofType',
        'bldg:measuredHeight',
        'bldg:storeysAboveGround',
        'core:informationSystem',
        'core:name',
        'xAL:LocalityName',
        'xAL:ThoroughfareNumber',
        'xAL:ThoroughfareName',
        'xAL:PostalCodeNumber',
        'xAL:CountryName',
      ].includes(leaf) &&
      parent
    ) {
      building.fields.set(leaf, content);
    }
  });
  parser.write(text).close();
  return model;
}

const key = (point: Point) => point.map((value) => value.toFixed(3)).join(',');

function unmatchedEdges(rings: Point[][]): number {
  const edges = new Map<string, number>();
  for (const ring of rings) {
    for (let index = 0; index < ring.length - 1; index += 1) {
      const edge = `${key(ring[index]!)}>${key(ring[index + 1]!)}`;
      edges.set(edge, (edges.get(edge) ?? 0) + 1);
    }
  }
  let unmatched = 0;
  for (const [edge, count] of edges) {
    const [from, to] = edge.split('>');
    if (count !== 1 || edges.get(`${to}>${from}`) !== 1) unmatched += 1;
  }
  return unmatched;
}

function signedVolume(rings: Point[][]): number {
  const origin = rings[0]![0]!;
  const local = (point: Point) => point.map((value, axis) => value - origin[axis]!) as Point;
  let volume = 0;
  for (const ring of rings) {
    const a = local(ring[0]!);
    for (let index = 1; index < ring.length - 2; index += 1) {
      const b = local(ring[index]!);
      const c = local(ring[index + 1]!);
      volume +=
        (a[0] * (b[1] * c[2] - b[2] * c[1]) -
          a[1] * (b[0] * c[2] - b[2] * c[0]) +
          a[2] * (b[0] * c[1] - b[1] * c[0])) /
        6;
    }
  }
  return volume;
}

describe('writeCityGml', () => {
  const district = createDemoDistrict({ buildingCount: 300, seed: 5 });
  let directory: string;
  let path: string;
  let model: ParsedModel;
  let written: { buildings: number; bytes: number };

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'plaza-citygml-writer-'));
    path = join(directory, 'district.gml');
    written = await writeCityGml(district, path);
    model = await parseCityGml(path);
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('returns the number of buildings and bytes it wrote', async () => {
    expect(written.buildings).toBe(300);
    expect(written.bytes).toBe((await stat(path)).size);
  });

  it('writes a well-formed XML file (xmllint --noout)', async () => {
    const result = await run('xmllint', ['--noout', path]);
    expect(result.stderr).toBe('');
  });

  it('writes a CityGML 2.0 CityModel whose Envelope names EPSG:25832 + DHHN2016 and contains every coordinate', () => {
    expect(model.rootNamespace).toBe(CORE);
    expect(model.envelope.srsName).toBe('urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::7837');
    expect(model.envelope.srsDimension).toBe('3');
    const { lower, upper } = model.envelope;
    const outside: string[] = [];
    for (const parsed of model.buildings) {
      for (const { ring } of parsed.polygons.values()) {
        for (const point of ring) {
          for (let axis = 0; axis < 3; axis += 1) {
            if (point[axis]! < lower[axis]! - 0.001 || point[axis]! > upper[axis]! + 0.001) {
              outside.push(`${parsed.id}: ${point.join(' ')}`);
            }
          }
        }
      }
    }
    expect(outside).toEqual([]);
    // The envelope is tight: some building touches each side.
    const all = model.buildings.flatMap((parsed) =>
      [...parsed.polygons.values()].flatMap((polygon) => polygon.ring),
    );
    for (let axis = 0; axis < 3; axis += 1) {
      expect(Math.min(...all.map((point) => point[axis]!))).toBeCloseTo(lower[axis]!, 3);
      expect(Math.max(...all.map((point) => point[axis]!))).toBeCloseTo(upper[axis]!, 3);
    }
  });

  it('writes one bldg:Building per building, in order, with gml:id = persistent id and unique gml:ids', () => {
    expect(model.buildings.map((parsed) => parsed.id)).toEqual(
      district.buildings.map((building) => building.id),
    );
    expect(new Set(model.allIds).size).toBe(model.allIds.length);
    for (const parsed of model.buildings) {
      expect(parsed.genericAttributes.get('persistentId')).toBe(parsed.id);
      expect(parsed.fields.get('core:name')).toBe(parsed.id);
    }
  });

  it('writes the attributes and xAL address of each building', () => {
    model.buildings.forEach((parsed, index) => {
      const building = district.buildings[index]!;
      expect(parsed.fields.get('gml:name')).toBe(building.name);
      expect(parsed.fields.get('bldg:function')).toBe(building.function.code);
      expect(Number(parsed.fields.get('bldg:yearOfConstruction'))).toBe(building.yearOfConstruction);
      expect(parsed.fields.get('bldg:roofType')).toBe(ROOF_TYPE_CODES[building.roofType]);
      expect(Number(parsed.fields.get('bldg:measuredHeight'))).toBeCloseTo(building.measuredHeight, 6);
      expect(Number(parsed.fields.get('bldg:storeysAboveGround'))).toBe(building.storeysAboveGround);
      expect(parsed.fields.get('xAL:CountryName')).toBe('Germany');
      expect(parsed.fields.get('xAL:LocalityName')).toBe(building.address.city);
      expect(parsed.fields.get('xAL:ThoroughfareName')).toBe(building.address.street);
      expect(parsed.fields.get('xAL:ThoroughfareNumber')).toBe(building.address.houseNumber);
      expect(parsed.fields.get('xAL:PostalCodeNumber')).toBe(building.address.postalCode);
      expect(parsed.genericAttributes.get('blockId')).toBe(building.blockId);
      expect(parsed.genericAttributes.get('districtId')).toBe(building.districtId);
    });
  });

  it('writes an lod2Solid whose xlink:href members are exactly the boundary surfaces of the same building', () => {
    for (const parsed of model.buildings) {
      expect(parsed.solidReferences.length).toBe(parsed.polygons.size);
      const targets = parsed.solidReferences.map((reference) => {
        expect(reference.startsWith('#')).toBe(true);
        return reference.slice(1);
      });
      expect(new Set(targets)).toEqual(new Set(parsed.polygons.keys()));
    }
  });

  it('writes one ground, four or more walls, and 1, 2 or 4 roof surfaces for flat, gabled and hipped roofs', () => {
    const expectedRoofs = { flat: 1, gabled: 2, hipped: 4 };
    model.buildings.forEach((parsed, index) => {
      const kinds = [...parsed.polygons.values()].map((polygon) => polygon.kind);
      expect(kinds.filter((kind) => kind === 'GroundSurface')).toHaveLength(1);
      expect(kinds.filter((kind) => kind === 'WallSurface').length).toBeGreaterThanOrEqual(4);
      expect(kinds.filter((kind) => kind === 'RoofSurface')).toHaveLength(
        expectedRoofs[district.buildings[index]!.roofType],
      );
    });
  });

  it('writes roof geometry whose highest point lies measuredHeight above the ground surface', () => {
    model.buildings.forEach((parsed, index) => {
      const building = district.buildings[index]!;
      const polygons = [...parsed.polygons.values()];
      const ground = polygons.find((polygon) => polygon.kind === 'GroundSurface')!;
      const groundHeight = Math.min(...ground.ring.map((point) => point[2]));
      const roofTop = Math.max(
        ...polygons
          .filter((polygon) => polygon.kind === 'RoofSurface')
          .flatMap((polygon) => polygon.ring.map((point) => point[2])),
      );
      expect(groundHeight).toBeCloseTo(building.groundHeight, 3);
      expect(roofTop - groundHeight).toBeCloseTo(Number(parsed.fields.get('bldg:measuredHeight')), 2);
      const roofBottom = Math.min(
        ...polygons
          .filter((polygon) => polygon.kind === 'RoofSurface')
          .flatMap((polygon) => polygon.ring.map((point) => point[2])),
      );
      // A pitched roof slopes from eaves to ridge; a flat one is level.
      if (building.roofType === 'flat') expect(roofTop - roofBottom).toBeLessThan(0.001);
      else expect(roofTop - roofBottom).toBeGreaterThan(0.5);
    });
  });

  it('writes closed rings that bound a closed solid with outward normals', () => {
    for (const parsed of model.buildings) {
      const rings = [...parsed.polygons.values()].map((polygon) => polygon.ring);
      for (const ring of rings) {
        expect(ring.length).toBeGreaterThanOrEqual(4);
        expect(ring[ring.length - 1]).toEqual(ring[0]);
      }
      expect(unmatchedEdges(rings), parsed.id).toBe(0);
      expect(signedVolume(rings), parsed.id).toBeGreaterThan(0);
    }
  });

  it('writes a file that the GDAL GML driver reads as EPSG:25832 buildings with one LOD2 face per surface', async () => {
    const gdalDirectory = join(directory, 'gdal');
    await mkdir(gdalDirectory);
    const gdalPath = join(gdalDirectory, 'district.gml');
    const small = createDemoDistrict({ buildingCount: 40, seed: 11 });
    await writeCityGml(small, gdalPath);
    // GDAL resolves the lod2Solid's xlinks only when asked to.
    const { stdout } = await run(
      'ogrinfo',
      ['-ro', '-al', '-q', '--config', 'GML_SKIP_RESOLVE_ELEMS', 'NONE', gdalPath],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const features = stdout.split('OGRFeature(Building):').slice(1);
    expect(features).toHaveLength(40);
    const expectedFaces = { flat: 6, gabled: 7, hipped: 9 };
    features.forEach((feature, index) => {
      const building = small.buildings[index]!;
      expect(feature).toContain(`gml_id (String) = ${building.id}`);
      expect(feature).toContain(`function (Integer) = ${building.function.code}`);
      expect(feature).toContain(`ThoroughfareName (String) = ${building.address.street}`);
      const geometry = /POLYHEDRALSURFACE Z \((.*)\)/.exec(feature);
      expect(geometry, building.id).not.toBeNull();
      const faces = geometry![1]!.split('((').length - 1;
      expect(faces).toBe(expectedFaces[building.roofType]);
      const heights = [...geometry![1]!.matchAll(/[\d.]+ [\d.]+ ([\d.]+)/g)].map((match) => Number(match[1]));
      expect(Math.max(...heights) - Math.min(...heights)).toBeCloseTo(building.measuredHeight, 2);
    });
    const { stdout: summary } = await run('ogrinfo', ['-ro', '-so', '-al', gdalPath]);
    expect(summary).toContain('ID["EPSG",25832]');
  });

  it('escapes XML special characters in names and addresses', async () => {
    const building: DemoBuilding = {
      ...district.buildings[0]!,
      name: 'Café "Zur Krone" & <Bar> \'Eck\'',
      address: { ...district.buildings[0]!.address, street: 'Straße <A&B>' },
    };
    const escapedPath = join(directory, 'escaped.gml');
    await writeCityGml({ name: 'A & B <demo>', buildings: [building] }, escapedPath);
    await run('xmllint', ['--noout', escapedPath]);
    const parsed = await parseCityGml(escapedPath);
    expect(parsed.buildings[0]!.fields.get('gml:name')).toBe(building.name);
    expect(parsed.buildings[0]!.fields.get('xAL:ThoroughfareName')).toBe('Straße <A&B>');
  });

  it('streams from any iterable when given an envelope, reporting progress', async () => {
    const large = createDemoDistrict({ buildingCount: 2_500, seed: 5 });
    function* lazily(): Generator<DemoBuilding> {
      yield* large.buildings;
    }
    const progress: number[] = [];
    const streamedPath = join(directory, 'streamed.gml');
    const result = await writeCityGml({ buildings: lazily() }, streamedPath, {
      envelope: { lowerCorner: [0, 0, 0], upperCorner: [1e6, 1e7, 1e3] },
      onProgress: ({ buildings }) => progress.push(buildings),
    });
    expect(result.buildings).toBe(2_500);
    expect(progress).toEqual([1_000, 2_000, 2_500]);
    const parsed = await parseCityGml(streamedPath);
    expect(parsed.buildings).toHaveLength(2_500);
  });

  it('throws a TypeError when the buildings are not an array and no envelope is given', async () => {
    function* none(): Generator<DemoBuilding> {}
    await expect(writeCityGml({ buildings: none() }, join(directory, 'never.gml'))).rejects.toThrow(
      TypeError,
    );
  });

  it('rejects with the file system error when the folder does not exist, for small and large files', async () => {
    // One building fits in the stream's buffer, 300 do not: both paths must report the error.
    for (const source of [{ buildings: district.buildings.slice(0, 1) }, district]) {
      await expect(writeCityGml(source, join(directory, 'missing', 'x.gml'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    }
  });
});
