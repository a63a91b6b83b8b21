import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestBroker, type TestBroker } from '../helpers';

/** Great-circle distance on a sphere of radius 6371008.8 m (the oracle; the broker uses its own geodesic code). */
function haversineMeters([lon1, lat1]: number[], [lon2, lat2]: number[]): number {
  const radians = Math.PI / 180;
  const dLat = (lat2 - lat1) * radians;
  const dLon = (lon2 - lon1) * radians;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * radians) * Math.cos(lat2 * radians) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(a));
}

const square = (minX: number, minY: number, maxX: number, maxY: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [minX, minY],
      [maxX, minY],
      [maxX, maxY],
      [minX, maxY],
      [minX, minY],
    ],
  ],
});

/** Shapes around the query box Q = [13,52]..[14,53]; the expected relations follow from the drawing. */
const SHAPES: Record<string, object> = {
  'p-in': { type: 'Point', coordinates: [13.5, 52.5] },
  'p-out': { type: 'Point', coordinates: [12.5, 52.5] },
  'p-edge': { type: 'Point', coordinates: [13.0, 52.5] },
  'line-in': {
    type: 'LineString',
    coordinates: [
      [13.2, 52.2],
      [13.8, 52.3],
    ],
  },
  'line-cross': {
    type: 'LineString',
    coordinates: [
      [12.5, 52.7],
      [13.5, 52.7],
    ],
  },
  'line-out': {
    type: 'LineString',
    coordinates: [
      [15, 52],
      [15, 53],
    ],
  },
  'poly-in': square(13.4, 52.4, 13.6, 52.6),
  'poly-overlap': square(13.8, 52.8, 14.2, 53.2),
  'poly-cover': square(12.9, 51.9, 14.1, 53.1),
  'poly-out': square(15, 52, 16, 53),
  multi: {
    type: 'MultiPoint',
    coordinates: [
      [13.5, 52.5],
      [15.5, 52.5],
    ],
  },
  'multi-poly': {
    type: 'MultiPolygon',
    coordinates: [square(13.1, 52.1, 13.2, 52.2).coordinates, square(13.3, 52.1, 13.4, 52.2).coordinates],
  },
};
const Q = square(13, 52, 14, 53);

/** Points at growing distances from R = [13.5, 52.5]. */
const R = [13.5, 52.5];
const POINTS: Record<string, number[]> = {
  'pt-0': [13.5, 52.5],
  'pt-a': [13.5, 52.5009],
  'pt-b': [13.51, 52.5],
  'pt-c': [13.5, 52.6],
  'pt-d': [2.35, 48.85],
};

