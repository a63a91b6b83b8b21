// Cache lifetimes of tileset files: a version token that follows tileset.json, and the Cache-Control it allows.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  tilesetCacheControl,
  tilesetVersion,
  versionedTilesetHref,
} from '../../../server/http/tileset-cache';

const directory = mkdtempSync(join(tmpdir(), 'plaza-tileset-cache-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('tileset-cache', () => {
  it('has no version and links the plain tileset.json when tileset.json is missing', () => {
    expect(tilesetVersion(directory)).toBeUndefined();
    expect(versionedTilesetHref('/ogc/collections/x/3dtiles', directory)).toBe(
      '/ogc/collections/x/3dtiles/tileset.json',
    );
    expect(tilesetCacheControl(join(directory, '0.glb'), 'anything', directory)).toBe('no-cache');
  });

  it('changes the version when tileset.json is replaced, even by the same bytes within the same millisecond', () => {
    writeFileSync(join(directory, 'tileset.json'), '{"asset":{"version":"1.1"}}');
    const first = tilesetVersion(directory)!;
    expect(first).toMatch(/^[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+$/);
    expect(tilesetVersion(directory)).toBe(first);
    writeFileSync(join(directory, 'tileset.tmp'), '{"asset":{"version":"1.1"}}');
    renameSync(join(directory, 'tileset.tmp'), join(directory, 'tileset.json'));
    expect(tilesetVersion(directory)).not.toBe(first);
  });

  it('allows caching for good only for content requested under the current version', () => {
    const version = tilesetVersion(directory)!;
    const content = join(directory, 'tiles', '3.glb');
    expect(tilesetCacheControl(content, version, directory)).toBe('public, max-age=31536000, immutable');
    expect(tilesetCacheControl(content, `${version}x`, directory)).toBe('no-cache');
    expect(tilesetCacheControl(content, undefined, directory)).toBe('no-cache');
    expect(tilesetCacheControl(content, [version, version], directory)).toBe('no-cache');
    expect(tilesetCacheControl(join(directory, 'tileset.json'), version, directory)).toBe('no-cache');
    expect(tilesetCacheControl(join(directory, 'tiles', 'child.JSON'), version, directory)).toBe('no-cache');
    expect(versionedTilesetHref('/base', directory)).toBe(`/base/tileset.json?v=${version}`);
  });
});
