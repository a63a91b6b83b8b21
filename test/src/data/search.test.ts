import { describe, expect, it } from 'vitest';
import { buildSearchFilter } from '../../../src/data/search';
import { parseCql2Text } from '../../../server/cql2';

describe('buildSearchFilter', () => {
  it('matches the text anywhere in each searchable property, ignoring case', () => {
    expect(buildSearchFilter('Herrngarten', ['name', 'id'])).toBe(
      "CASEI(name) LIKE CASEI('%Herrngarten%') OR CASEI(id) LIKE CASEI('%Herrngarten%')",
    );
  });

  it('adds a street plus house number clause for an address', () => {
    expect(buildSearchFilter('Heinheimer Straße 12a', ['street'])).toBe(
      "CASEI(street) LIKE CASEI('%Heinheimer Straße 12a%') OR (CASEI(street) LIKE CASEI('%Heinheimer Straße%') AND CASEI(house_number) = CASEI('12a'))",
    );
  });

  it('escapes quotes and LIKE wildcards so that user text is matched literally', () => {
    const filter = buildSearchFilter("O'Neil 100%_", ['name'])!;
    expect(filter).toBe("CASEI(name) LIKE CASEI('%O''Neil 100\\%\\_%')");
    // The server's own CQL2 parser accepts what the viewer sends.
    expect(() => parseCql2Text(filter)).not.toThrow();
  });

  it('returns nothing for empty text or a collection without searchable properties', () => {
    expect(buildSearchFilter('  ', ['name'])).toBeUndefined();
    expect(buildSearchFilter('x', [])).toBeUndefined();
  });
});