describe('broker geo-queries', () => {
  let broker: TestBroker;
  const query = async (parameters: string, type = 'Shape') => {
    const response = await request(`${broker.base}/entities?type=${type}&limit=100&${parameters}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return (response.body as Array<{ id: string }>).map((entity) => entity.id.split(':').pop()).sort();
  };
  const geo = (georel: string, geometry: { type: string; coordinates: unknown }) =>
    `georel=${encodeURIComponent(georel)}&geometry=${geometry.type}&coordinates=${encodeURIComponent(JSON.stringify(geometry.coordinates))}`;

  beforeAll(async () => {
    broker = await startTestBroker();
    const shapes = Object.entries(SHAPES).map(([name, geometry]) => ({
      id: `urn:ngsi-ld:Shape:${name}`,
      type: 'Shape',
      location: { type: 'GeoProperty', value: geometry },
    }));
    const points = Object.entries(POINTS).map(([name, coordinates]) => ({
      id: `urn:ngsi-ld:Pt:${name}`,
      type: 'Pt',
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates } },
    }));
    const spaces = [
      {
        id: 'urn:ngsi-ld:Space:s1',
        type: 'Space',
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [20, 20] } },
        observationSpace: { type: 'GeoProperty', value: square(13.4, 52.4, 13.6, 52.6) },
      },
      {
        id: 'urn:ngsi-ld:Space:s2',
        type: 'Space',
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [13.5, 52.5] } },
      },
    ];
    const response = await request(`${broker.base}/entityOperations/create`, {
      method: 'POST',
      body: [...shapes, ...points, ...spaces],
    });
    expect(response.status).toBe(201);
  });
  afterAll(async () => {
    await broker.close();
  });

  const TABLE: Array<[string, { type: string; coordinates: unknown }, string[]]> = [
    ['within', Q, ['line-in', 'multi-poly', 'p-in', 'poly-in']],
    [
      'intersects',
      Q,
      [
        'line-cross',
        'line-in',
        'multi',
        'multi-poly',
        'p-edge',
        'p-in',
        'poly-cover',
        'poly-in',
        'poly-overlap',
      ],
    ],
    ['disjoint', Q, ['line-out', 'p-out', 'poly-out']],
    ['overlaps', Q, ['poly-overlap']],
    ['contains', { type: 'Point', coordinates: [13.5, 52.5] }, ['multi', 'p-in', 'poly-cover', 'poly-in']],
    ['equals', { type: 'Point', coordinates: [13.5, 52.5] }, ['p-in']],
    [
      'intersects',
      {
        type: 'LineString',
        coordinates: [
          [14.5, 52.5],
          [15.5, 52.5],
        ],
      },
      ['line-out', 'multi', 'poly-out'],
    ],
    [
      'within',
      {
        type: 'MultiPolygon',
        coordinates: [
          square(13.35, 52.35, 13.65, 52.65).coordinates,
          square(14.9, 51.9, 16.1, 53.1).coordinates,
        ],
      },
      ['line-out', 'multi', 'p-in', 'poly-in', 'poly-out'],
    ],
  ];
  it.each(TABLE)('answers georel=%s with %j as drawn', async (georel, geometry, expected) => {
    expect(await query(geo(georel, geometry))).toEqual(expected);
  });

  const distances = Object.fromEntries(
    Object.entries(POINTS).map(([name, point]) => [name, haversineMeters(R, point)]),
  );
  const THRESHOLDS = [50, 500, 1000, 20_000, 1_000_000];

  it('keeps every oracle distance clear of the thresholds (so ellipsoid vs sphere cannot flip a result)', () => {
    for (const distance of Object.values(distances)) {
      for (const threshold of THRESHOLDS)
        expect(Math.abs(distance - threshold) / threshold).toBeGreaterThan(0.02);
    }
  });

  it.each(THRESHOLDS)(
    'answers near;maxDistance==%i with the points the haversine oracle puts within it',
    async (threshold) => {
      const expected = Object.keys(distances)
        .filter((name) => distances[name] <= threshold)
        .sort();
      expect(
        await query(geo(`near;maxDistance==${threshold}`, { type: 'Point', coordinates: R }), 'Pt'),
      ).toEqual(expected);
    },
  );

  it.each(THRESHOLDS)(
    'answers near;minDistance==%i with the points the haversine oracle puts beyond it',
    async (threshold) => {
      const expected = Object.keys(distances)
        .filter((name) => distances[name] >= threshold)
        .sort();
      expect(
        await query(geo(`near;minDistance==${threshold}`, { type: 'Point', coordinates: R }), 'Pt'),
      ).toEqual(expected);
    },
  );

  it('measures near from the nearest part of a line or polygon (distance 0 inside)', async () => {
    // R lies inside poly-in and poly-cover and on multi; p-in is R itself.
    expect(await query(geo('near;maxDistance==10', { type: 'Point', coordinates: R }))).toEqual([
      'multi',
      'p-in',
      'poly-cover',
      'poly-in',
    ]);
  });

  it('tests the GeoProperty named by geoproperty', async () => {
    expect(await query(`${geo('within', Q)}&geoproperty=observationSpace`, 'Space')).toEqual(['s1']);
    expect(await query(geo('within', Q), 'Space')).toEqual(['s2']);
  });

  it('combines a geo-query with q and count', async () => {
    const response = await request(
      `${broker.base}/entities?type=Pt&count=true&limit=1&${geo('near;maxDistance==20000', { type: 'Point', coordinates: R })}&q=${encodeURIComponent('!nothing')}`,
    );
    expect(response.headers.get('ngsild-results-count')).toBe(
      String(Object.values(distances).filter((d) => d <= 20_000).length),
    );
    expect(response.body).toHaveLength(1);
  });

  it('follows an entity whose location moves, and keeps it after value-only updates', async () => {
    const id = 'urn:ngsi-ld:Mover:m1';
    const at = (coordinates: number[]) => ({ type: 'GeoProperty', value: { type: 'Point', coordinates } });
    await request(`${broker.base}/entities`, {
      method: 'POST',
      body: { id, type: 'Mover', location: at([13.5, 52.5]), speed: { type: 'Property', value: 1 } },
    });
    expect(await query(geo('within', Q), 'Mover')).toEqual(['m1']);
    await request(`${broker.base}/entities/${id}/attrs`, {
      method: 'PATCH',
      body: { speed: { type: 'Property', value: 2 } },
    });
    expect(await query(geo('within', Q), 'Mover')).toEqual(['m1']);
    await request(`${broker.base}/entities/${id}/attrs`, {
      method: 'PATCH',
      body: { location: at([15.5, 52.5]) },
    });
    expect(await query(geo('within', Q), 'Mover')).toEqual([]);
    expect(
      await query(geo('intersects', SHAPES['poly-out'] as { type: string; coordinates: unknown }), 'Mover'),
    ).toEqual(['m1']);
  });
});
