// Stage: collect CityGML appearances (X3DMaterial targets and ParameterizedTexture assignments (2.0 `target uri` + `textureCoordinates ring`, 3.0
// `TextureAssociation` + `TexCoordList`) in a first pass, since global appearances follow the objects they colour.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SaxesParser } from 'saxes';
import type { SaxesTagPlain } from 'saxes';
import { DataError } from '../errors';
import type { ConversionWarning } from '../errors';
import { readByteChunks, readTextChunks } from './open-input';

/** Texture of one polygon: the image and the u,v list of each ring, keyed by the ring's gml:id. */
export interface PolygonTexture {
  image: string;
  ringUvs: Map<string, number[]>;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

function stripHash(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith('#') ? trimmed.slice(1) : trimmed;
}

/** Everything the appearance pass found. */
export interface CityGmlAppearances {
  /** Polygon gml:id → texture (only for images that exist). */
  textures: Map<string, PolygonTexture>;
  /** Surface gml:id → X3DMaterial diffuse colour and opacity. */
  materials: Map<string, [number, number, number, number]>;
}

/** True when the file's bytes contain `needle` (ASCII; streamed on raw bytes, no text decoding; gzip handled). */
export async function fileContainsText(file: string, needle: string | string[]): Promise<boolean> {
  const patterns = (Array.isArray(needle) ? needle : [needle]).map((text) => Buffer.from(text, 'latin1'));
  const longest = Math.max(...patterns.map((pattern) => pattern.length));
  let tail: Buffer = Buffer.alloc(0);
  // The reader's chunks are valid only until the next one (a reused buffer): the tail kept across is a copy.
  for await (const chunk of readByteChunks(file, () => undefined)) {
    if (patterns.some((pattern) => chunk.includes(pattern))) return true;
    // A match across the boundary lies within the previous chunk's last bytes and this one's first: only those are
    // joined (joining whole chunks copied the file once more).
    if (tail.length > 0) {
      const seam = Buffer.concat([tail, chunk.subarray(0, longest - 1)]);
      if (patterns.some((pattern) => seam.includes(pattern))) return true;
    }
    const end = chunk.length >= longest - 1 ? chunk : Buffer.concat([tail, chunk]);
    tail = Buffer.from(end.subarray(Math.max(0, end.length - longest + 1)));
  }
  return false;
}

/** True when a CityGML file has global appearances (textures, or appearance members resolved across the file). */
export function fileHasAppearances(file: string): Promise<boolean> {
  return fileContainsText(file, ['ParameterizedTexture', 'appearanceMember']);
}

/**
 * Reads every X3DMaterial and ParameterizedTexture of a CityGML file. Images are resolved beside the file; a missing image or a format
 * other than JPEG/PNG is reported once and its polygons keep their colours.
 * @returns textures by polygon gml:id (only for images that exist) and material colours by surface gml:id.
 * @throws DataError when the XML is malformed.
 */
export async function readCityGmlAppearances(
  file: string,
  onWarning: (warning: ConversionWarning) => void,
): Promise<CityGmlAppearances> {
  const textures = new Map<string, PolygonTexture>();
  const materials = new Map<string, [number, number, number, number]>();
  let material: { diffuse: string; transparency: string; targets: string[] } | undefined;
  const parser = new SaxesParser({ xmlns: false, position: true });
  const directory = path.dirname(file);
  const missing = new Set<string>();
  let texture:
    | { imageUri: string; line: number; targets: Array<{ polygon: string; ringUvs: Map<string, number[]> }> }
    | undefined;
  let target: { polygon: string; ringUvs: Map<string, number[]> } | undefined;
  let list: { coordinates: number[][]; rings: string[] } | undefined;
  let capture: string | undefined;
  let captureName = '';
  let ringAttribute: string | undefined;
  parser.on('doctype', (doctype) => {
    if (/<!ENTITY/i.test(doctype))
      throw new DataError(
        'DOCTYPE with entity declarations refused (external entities and DTDs are never resolved)',
        file,
        parser.line,
      );
  });
  parser.on('text', (text) => {
    if (capture !== undefined) capture += text;
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    const name = localName(tag.name);
    const attributes = tag.attributes as Record<string, string>;
    if (name === 'ParameterizedTexture') texture = { imageUri: '', line: parser.line, targets: [] };
    if (name === 'X3DMaterial') material = { diffuse: '', transparency: '', targets: [] };
    if (material && (name === 'diffuseColor' || name === 'transparency' || name === 'target')) {
      if (name === 'target' && attributes['xlink:href'])
        material.targets.push(stripHash(attributes['xlink:href']));
      capture = '';
      captureName = name;
      return;
    }
    if (!texture) return;
    if (
      name === 'imageURI' ||
      name === 'textureCoordinates' ||
      name === 'ring' ||
      (name === 'target' && attributes.uri === undefined)
    ) {
      capture = '';
      captureName = name;
      ringAttribute = name === 'textureCoordinates' ? attributes.ring : undefined;
    }
    if (name === 'target' && attributes.uri !== undefined) {
      target = { polygon: stripHash(attributes.uri), ringUvs: new Map() };
      texture.targets.push(target);
    } else if (name === 'TextureAssociation') {
      target = { polygon: '', ringUvs: new Map() };
      texture.targets.push(target);
    } else if (name === 'TexCoordList') list = { coordinates: [], rings: [] };
  });
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    if (material) {
      if (capture !== undefined && name === captureName) {
        const value = capture.trim();
        capture = undefined;
        if (name === 'diffuseColor') material.diffuse = value;
        else if (name === 'transparency') material.transparency = value;
        else if (name === 'target' && value !== '') material.targets.push(stripHash(value));
      } else if (name === 'X3DMaterial') {
        const values = (material.diffuse || '0.8 0.8 0.8').split(/\s+/).map(Number);
        const clamp = (value: number) => Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0.8));
        const color: [number, number, number, number] = [
          clamp(values[0]),
          clamp(values[1]),
          clamp(values[2]),
          clamp(1 - (Number(material.transparency) || 0)),
        ];
        for (const target of material.targets) materials.set(target, color);
        material = undefined;
      }
      return;
    }
    if (!texture) return;
    if (capture !== undefined && name === captureName) {
      const value = capture;
      capture = undefined;
      if (name === 'imageURI') texture.imageUri = value.trim();
      else if (name === 'target' && target) target.polygon = stripHash(value);
      else if (name === 'textureCoordinates') {
        const numbers = value.trim().split(/\s+/).map(Number);
        if (ringAttribute !== undefined && target) target.ringUvs.set(stripHash(ringAttribute), numbers);
        else list?.coordinates.push(numbers);
      } else if (name === 'ring') list?.rings.push(stripHash(value));
    }
    if (name === 'TexCoordList' && list && target) {
      list.rings.forEach((ring, index) => {
        if (list!.coordinates[index]) target!.ringUvs.set(ring, list!.coordinates[index]);
      });
      list = undefined;
    } else if (name === 'ParameterizedTexture') {
      const finished = texture;
      texture = undefined;
      const image = path.resolve(directory, finished.imageUri);
      if (!/\.(jpe?g|png)$/i.test(image)) {
        onWarning({
          file,
          line: finished.line,
          message: `texture ${finished.imageUri} is neither JPEG nor PNG; its surfaces keep their colours`,
        });
        return;
      }
      if (!existsSync(image)) {
        if (!missing.has(image))
          onWarning({
            file,
            line: finished.line,
            message: `texture image ${finished.imageUri} is missing; its surfaces keep their colours`,
          });
        missing.add(image);
        return;
      }
      for (const entry of finished.targets)
        if (entry.polygon !== '') textures.set(entry.polygon, { image, ringUvs: entry.ringUvs });
    }
  });
  try {
    for await (const chunk of readTextChunks(file, () => undefined)) parser.write(chunk);
    parser.close();
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(
      `malformed XML: ${(error as Error).message.replace(/^(?:[^:]*:)?\d+:\d+: /, '')}`,
      file,
      parser.line,
    );
  }
  return { textures, materials };
}
