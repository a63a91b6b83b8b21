// 3D Tiles tilesets as 3D GeoVolumes collections: discovery, 3D extent, and the file route's media types, CORS,
// ETag, Range, gzip, cache lifetimes and path confinement.
import { gunzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecefToGeodetic, tilesetExtent } from '../../../server/ogc/tilesets';
import { startOgcTestServer, TILESET_REGION, type OgcTestServer } from './server';

let server: OgcTestServer;
beforeAll(async () => {
  server = await startOgcTestServer({ tilesets: true });
});
afterAll(async () => {
  await server?.close();
});

const degrees = (radians: number) => (radians * 180) / Math.PI;

/** A raw GET that keeps the path as written (fetch would normalise `..`). */
function rawGet(path: string): Promise<number> {
  const url = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('ogc tilesets', () => {
  it('converts ECEF to geodetic coordinates at the equator and the pole', () => {
    const equator = ecefToGeodetic([6378137, 0, 0]);
    expect(equator[0]).toBeCloseTo(0, 9);
    expect(equator[1]).toBeCloseTo(0, 9);
    expect(equator[2]).toBeCloseTo(0, 3);
    const pole = ecefToGeodetic([0, 0, 6356752.314245 + 10]);
    expect(pole[1]).toBeCloseTo(90, 6);
    expect(pole[2]).toBeCloseTo(10, 2);
  });

  it('reads the extent of a box volume placed on the equator by the root transform', () => {
    // A 2 m cube centred 6378137 m along x (0°, 0°): a few hundred-thousandths of a degree wide, heights -1..1 m.
    const extent = tilesetExtent({
      root: {
        boundingVolume: { box: [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1] },
        transform: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 6378137, 0, 0, 1],
      },
    })!;
    expect(extent[0]).toBeCloseTo(-degrees(1 / 6378137), 7);
    expect(extent[3]).toBeCloseTo(degrees(1 / 6378137), 7);
    expect(extent[2]).toBeCloseTo(-1, 3);
    expect(extent[5]).toBeCloseTo(1, 3);
  });

  it('lists the tileset as a collection with a 3D CRS84h extent and the 3d-geovolumes link', async () => {
    const response = await fetch(`${server.base}/collections/district`);
    const body = (await response.json()) as {
      extent: { spatial: { bbox: number[][]; crs: string } };
      links: { rel: string; href: string; type: string }[];
    };
    const [west, south, east, north, minimum, maximum] = TILESET_REGION;
    const bbox = body.extent.spatial.bbox[0];
    expect(bbox).toHaveLength(6);
    expect(bbox[0]).toBeCloseTo(degrees(west), 10);
    expect(bbox[1]).toBeCloseTo(degrees(south), 10);
    expect(bbox[2]).toBe(minimum);
    expect(bbox[3]).toBeCloseTo(degrees(east), 10);
    expect(bbox[4]).toBeCloseTo(degrees(north), 10);
    expect(bbox[5]).toBe(maximum);
    expect(body.extent.spatial.crs).toBe('http://www.opengis.net/def/crs/OGC/0/CRS84h');
    const link = body.links.find(
      (candidate) => candidate.rel === 'http://www.opengis.net/def/rel/ogc/1.0/3d-geovolumes',
    );
    // The link names the tileset's current version, so clients may cache its content for good (see below).
    expect(link?.href).toMatch(
      new RegExp(
        `^${server.base}/collections/district/3dtiles/tileset\\.json\\?v=[0-9a-z]+\\.[0-9a-z]+\\.[0-9a-z]+$`,
      ),
    );
    expect(link?.type).toBe('application/3dtiles+json');
    expect((await fetch(`${server.base}/collections/district/items`)).status).toBe(404);
  });

  it('serves tileset.json as JSON with CORS, an ETag, revalidation and 304 on a matching If-None-Match', async () => {
    for (const base of [server.base, server.origin]) {
      const response = await fetch(`${base}/collections/district/3dtiles/tileset.json`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const etag = response.headers.get('etag')!;
      expect(etag).toBeTruthy();
      expect(((await response.json()) as { asset: { version: string } }).asset.version).toBe('1.1');
      const again = await fetch(`${base}/collections/district/3dtiles/tileset.json`, {
        headers: { 'if-none-match': etag },
      });
      expect(again.status).toBe(304);
    }
  });

  it('serves content as octet-stream, cached for good only under the current version, and answers byte ranges', async () => {
    const collection = (await (await fetch(`${server.base}/collections/district`)).json()) as {
      links: { rel: string; href: string }[];
    };
    const version = new URL(collection.links.find((link) => link.rel === 'items')!.href).searchParams.get(
      'v',
    );
    expect(version).toBeTruthy();
    const versioned = await fetch(`${server.base}/collections/district/3dtiles/content.b3dm?v=${version}`);
    expect(versioned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await versioned.arrayBuffer())).toHaveLength(256);
    const stale = await fetch(`${server.base}/collections/district/3dtiles/content.b3dm?v=0.0.0`);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
    await stale.arrayBuffer();
    const response = await fetch(`${server.base}/collections/district/3dtiles/content.b3dm`);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(Buffer.from(await response.arrayBuffer())).toHaveLength(256);
    const partial = await fetch(`${server.base}/collections/district/3dtiles/content.b3dm`, {
      headers: { range: 'bytes=10-19' },
    });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 10-19/256');
    expect([...Buffer.from(await partial.arrayBuffer())]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    const suffix = await fetch(`${server.base}/collections/district/3dtiles/content.b3dm`, {
      headers: { range: 'bytes=-2' },
    });
    expect([...Buffer.from(await suffix.arrayBuffer())]).toEqual([254, 255]);
    const unsatisfiable = await fetch(`${server.base}/collections/district/3dtiles/content.b3dm`, {
      headers: { range: 'bytes=300-400' },
    });
    expect(unsatisfiable.status).toBe(416);
  });

  it('serves the pre-gzipped twin with Content-Encoding gzip to clients that accept it', async () => {
    const url = new URL(`${server.base}/collections/district/3dtiles/nested/child.json`);
    const body = await new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
      const request = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, headers: { 'accept-encoding': 'gzip' } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ encoding: response.headers['content-encoding'], bytes: Buffer.concat(chunks) }),
          );
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(body.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(body.bytes).toString('utf8')).padding).toHaveLength(2000);
  });

  it('never serves a file outside the tileset folder, hidden files or missing files', async () => {
    for (const path of [
      '/ogc/collections/district/3dtiles/../secret.txt',
      '/ogc/collections/district/3dtiles/..%2Fsecret.txt',
      '/ogc/collections/district/3dtiles/%2e%2e/secret.txt',
      '/ogc/collections/district/3dtiles/nested/..%2F..%2Fsecret.txt',
      '/ogc/collections/district/3dtiles/%2Fetc%2Fpasswd',
      '/ogc/collections/district/3dtiles/missing.glb',
      '/ogc/collections/district/3dtiles/nested%00.json',
    ]) {
      expect(await rawGet(path)).toBe(404);
    }
  });
});
