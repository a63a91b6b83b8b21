// The NGSI-LD provider: the CQL2 → q push-down (only terms q expresses exactly are sent), plain pages passed to the
// broker in pages within its maximum, and broker failures as provider errors that say why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NgsiLdClient } from '../../../server/ngsi-ld/client';
import { ProviderError } from '../../../server/providers/provider';
import { NgsiLdProvider, toNgsiLdQuery } from '../../../server/providers/ngsi-ld';
import { startProfileBroker, startScriptedServer, type ProfileBroker } from '../ngsi-ld/client/helpers';
import { parseCql2 } from '../../../server/cql2';

const q = (text: string) => toNgsiLdQuery(parseCql2(text));

describe('ngsi-ld provider', () => {
  it('translates comparisons of attributes with literals, joined by ;', () => {
    expect(q("category = 'park'")).toBe('category=="park"');
    expect(q("visits >= 3 AND category <> 'shop' AND open = true")).toBe(
      'visits>=3;category!="shop";open==true',
    );
    expect(q('height < 12.5')).toBe('height<12.5');
  });

  it('leaves out what q cannot express exactly and returns undefined when nothing is left', () => {
    // OR, LIKE, BETWEEN, spatial and temporal functions, string ordering, quotes in strings, id and nested paths.
    expect(q("category = 'park' OR visits > 3")).toBeUndefined();
    expect(q("name LIKE 'A%' AND visits > 3")).toBe('visits>3');
    expect(q('visits BETWEEN 1 AND 3')).toBeUndefined();
    expect(q('S_INTERSECTS(geometry, BBOX(0, 0, 1, 1))')).toBeUndefined();
    expect(q("name > 'M'")).toBeUndefined();
    expect(q(`name = 'say "hi"'`)).toBeUndefined();
    expect(q("id = 'urn:x'")).toBeUndefined();
    expect(q("T_AFTER(observed, TIMESTAMP('2024-01-01T00:00:00Z'))")).toBeUndefined();
  });
});

describe('NgsiLdProvider', () => {
  const TYPE = 'ProviderSensor';
  let broker: ProfileBroker;

  beforeAll(async () => {
    // Stellio's maximum page is 100: a 250-feature OGC page needs three broker pages.
    broker = await startProfileBroker('stellio');
    await new NgsiLdClient({ url: broker.base }).batchUpsert(
      Array.from({ length: 300 }, (_, index) => ({
        id: `urn:ngsi-ld:${TYPE}:${String(index).padStart(3, '0')}`,
        type: TYPE,
        rank: { type: 'Property', value: index },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [8.6 + index / 1000, 49.87] } },
      })),
    );
  }, 30_000);

  afterAll(async () => {
    await broker?.close();
  });

  it('reads a page larger than the broker maximum in broker pages and reports the total', async () => {
    const provider = new NgsiLdProvider({ brokerUrl: broker.base, entityType: TYPE });
    const first = await provider.queryFeatures({ limit: 250, offset: 0 });
    expect(first.features).toHaveLength(250);
    expect(first.numberMatched).toBe(300);
    expect(first.features[0]).toMatchObject({ id: `urn:ngsi-ld:${TYPE}:000`, properties: { rank: 0 } });
    expect(first.features[0].properties).not.toHaveProperty('location');
    const rest = await provider.queryFeatures({ limit: 250, offset: 0, cursor: first.nextCursor });
    expect(rest.features).toHaveLength(50);
    expect(rest.nextCursor).toBeUndefined();
    expect(new Set([...first.features, ...rest.features].map((feature) => feature.id)).size).toBe(300);
    // Longitudes 8.6 + i/1000 inside 8.6095..8.6195: i = 10..19.
    const boxed = await provider.queryFeatures({
      limit: 100,
      offset: 0,
      bbox: [[8.6095, 49.86, 8.6195, 49.88]],
    });
    expect(boxed.features.map((feature) => feature.properties.rank)).toEqual(
      Array.from({ length: 10 }, (_, index) => index + 10),
    );
    expect(boxed.numberMatched).toBe(10);
  });

  it('turns a broker that answers HTML into an unavailable provider error that says why', async () => {
    const server = await startScriptedServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>maintenance</html>');
    });
    try {
      const provider = new NgsiLdProvider({ brokerUrl: `${server.url}/ngsi-ld/v1`, entityType: TYPE });
      const error = await provider.queryFeatures({ limit: 10, offset: 0 }).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('unavailable');
      expect((error as ProviderError).message).toMatch(/incompatible .*HTML instead of JSON/);
    } finally {
      await server.close();
    }
  });
});
