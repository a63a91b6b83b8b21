// The FeatureProvider contract: every backend answers the same queries over the fixture places with the same
// features. Expected ids are worked out by hand from the PLACES table in test/server/ogc/fixtures.ts.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type {
  FeatureProvider,
  FeatureQuery,
  FeaturePredicate,
  PlazaFeature,
} from '../../server/providers/provider';
import { createCql2FilterEngine } from '../../server/ogc/filter';

const query = (partial: Partial<FeatureQuery>): FeatureQuery => ({ limit: 100, offset: 0, ...partial });

/** A hand-made predicate (the CQL2 engine is tested on its own): category equals a value. */
function categoryIs(value: string): FeaturePredicate {
  return {
    expression: { op: '=', args: [{ property: 'category' }, value] },
    evaluate: (feature) => feature.properties.category === value,
  };
}

/** How a backend's feature ids map to the fixture numbers 1-10. */
export interface ContractIdentifiers {
  toNumber(id: string | number): number;
  fromNumber(value: number): string;
}

async function readAllPages(
  provider: FeatureProvider,
  base: FeatureQuery,
  number: (feature: { id?: string | number }) => number,
): Promise<{ ids: number[]; matched: (number | undefined)[] }> {
  const ids: number[] = [];
  const matched: (number | undefined)[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = await provider.queryFeatures({ ...base, cursor });
    ids.push(...page.features.map(number));
    matched.push(page.numberMatched);
    if (!page.nextCursor) return { ids, matched };
    cursor = page.nextCursor;
  }
  throw new Error('more than 20 pages');
}

/**
 * Runs the contract over a provider.
 * @param name - the backend, for test names
 * @param open - opens the provider over the fixture places (after any setup)
 */
