// Streams demo buildings as a CityGML 2.0 LOD2 file: one bldg:Building per building with its attributes, xAL address,
// thematic boundary surfaces and an lod2Solid that references their polygons by xlink:href, as real LOD2 data does.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { buildBuildingSurfaces, type DemoSurfaceKind, type Point3 } from './building-geometry';
import type { DemoBuilding } from './types';

/** ETRS89 / UTM 32N with DHHN2016 heights, written on the Envelope. */
export const CITYGML_SRS_NAME = 'urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::7837';
/** The information system named in each building's core:externalReference (its persistent id). */
export const DEMO_INFORMATION_SYSTEM = 'urn:plaza:demo-city';

const FUNCTION_CODE_SPACE =
  'http://www.sig3d.org/codelists/standard/building/2.0/_AbstractBuilding_function.xml';
const ROOF_TYPE_CODE_SPACE =
  'http://www.sig3d.org/codelists/standard/building/2.0/_AbstractBuilding_roofType.xml';
/** CityGML 2.0 RoofType codes. */
const ROOF_TYPE_CODES = { flat: '1000', gabled: '1030', hipped: '1040' } as const;
/** Bytes gathered before handing a chunk to the file stream. */
const CHUNK_BYTES = 1 << 20;

/** The 3D box a CityGML file declares on its root gml:Envelope. */
export interface CityGmlEnvelope {
  lowerCorner: Point3;
  upperCorner: Point3;
}

export interface WriteCityGmlProgress {
  buildings: number;
  bytes: number;
}

/** Options of {@link writeCityGml}. */
export interface WriteCityGmlOptions {
  /** The root envelope; required when `buildings` is not an array (it cannot be read twice). */
  envelope?: CityGmlEnvelope;
  /** Called every 1,000 buildings and at the end, once per count. */
  onProgress?: (progress: WriteCityGmlProgress) => void;
}

/**
 * Writes buildings to `outPath` as CityGML 2.0 LOD2, streamed in 1 MiB chunks that wait for the file stream to drain,
 * so memory stays flat however many buildings there are.
 *
 * @param source - a DemoDistrict or anything with a name and buildings (an array, or any iterable plus
 *   `options.envelope`)
 * @returns the number of buildings and bytes written
 * @throws TypeError when `buildings` is not an array and no envelope is given
 * @throws the file system's error when the file cannot be written (the partial file is left for the caller)
 */
export async function writeCityGml(
  source: { name?: string; buildings: Iterable<DemoBuilding> },
  outPath: string,
  options: WriteCityGmlOptions = {},
): Promise<{ buildings: number; bytes: number }> {
  let envelope = options.envelope;
  if (!envelope) {
    if (!Array.isArray(source.buildings)) {
      throw new TypeError('writeCityGml: pass options.envelope when buildings is not an array');
    }
    envelope = computeEnvelope(source.buildings);
  }
  const stream = createWriteStream(outPath);
  // An error between two awaits (say, the file cannot be opened) must not go unhandled; `once` and `finished` below
  // report it.
  stream.on('error', () => {});
  let pending = '';
  let bytes = 0;
  let buildings = 0;
  let reported = -1;
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    const chunk = Buffer.from(pending, 'utf8');
    pending = '';
    bytes += chunk.length;
    // Respect backpressure: wait for 'drain' (events.once rejects on 'error').
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  try {
    pending += formatHeader(source.name ?? 'Plaza demo city', envelope);
    for (const building of source.buildings) {
      pending += formatBuilding(building);
      buildings += 1;
      if (pending.length >= CHUNK_BYTES) await flush();
      if (buildings % 1_000 === 0) {
        options.onProgress?.({ buildings, bytes: bytes + pending.length });
        reported = buildings;
      }
    }
    pending += '</core:CityModel>\n';
    await flush();
    stream.end();
    await finished(stream);
  } catch (error) {
    stream.destroy();
    throw error;
  }
  if (reported !== buildings || buildings === 0) options.onProgress?.({ buildings, bytes });
  return { buildings, bytes };
}

/** The 3D bounding box of the buildings: footprints from ground to the highest roof point. */
export function computeEnvelope(buildings: Iterable<DemoBuilding>): CityGmlEnvelope {
  const lower: Point3 = [Infinity, Infinity, Infinity];
  const upper: Point3 = [-Infinity, -Infinity, -Infinity];
  for (const building of buildings) {
    for (const [easting, northing] of building.footprint) {
      lower[0] = Math.min(lower[0], easting);
      lower[1] = Math.min(lower[1], northing);
      upper[0] = Math.max(upper[0], easting);
      upper[1] = Math.max(upper[1], northing);
    }
    lower[2] = Math.min(lower[2], building.groundHeight);
    upper[2] = Math.max(upper[2], building.groundHeight + building.measuredHeight);
  }
  if (lower[0] === Infinity) return { lowerCorner: [0, 0, 0], upperCorner: [0, 0, 0] };
  return { lowerCorner: lower, upperCorner: upper };
}

function formatHeader(name: string, envelope: CityGmlEnvelope): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0"' +
    ' xmlns:bldg="http://www.opengis.net/citygml/building/2.0"' +
    ' xmlns:gen="http://www.opengis.net/citygml/generics/2.0"' +
    ' xmlns:gml="http://www.opengis.net/gml"' +
    ' xmlns:xAL="urn:oasis:names:tc:ciq:xsdschema:xAL:2.0"' +
    ' xmlns:xlink="http://www.w3.org/1999/xlink"' +
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
    ' xsi:schemaLocation="http://www.opengis.net/citygml/building/2.0 http://schemas.opengis.net/citygml/building/2.0/building.xsd' +
    ' http://www.opengis.net/citygml/generics/2.0 http://schemas.opengis.net/citygml/generics/2.0/generics.xsd">\n' +
    `<gml:name>${escapeXml(name)}</gml:name>\n` +
    '<gml:boundedBy>\n' +
    `<gml:Envelope srsName="${CITYGML_SRS_NAME}" srsDimension="3">\n` +
    `<gml:lowerCorner>${formatPoint(envelope.lowerCorner)}</gml:lowerCorner>\n` +
    `<gml:upperCorner>${formatPoint(envelope.upperCorner)}</gml:upperCorner>\n` +
    '</gml:Envelope>\n' +
    '</gml:boundedBy>\n'
  );
}

