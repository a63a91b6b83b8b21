// 3D Tiles tilesets as OGC API 3D GeoVolumes collections: discovery under the tilesets folder, the 3D extent of
// each root bounding volume, and a static file route with the right media types, CORS, ETag, Range, gzip and cache
// lifetimes that never serves a file outside the tileset's folder.
import { createReadStream, existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, notFound } from '../http/errors';
import { tilesetCacheControl } from '../http/tileset-cache';
import type { TilesetCollectionEntry } from './catalog';

const MEDIA_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.b3dm': 'application/octet-stream',
  '.i3dm': 'application/octet-stream',
  '.pnts': 'application/octet-stream',
  '.cmpt': 'application/octet-stream',
  '.subtree': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ktx2': 'image/ktx2',
};

const WGS84_A = 6378137;
const WGS84_E2 = 6.69437999014e-3;

/** ECEF (metres) to longitude, latitude (degrees) and ellipsoidal height (Bowring's method). */
export function ecefToGeodetic([x, y, z]: [number, number, number]): [number, number, number] {
  const b = WGS84_A * Math.sqrt(1 - WGS84_E2);
  const ep2 = (WGS84_A * WGS84_A - b * b) / (b * b);
  const p = Math.hypot(x, y);
  const theta = Math.atan2(z * WGS84_A, p * b);
  const latitude = Math.atan2(
    z + ep2 * b * Math.sin(theta) ** 3,
    p - WGS84_E2 * WGS84_A * Math.cos(theta) ** 3,
  );
  const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * Math.sin(latitude) ** 2);
  // This form of the height stays exact at the poles, where p / cos(latitude) would be 0 / 0.
  const height = p * Math.cos(latitude) + z * Math.sin(latitude) - (WGS84_A * WGS84_A) / n;
  return [(Math.atan2(y, x) * 180) / Math.PI, (latitude * 180) / Math.PI, height];
}

function applyTransform(matrix: number[] | undefined, [x, y, z]: number[]): [number, number, number] {
  if (!matrix || matrix.length !== 16) return [x, y, z];
  // Column-major 4x4 as 3D Tiles writes it.
  return [
    matrix[0] * x + matrix[4] * y + matrix[8] * z + matrix[12],
    matrix[1] * x + matrix[5] * y + matrix[9] * z + matrix[13],
    matrix[2] * x + matrix[6] * y + matrix[10] * z + matrix[14],
  ];
}

/**
 * The CRS84h extent [west, south, minHeight, east, north, maxHeight] of a tileset's root bounding volume (region,
 * or box/sphere in ECEF after the root transform), or undefined when it has none.
 */
export function tilesetExtent(tileset: unknown): number[] | undefined {
  const root = (tileset as { root?: { boundingVolume?: Record<string, number[]>; transform?: number[] } })
    ?.root;
  const volume = root?.boundingVolume;
  if (!volume) return undefined;
  const degrees = (radians: number) => (radians * 180) / Math.PI;
  if (Array.isArray(volume.region) && volume.region.length === 6) {
    const [west, south, east, north, minimumHeight, maximumHeight] = volume.region;
    return [degrees(west), degrees(south), minimumHeight, degrees(east), degrees(north), maximumHeight];
  }
  let corners: number[][] = [];
  if (Array.isArray(volume.box) && volume.box.length === 12) {
    const [cx, cy, cz, ...axes] = volume.box;
    for (const a of [-1, 1]) {
      for (const b of [-1, 1]) {
        for (const c of [-1, 1]) {
          corners.push(
            [0, 1, 2].map((i) => [cx, cy, cz][i] + a * axes[i] + b * axes[3 + i] + c * axes[6 + i]),
          );
        }
      }
    }
  } else if (Array.isArray(volume.sphere) && volume.sphere.length === 4) {
    const [cx, cy, cz, radius] = volume.sphere;
    corners = [-1, 1].flatMap((a) =>
      [-1, 1].flatMap((b) => [-1, 1].map((c) => [cx + a * radius, cy + b * radius, cz + c * radius])),
    );
  } else return undefined;
  const points = corners.map((corner) => ecefToGeodetic(applyTransform(root?.transform, corner)));
  // Only meaningful for volumes placed on the globe (ECEF): a local volume without transform sits near the centre.
  if (points.some((point) => !Number.isFinite(point[2]) || point[2] < -1_000_000)) return undefined;
  const pick = (index: number, reduce: (...values: number[]) => number) =>
    reduce(...points.map((point) => point[index]));
  return [
    pick(0, Math.min),
    pick(1, Math.min),
    pick(2, Math.min),
    pick(0, Math.max),
    pick(1, Math.max),
    pick(2, Math.max),
  ];
}

