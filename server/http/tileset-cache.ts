// Cache lifetimes of 3D Tiles files, shared by the /tiles/ static route and the 3D GeoVolumes route: content files
// are cached for good only under the tileset's current version, since every conversion replaces them under the same
// names.
import { statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A request that names the tileset's current version (`?v=`, see {@link tilesetVersion}) may be cached for good: the
 * same URL never answers other bytes. Without it, or with an older version, caches must revalidate (by ETag): a new
 * conversion replaces content files under the same names, and a browser holding last week's tiles for a new
 * tileset.json would show buildings that no longer match their ids.
 */
const VERSIONED_CACHE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * A short token that changes whenever the tileset's tileset.json is replaced (the tiler and the demo twin rename a new
 * one into place on every conversion: a new inode and modification time), or undefined when it is missing.
 */
export function tilesetVersion(directory: string): string | undefined {
  try {
    const stats = statSync(join(directory, 'tileset.json'));
    return [stats.ino, Math.floor(stats.mtimeMs), stats.size].map((value) => value.toString(36)).join('.');
  } catch {
    return undefined;
  }
}

/**
 * Cache-Control for one file of a tileset: tileset.json itself and other JSON always revalidate; content files may be
 * cached for good only when the request names the current version (clients such as CesiumJS carry the tileset URL's
 * query over to every content request), otherwise they revalidate.
 */
export function tilesetCacheControl(file: string, requestedVersion: unknown, directory: string): string {
  if (file.toLowerCase().endsWith('.json') || typeof requestedVersion !== 'string') return REVALIDATE;
  return requestedVersion === tilesetVersion(directory) ? VERSIONED_CACHE : REVALIDATE;
}

/** The tileset.json URL under `base` that names the current version, so content requests can be cached for good. */
export function versionedTilesetHref(base: string, directory: string): string {
  const version = tilesetVersion(directory);
  return version === undefined ? `${base}/tileset.json` : `${base}/tileset.json?v=${version}`;
}
