// Real OGC API clients against the running server: GDAL's OAPIF driver (ogrinfo), OWSLib (Debian python3-owslib)
// and @camptocamp/ogc-client. Expected counts and ids are worked out by hand from the fixture table.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OgcApiEndpoint } from '@camptocamp/ogc-client';
import { startOgcTestServer, type OgcTestServer } from './server';

const run = promisify(execFile);
let server: OgcTestServer;
beforeAll(async () => {
  server = await startOgcTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function ogrinfo(...args: string[]): Promise<string> {
  const { stdout } = await run('ogrinfo', ['-ro', ...args], {
    timeout: 60_000,
    env: { ...process.env, GDAL_HTTP_TIMEOUT: '20' },
  });
  return stdout;
}

/** Feature ids GDAL printed, from its "OGRFeature(layer):fid" lines. */
function printedIds(output: string): number[] {
  return [...output.matchAll(/^OGRFeature\([^)]+\):(\d+)$/gm)]
    .map((match) => Number(match[1]))
    .sort((a, b) => a - b);
}

describe('ogc clients', () => {
  describe('GDAL OAPIF driver (ogrinfo)', () => {
    it('lists the collections and reports count, extent and fields of one', async () => {
      const listing = await ogrinfo('-q', `OAPIF:${server.base}`);
      for (const id of ['places', 'places-gdal', 'places-geojson', 'places-utm'])
        expect(listing).toContain(id);
      expect(listing).not.toContain('secret');
      const summary = await ogrinfo('-so', `OAPIF:${server.base}`, 'places');
      expect(summary).toMatch(/Feature Count: 10/);
      expect(summary).toMatch(/Extent: \(-179\.5\d*, 49\.86\d*\) - \(179\.5\d*, 67\.0\d*\)/);
      expect(summary).toMatch(/name: String/);
      expect(summary).toMatch(/visits: Integer/);
    });

    it('reads every feature by following next links with a page size of 3', async () => {
      const output = await ogrinfo('-al', '-q', '-oo', 'PAGE_SIZE=3', `OAPIF:${server.base}`, 'places');
      expect(printedIds(output)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('sends -spat as bbox', async () => {
      const output = await ogrinfo(
        '-al',
        '-q',
        '-spat',
        '8.645',
        '49.865',
        '8.675',
        '49.895',
        `OAPIF:${server.base}`,
        'places',
      );
      expect(printedIds(output)).toEqual([1, 2, 3, 10]);
    });

    it('answers -where on a declared queryable', async () => {
      const output = await ogrinfo(
        '-al',
        '-q',
        '-where',
        "category = 'park'",
        `OAPIF:${server.base}`,
        'places',
      );
      expect(printedIds(output)).toEqual([1, 3, 6, 8]);
    });

    it('sends a compound -where to the server as a cql-text filter', async () => {
      const { stderr, stdout } = await run(
        'ogrinfo',
        [
          '--config',
          'CPL_DEBUG',
          'ON',
          '-ro',
          '-al',
          '-q',
          '-where',
          "category = 'park' AND visits > 1",
          `OAPIF:${server.base}`,
          'places',
        ],
        { timeout: 60_000 },
      );
      // Parks: Alpha (3 visits), Gamma (1), Zeta (2), Theta (0).
      expect(printedIds(stdout)).toEqual([1, 6]);
      expect(stderr).toMatch(/items\?[^\n]*filter=[^\n]*filter-lang=cql-text/);
    });
  });

  describe('OWSLib', () => {
    it('reads conformance, collections, queryables and a bbox page', async () => {
      const script = `
import json, sys
from owslib.ogcapi.features import Features
w = Features(sys.argv[1])
conformance = w.conformance()['conformsTo']
collections = [c['id'] for c in w.collections()['collections']]
queryables = sorted(w.collection_queryables('places')['properties'].keys())
page = w.collection_items('places', limit=5, bbox=[8.645, 49.865, 8.675, 49.895])
item = w.collection_item('places', '4')
print(json.dumps({'conformance': conformance, 'collections': collections, 'queryables': queryables,
  'ids': sorted(f['id'] for f in page['features']), 'matched': page.get('numberMatched'), 'item': item['properties']['name']}))
`;
      const { stdout } = await run('/usr/bin/python3', ['-c', script, server.base], { timeout: 60_000 });
      const result = JSON.parse(stdout) as Record<string, unknown>;
      expect(result.conformance).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core');
      expect(result.collections).toEqual(['places', 'places-gdal', 'places-geojson', 'places-utm']);
      expect(result.queryables).toEqual([
        'category',
        'geometry',
        'height',
        'name',
        'observed',
        'open',
        'visits',
      ]);
      expect(result.ids).toEqual([1, 2, 3, 10]);
      expect(result.matched).toBe(4);
      expect(result.item).toBe('Delta');
    });
  });

  describe('@camptocamp/ogc-client', () => {
    it('discovers the endpoint, its feature collections, a collection and pages of items', async () => {
      const endpoint = new OgcApiEndpoint(server.base);
      expect(await endpoint.hasFeatures).toBe(true);
      expect((await endpoint.info).title).toBe('Plaza OGC API');
      expect(await endpoint.featureCollections).toEqual([
        'places',
        'places-gdal',
        'places-geojson',
        'places-utm',
      ]);
      const info = await endpoint.getCollectionInfo('places');
      expect(info.title).toBe('Places');
      const first = await endpoint.getCollectionItems('places', 4, 0);
      expect(first.map((item) => item.id)).toEqual([1, 2, 3, 4]);
      const second = await endpoint.getCollectionItems('places', 4, 4);
      expect(second.map((item) => item.id)).toEqual([5, 6, 7, 8]);
      const sorted = await endpoint.getCollectionItems('places', 2, 0, true, ['-height']);
      expect(sorted.map((item) => item.id)).toEqual([9, 4]);
      const item = await endpoint.getCollectionItem('places', '10');
      expect((item.properties as unknown as Record<string, unknown> | undefined)?.name).toBe('Kappa');
    });
  });
});
