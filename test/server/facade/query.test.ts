// q to CQL2 push-down: only what CQL2 expresses exactly on the collection's property types is mapped.
import { describe, expect, it } from 'vitest';
import { toCql2 } from '../../../server/facade';
import { parseQuery } from '../../../server/ngsi-ld';
import type { ProviderDescription } from '../../../server/providers/provider';

const DESCRIPTION: ProviderDescription = {
  storageEpsg: 4326,
  geometryType: 'Point',
  properties: {
    name: { type: 'string' },
    height: { type: 'number' },
    open: { type: 'boolean' },
    opened: { type: 'string', format: 'date-time' },
  },
};

const map = (q: string) => toCql2(parseQuery(q), DESCRIPTION);

describe('facade query', () => {
  it('maps comparisons, lists, ranges, AND and OR of typed literals', () => {
    expect(map('height>5')).toEqual({ op: '>', args: [{ property: 'height' }, 5] });
    expect(map('name=="Alex";open==true')).toEqual({
      op: 'and',
      args: [
        { op: '=', args: [{ property: 'name' }, 'Alex'] },
        { op: '=', args: [{ property: 'open' }, true] },
      ],
    });
    expect(map('name=="a","b"')).toEqual({ op: 'in', args: [{ property: 'name' }, ['a', 'b']] });
    expect(map('height==1..2')).toEqual({ op: 'between', args: [{ property: 'height' }, 1, 2] });
    expect(map('name!="x"|height<=3')).toEqual({
      op: 'or',
      args: [
        { op: '<>', args: [{ property: 'name' }, 'x'] },
        { op: '<=', args: [{ property: 'height' }, 3] },
      ],
    });
  });

  it('drops what does not map from an AND and gives up on an OR containing it', () => {
    expect(map('name~="^A";height>5')).toEqual({ op: '>', args: [{ property: 'height' }, 5] });
    expect(map('name~="^A"|height>5')).toBeUndefined();
    // A number literal against a text property compares differently in q (numeric strings) than in CQL2.
    expect(map('name==5')).toBeUndefined();
    expect(map('opened>2024-01-01T00:00:00Z')).toBeUndefined();
    expect(map('unknown==1')).toBeUndefined();
    expect(map('height.observedAt>2024-01-01T00:00:00Z')).toBeUndefined();
    expect(map('!open')).toBeUndefined();
  });
});
