import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../server/config';
import { CollectionCatalog } from '../../../server/ogc/catalog';
import { addNgsiLdTypes, buildCatalog } from '../../../server/ogc/module';

/** A broker stand-in that records the headers of every request and answers 503 (the headers are what is tested). */
let server: Server;
let url = '';
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(503, { 'content-type': 'application/json' }).end('{"type":"x","title":"down"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const config = () =>
  parseConfig({
    NGSI_LD_URL: url,
    NGSI_LD_TOKEN: 'secret-token',
    NGSI_LD_API_KEY: 'secret-key',
    NGSI_LD_API_KEY_HEADER: 'X-Gateway-Key',
    NGSI_LD_TENANT: 'city',
  });

describe('ogc module broker credentials', () => {
  it('sends the configured token, API key and tenant when it lists the broker types', async () => {
    seen.length = 0;
    await expect(addNgsiLdTypes(new CollectionCatalog(), config(), url)).rejects.toThrow();
    expect(seen.length).toBeGreaterThan(0);
    for (const headers of seen) {
      expect(headers.authorization).toBe('Bearer secret-token');
      expect(headers['x-gateway-key']).toBe('secret-key');
      expect(headers['ngsild-tenant']).toBe('city');
    }
  });

  it('sends them from a configured ngsi-ld collection too', async () => {
    seen.length = 0;
    const catalog = await buildCatalog(
      config(),
      {
        demoLayers: false,
        tilesets: false,
        collections: [
          {
            id: 'sensors',
            title: 'Sensors',
            visibility: 'public',
            provider: { type: 'ngsi-ld', entityType: 'AirQualityObserved' },
          },
        ],
      } as never,
      () => url,
    );
    try {
      const entry = catalog.get('sensors', true);
      expect(entry?.kind).toBe('features');
      if (entry?.kind !== 'features') return;
      await expect(entry.provider.queryFeatures({ limit: 1, offset: 0 })).rejects.toThrow();
      expect(seen.length).toBeGreaterThan(0);
      for (const headers of seen) {
        expect(headers.authorization).toBe('Bearer secret-token');
        expect(headers['x-gateway-key']).toBe('secret-key');
      }
    } finally {
      await catalog.close();
    }
  });
});
