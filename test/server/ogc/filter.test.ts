import { describe, expect, it } from 'vitest';
import { createCql2FilterEngine } from '../../../server/ogc/filter';
import { ApiError } from '../../../server/http/errors';
import type { ProviderDescription } from '../../../server/providers/provider';

const description = {
  geometryType: 'Polygon',
  properties: {
    name: { type: 'string' },
    height: { type: 'number' },
    storeys: { type: 'integer' },
    built: { type: 'string', format: 'date' },
  },
} as unknown as ProviderDescription;

function problemOf(filter: string): ApiError | undefined {
  try {
    createCql2FilterEngine().createPredicate(filter, 'cql2-text', undefined, description);
    return undefined;
  } catch (error) {
    return error as ApiError;
  }
}

describe('createCql2FilterEngine', () => {
  it.each([
    ["height LIKE '1%'", 'a LIKE on a number'],
    ['S_INTERSECTS(name, POINT(8 49))', 'a spatial function on a string'],
    ["storeys = 'three'", 'a number compared with text'],
  ])('answers 400 naming the filter for %s (%s), never a database error', (filter) => {
    const problem = problemOf(filter);
    expect(problem).toBeInstanceOf(ApiError);
    expect(problem!.status).toBe(400);
    expect(problem!.detail).toContain('filter');
  });

  it.each([
    "name LIKE 'Herrn%'",
    'height > 20 AND storeys >= 3',
    "built > '2000-01-01'",
    "built > DATE('2000-01-01')",
  ])('accepts %s, whose kinds fit the queryables', (filter) => {
    expect(problemOf(filter)).toBeUndefined();
  });
});
