import { describe, expect, it } from 'vitest';
import { classifyCollection, GEOVOLUMES_RELATION } from '../../../src/data/collections';

const BASE = 'http://plaza.example/collections?f=json';

describe('classifyCollection', () => {
  it('returns a tileset layer when the collection links a 3D GeoVolumes tileset', () => {
    const collection = classifyCollection(
      {
        id: 'demo-city',
        title: 'Demo city',
        links: [
          { rel: 'self', href: '/collections/demo-city' },
          { rel: GEOVOLUMES_RELATION, href: '/collections/demo-city/3dtiles/tileset.json', type: 'application/json' },
        ],
        extent: { spatial: { bbox: [[8.6, 49.8, 100, 8.7, 49.9, 180]] } },
      },
      BASE,
    );
    expect(collection).toMatchObject({
      kind: 'tileset',
      title: 'Demo city',
      tilesetUrl: 'http://plaza.example/collections/demo-city/3dtiles/tileset.json',
      source: 'http://plaza.example/collections/demo-city',
      bbox: [8.6, 49.8, 100, 8.7, 49.9, 180],
    });
  });

  it('returns a feature layer with an absolute items URL for a GeoJSON items link', () => {
    const collection = classifyCollection(
      {
        id: 'parks',
        links: [
          { rel: 'items', href: 'parks/items?f=html', type: 'text/html' },
          { rel: 'items', href: 'parks/items', type: 'application/geo+json' },
        ],
        storageCrs: 'http://www.opengis.net/def/crs/EPSG/0/25832',
      },
      BASE,
    );
    expect(collection).toMatchObject({
      kind: 'features',
      title: 'parks',
      itemsUrl: 'http://plaza.example/parks/items',
      storageCrs: 'http://www.opengis.net/def/crs/EPSG/0/25832',
    });
  });

  it('returns undefined for a collection the viewer cannot draw', () => {
    expect(classifyCollection({ id: 'coverage', links: [{ rel: 'coverage', href: '/c' }] }, BASE)).toBeUndefined();
  });
});