/** Every `<folder>/tileset.json` directly under the tilesets folder, as collection entries (id = folder name). */
export function discoverTilesets(tilesetsDirectory: string): TilesetCollectionEntry[] {
  if (!existsSync(tilesetsDirectory)) return [];
  const entries: TilesetCollectionEntry[] = [];
  for (const folder of readdirSync(tilesetsDirectory, { withFileTypes: true })) {
    if (!folder.isDirectory() || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(folder.name)) continue;
    const directory = join(tilesetsDirectory, folder.name);
    const file = join(directory, 'tileset.json');
    if (!existsSync(file)) continue;
    let tileset: Record<string, unknown>;
    try {
      tileset = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      continue;
    }
    const asset = tileset.asset as { extras?: { title?: string; description?: string } } | undefined;
    entries.push({
      kind: 'tileset',
      id: folder.name,
      title: asset?.extras?.title ?? `${folder.name} (3D Tiles)`,
      description: asset?.extras?.description ?? `3D Tiles tileset ${folder.name}`,
      keywords: ['3D Tiles', '3D GeoVolumes'],
      visibility: 'public',
      directory,
      bbox: tilesetExtent(tileset),
    });
  }
  return entries;
}

/**
 * The file a `3dtiles/<path>` request names, inside the tileset folder, or undefined.
 * Rejects `..`, absolute paths, NUL bytes, hidden files and symbolic links that lead outside the folder.
 */
export function resolveTilesetFile(directory: string, path: string): string | undefined {
  if (path === '' || path.includes('\0') || path.includes('\\')) return undefined;
  const segments = path.split('/');
  if (
    segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || segment.startsWith('.'),
    )
  )
    return undefined;
  const root = realpathSync(directory);
  const candidate = resolve(root, ...segments);
  if (!candidate.startsWith(root + sep)) return undefined;
  if (!existsSync(candidate)) return undefined;
  const real = realpathSync(candidate);
  if (!real.startsWith(root + sep) || !statSync(real).isFile()) return undefined;
  return real;
}

function parseRange(header: string, size: number): { start: number; end: number } | 'invalid' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}

/**
 * Sends one file of a tileset.
 * @throws ApiError 404 for a path outside the tileset or missing, 416 for an unsatisfiable Range
 */
export async function sendTilesetFile(
  entry: TilesetCollectionEntry,
  path: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw notFound(`no file '${path}' in tileset '${entry.id}'`);
  }
  const file = resolveTilesetFile(entry.directory, decoded);
  if (!file) throw notFound(`no file '${decoded}' in tileset '${entry.id}'`);
  const stats = statSync(file);
  const extension = extname(file).toLowerCase();
  const isJson = extension === '.json';
  const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
  reply
    .header('Access-Control-Allow-Origin', '*')
    .header('Access-Control-Expose-Headers', 'ETag, Content-Length, Content-Range, Content-Encoding')
    .header('Content-Type', MEDIA_TYPES[extension] ?? 'application/octet-stream')
    .header('ETag', etag)
    .header('Vary', 'Accept-Encoding')
    .header('Last-Modified', stats.mtime.toUTCString())
    .header('Accept-Ranges', 'bytes')
    .header(
      'Cache-Control',
      tilesetCacheControl(file, (request.query as { v?: unknown } | undefined)?.v, entry.directory),
    );
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    return reply.code(304).send();
  }
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  const range = request.headers.range;
  if (range) {
    const parsed = parseRange(range, stats.size);
    if (parsed === 'invalid' || parsed === undefined) {
      reply.header('Content-Range', `bytes */${stats.size}`);
      throw new ApiError(416, `Range '${range}' cannot be satisfied for a file of ${stats.size} bytes`);
    }
    return reply
      .code(206)
      .header('Content-Range', `bytes ${parsed.start}-${parsed.end}/${stats.size}`)
      .header('Content-Length', parsed.end - parsed.start + 1)
      .send(createReadStream(file, { start: parsed.start, end: parsed.end }));
  }
  if (acceptsGzip && existsSync(`${file}.gz`)) {
    return reply.header('Content-Encoding', 'gzip').send(createReadStream(`${file}.gz`));
  }
  if (acceptsGzip && isJson && stats.size > 1024) {
    return reply.header('Content-Encoding', 'gzip').send(gzipSync(readFileSync(file)));
  }
  return reply.header('Content-Length', stats.size).send(createReadStream(file));
}
