// The CQL2 → NGSI-LD q push-down: only terms q expresses exactly are sent; the rest stays with the server.
import { describe, expect, it } from 'vitest';
import { toNgsiLdQuery } from '../../../server/providers/ngsi-ld';
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