const SURFACE_ID_PART: Record<DemoSurfaceKind, string> = {
  GroundSurface: 'ground',
  WallSurface: 'wall',
  RoofSurface: 'roof',
};

/**
 * One building as a `core:cityObjectMember`, elements in the order the CityGML 2.0 schema requires.
 * @throws Error when the building's roof cannot be built on its footprint (see buildBuildingSurfaces)
 */
export function formatBuilding(building: DemoBuilding): string {
  const id = building.id;
  const surfaces = buildBuildingSurfaces(building);
  const counters: Record<DemoSurfaceKind, number> = { GroundSurface: 0, WallSurface: 0, RoofSurface: 0 };
  let members = '';
  let boundedBy = '';
  for (const surface of surfaces) {
    counters[surface.kind] += 1;
    const surfaceId = `${id}_${SURFACE_ID_PART[surface.kind]}_${counters[surface.kind]}`;
    const polygonId = `${surfaceId}_polygon`;
    members += `<gml:surfaceMember xlink:href="#${polygonId}"/>\n`;
    boundedBy +=
      `<bldg:boundedBy>\n<bldg:${surface.kind} gml:id="${surfaceId}">\n<bldg:lod2MultiSurface>\n<gml:MultiSurface>\n` +
      `<gml:surfaceMember>\n<gml:Polygon gml:id="${polygonId}">\n<gml:exterior>\n<gml:LinearRing>\n` +
      `<gml:posList srsDimension="3">${surface.ring.map(formatPoint).join(' ')}</gml:posList>\n` +
      `</gml:LinearRing>\n</gml:exterior>\n</gml:Polygon>\n</gml:surfaceMember>\n` +
      `</gml:MultiSurface>\n</bldg:lod2MultiSurface>\n</bldg:${surface.kind}>\n</bldg:boundedBy>\n`;
  }
  const address = building.address;
  return (
    `<core:cityObjectMember>\n<bldg:Building gml:id="${escapeXml(id)}">\n` +
    (building.name ? `<gml:name>${escapeXml(building.name)}</gml:name>\n` : '') +
    '<core:externalReference>\n' +
    `<core:informationSystem>${DEMO_INFORMATION_SYSTEM}</core:informationSystem>\n` +
    `<core:externalObject>\n<core:name>${escapeXml(id)}</core:name>\n</core:externalObject>\n` +
    '</core:externalReference>\n' +
    stringAttribute('persistentId', id) +
    stringAttribute('districtId', building.districtId) +
    stringAttribute('blockId', building.blockId) +
    `<bldg:function codeSpace="${FUNCTION_CODE_SPACE}">${escapeXml(building.function.code)}</bldg:function>\n` +
    `<bldg:yearOfConstruction>${building.yearOfConstruction}</bldg:yearOfConstruction>\n` +
    `<bldg:roofType codeSpace="${ROOF_TYPE_CODE_SPACE}">${ROOF_TYPE_CODES[building.roofType]}</bldg:roofType>\n` +
    `<bldg:measuredHeight uom="m">${building.measuredHeight.toFixed(2)}</bldg:measuredHeight>\n` +
    `<bldg:storeysAboveGround>${building.storeysAboveGround}</bldg:storeysAboveGround>\n` +
    '<bldg:lod2Solid>\n<gml:Solid>\n<gml:exterior>\n<gml:CompositeSurface>\n' +
    members +
    '</gml:CompositeSurface>\n</gml:exterior>\n</gml:Solid>\n</bldg:lod2Solid>\n' +
    boundedBy +
    '<bldg:address>\n<core:Address>\n<core:xalAddress>\n<xAL:AddressDetails>\n<xAL:Country>\n' +
    '<xAL:CountryName>Germany</xAL:CountryName>\n<xAL:Locality Type="Town">\n' +
    `<xAL:LocalityName>${escapeXml(address.city)}</xAL:LocalityName>\n<xAL:Thoroughfare Type="Street">\n` +
    `<xAL:ThoroughfareNumber>${escapeXml(address.houseNumber)}</xAL:ThoroughfareNumber>\n` +
    `<xAL:ThoroughfareName>${escapeXml(address.street)}</xAL:ThoroughfareName>\n</xAL:Thoroughfare>\n` +
    `<xAL:PostalCode>\n<xAL:PostalCodeNumber>${escapeXml(address.postalCode)}</xAL:PostalCodeNumber>\n</xAL:PostalCode>\n` +
    '</xAL:Locality>\n</xAL:Country>\n</xAL:AddressDetails>\n</core:xalAddress>\n</core:Address>\n</bldg:address>\n' +
    '</bldg:Building>\n</core:cityObjectMember>\n'
  );
}

function stringAttribute(name: string, value: string): string {
  return `<gen:stringAttribute name="${name}">\n<gen:value>${escapeXml(value)}</gen:value>\n</gen:stringAttribute>\n`;
}

function formatPoint(point: Point3): string {
  return `${point[0].toFixed(3)} ${point[1].toFixed(3)} ${point[2].toFixed(3)}`;
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => XML_ESCAPES[character]!);
}