export function runFeatureProviderContract(
  name: string,
  open: () => Promise<FeatureProvider>,
  identifiers: ContractIdentifiers = { toNumber: Number, fromNumber: String },
): void {
  const number = (feature: { id?: string | number }) => identifiers.toNumber(feature.id as string | number);
  const ids = (features: { id?: string | number }[]) => features.map(number).sort((a, b) => a - b);
  const allPages = (provider: FeatureProvider, base: FeatureQuery) => readAllPages(provider, base, number);
  describe(`FeatureProvider contract: ${name}`, () => {
    let provider: FeatureProvider;
    beforeAll(async () => {
      provider = await open();
    });
    afterAll(async () => {
      await provider?.close();
    });

    it('describes ten features with typed properties, a time property and the CRS84 extent', async () => {
      const description = await provider.describe();
      expect(description.count).toBe(10);
      expect(description.storageEpsg).toBe(4326);
      expect(description.properties.name.type).toBe('string');
      expect(description.properties.height.type).toBe('number');
      expect(description.properties.visits.type).toBe('integer');
      expect(description.temporalProperty).toBe('observed');
      expect(description.bbox?.map((value) => Number(value.toFixed(6)))).toEqual([-179.5, 49.86, 179.5, 67]);
    });

    it('returns every feature in id order with an exact numberMatched when unfiltered', async () => {
      const page = await provider.queryFeatures(query({}));
      expect(page.features.map(number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(page.numberMatched).toBe(10);
      expect(page.nextCursor).toBeUndefined();
    });

    it('returns properties and geometry as stored', async () => {
      const page = await provider.queryFeatures(query({ limit: 2 }));
      const first = page.features[0] as PlazaFeature;
      expect(first.properties.name).toBe('Alpha');
      expect(first.properties.category).toBe('park');
      expect(first.properties.height).toBe(12.5);
      expect(first.properties.visits).toBe(3);
      expect(Boolean(first.properties.open)).toBe(true);
      expect(first.geometry).toEqual({ type: 'Point', coordinates: [8.65, 49.87] });
    });

    it('pages with limit 3 through next cursors to all ten features, numberMatched 10 on every page', async () => {
      const { ids, matched } = await allPages(provider, query({ limit: 3 }));
      expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(matched.every((value) => value === undefined || value === 10)).toBe(true);
      expect(matched[0]).toBe(10);
    });

    it('skips offset features', async () => {
      const page = await provider.queryFeatures(query({ limit: 2, offset: 4 }));
      expect(page.features.map(number)).toEqual([5, 6]);
    });

    it('returns the points in a Darmstadt bbox, never the feature without geometry', async () => {
      const page = await provider.queryFeatures(query({ bbox: [[8.645, 49.865, 8.675, 49.895]] }));
      expect(ids(page.features)).toEqual([1, 2, 3, 10]);
      expect(page.numberMatched ?? 4).toBe(4);
    });

    it('skips offset matches of a bbox query and pages the rest by cursor', async () => {
      const page = await provider.queryFeatures(query({ bbox: [[8.645, 49.865, 8.675, 49.895]], offset: 2 }));
      expect(page.features.map(number)).toEqual([3, 10]);
      const { ids: paged } = await allPages(
        provider,
        query({ bbox: [[8.645, 49.865, 8.675, 49.895]], limit: 3 }),
      );
      expect(paged).toEqual([1, 2, 3, 10]);
    });

    it('returns the line crossing a bbox that holds none of its vertices', async () => {
      const page = await provider.queryFeatures(query({ bbox: [[8.7, 49.85, 8.71, 49.87]] }));
      expect(ids(page.features)).toEqual([6]);
    });

    it('returns the polygon when the bbox lies inside it', async () => {
      const page = await provider.queryFeatures(query({ bbox: [[8.692, 49.912, 8.693, 49.913]] }));
      expect(ids(page.features)).toEqual([5]);
    });

    it('returns features on both sides of the antimeridian for a split bbox', async () => {
      const page = await provider.queryFeatures(
        query({
          bbox: [
            [177, 65, 180, 70],
            [-180, 65, -177, 70],
          ],
        }),
      );
      expect(ids(page.features)).toEqual([7, 8]);
      expect(page.numberMatched ?? 2).toBe(2);
    });

    it('returns features whose time lies in a closed interval, excluding features without time', async () => {
      const start = Date.parse('2024-03-01T00:00:00Z');
      const end = Date.parse('2024-03-31T23:59:59.999Z');
      const page = await provider.queryFeatures(query({ datetime: { start, end } }));
      expect(ids(page.features)).toEqual([3, 4]);
    });

    it('returns features up to an open-start interval end', async () => {
      const page = await provider.queryFeatures(
        query({ datetime: { end: Date.parse('2024-02-20T12:00:00Z') } }),
      );
      expect(ids(page.features)).toEqual([1, 2]);
    });

    it('applies a predicate together with a bbox', async () => {
      const page = await provider.queryFeatures(
        query({ filter: categoryIs('park'), bbox: [[8.6, 49.8, 8.7, 49.95]] }),
      );
      expect(ids(page.features)).toEqual([1, 3, 6]);
    });

    it('pages a filtered query through cursors without losing or repeating features', async () => {
      const { ids } = await allPages(provider, query({ limit: 1, filter: categoryIs('park') }));
      expect(ids).toEqual([1, 3, 6, 8]);
    });

    it('sorts by height descending with missing heights last, and pages the sorted order', async () => {
      const sortBy = [{ property: 'height', direction: 'descending' as const }];
      const { ids } = await allPages(provider, query({ limit: 4, sortBy }));
      expect(ids).toEqual([9, 4, 2, 6, 1, 10, 5, 3, 8, 7]);
    });

    it('sorts by category then name ascending', async () => {
      const page = await provider.queryFeatures(
        query({
          sortBy: [
            { property: 'category', direction: 'ascending' },
            { property: 'name', direction: 'ascending' },
          ],
          limit: 4,
        }),
      );
      // category order: café < park < school < shop; parks by name: Alpha, Gamma, Theta, Zeta.
      expect(page.features.map((feature) => feature.properties.name)).toEqual([
        'Kappa',
        'Alpha',
        'Gamma',
        'Theta',
      ]);
    });

    it.each([
      ["category = 'park'", [1, 3, 6, 8]],
      ['visits BETWEEN 3 AND 7', [1, 2, 5, 10]],
      ['height IS NULL', [7]],
      ["name LIKE '%ta'", [2, 4, 6, 7, 8, 9]],
      ['S_INTERSECTS(geometry, BBOX(8.645, 49.865, 8.675, 49.895))', [1, 2, 3, 10]],
      [
        'S_INTERSECTS(geometry, POLYGON((8.695 49.85, 8.705 49.85, 8.705 49.915, 8.695 49.915, 8.695 49.85)))',
        [5, 6],
      ],
      ["T_BEFORE(observed, TIMESTAMP('2024-02-20T12:00:00Z'))", [1]],
      ["open = true AND category <> 'shop'", [1, 3, 9, 10]],
      ['NOT (visits < 10) OR height < 4', [4, 8, 9]],
    ])('evaluates the CQL2 filter %s to the same features as every provider', async (text, expected) => {
      const description = await provider.describe();
      const filter = createCql2FilterEngine().createPredicate(
        text as string,
        'cql2-text',
        undefined,
        description,
      );
      const page = await provider.queryFeatures(query({ filter }));
      expect(ids(page.features)).toEqual(expected);
    });

    it('returns one feature by id and undefined for an unknown id', async () => {
      const feature = await provider.getFeature(identifiers.fromNumber(4));
      expect(feature?.properties.name).toBe('Delta');
      expect(await provider.getFeature(identifiers.fromNumber(99))).toBeUndefined();
      expect(await provider.getFeature('not-an-id')).toBeUndefined();
    });

    it('rejects a cursor it did not write', async () => {
      await expect(provider.queryFeatures(query({ cursor: 'bm90LWEtY3Vyc29y' }))).rejects.toThrow(/cursor/);
    });
  });
}
