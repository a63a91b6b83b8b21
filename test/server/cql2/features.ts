// A small hand-made feature set whose facts the CQL2 truth tables are derived from (see each comment).
import type { Cql2Feature } from '../../../server/cql2';

export const FEATURES: (Cql2Feature & { id: string | number })[] = [
  {
    id: 1,
    properties: {
      name: 'Straße am Park',
      height: 12.5,
      floors: 4,
      built: '2015-06-01',
      tags: ['park', 'school'],
      owner: 'Beyoncé',
      open_from: '2020-01-01T08:00:00Z',
      open_to: '2020-01-01T18:00:00Z',
      pool: true,
    },
    // A point inside feature b2's square.
    geometry: { type: 'Point', coordinates: [7.01, 51.01] },
  },
  {
    id: 'b2',
    properties: {
      name: 'STRASSE 5',
      height: null,
      floors: 10,
      built: '2012-06-05T10:00:00Z',
      tags: ['school'],
      owner: 'beyonce',
      pool: false,
    },
    // The square 7..7.02 × 51..51.02.
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [7, 51],
          [7.02, 51],
          [7.02, 51.02],
          [7, 51.02],
          [7, 51],
        ],
      ],
    },
  },
  {
    id: 3,
    // No height, built, tags, owner, open_*, pool at all; no geometry.
    properties: { name: '100% pure_x', floors: 2 },
    geometry: null,
  },
];
