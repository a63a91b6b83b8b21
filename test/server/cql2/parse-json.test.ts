import { describe, expect, it } from 'vitest';
import { Cql2Error, parseCql2, parseCql2Json, parseCql2Text } from '../../../server/cql2';
import { JSON_EXAMPLES, TEXT_EXAMPLES } from './examples';

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof Cql2Error) return error.message;
    throw error;
  }
  throw new Error('expected a Cql2Error');
}

describe('cql2/parse-json', () => {
  it('reads all 109 JSON examples of the standard', () => {
    expect(JSON_EXAMPLES).toHaveLength(109);
    for (const example of JSON_EXAMPLES) {
      expect(() => parseCql2Json(example.text), example.name).not.toThrow();
    }
  });

  it('returns the same tree for every text example and its JSON twin', () => {
    let pairs = 0;
    for (const example of JSON_EXAMPLES) {
      const twin = TEXT_EXAMPLES.find((text) => text.name === example.name);
      expect(twin, example.name).toBeDefined();
      expect(parseCql2Json(example.text), example.name).toEqual(parseCql2Text(twin!.text));
      pairs++;
    }
    expect(pairs).toBe(109);
  });

  it('accepts a decoded object as well as JSON text, and filter-lang cql2-json', () => {
    const filter = { op: 'S_Intersects', args: [{ property: 'g' }, { bbox: [0, 0, 1, 1] }] };
    const expected = { op: 's_intersects', args: [{ property: 'g' }, { bbox: [0, 0, 1, 1] }] };
    expect(parseCql2Json(filter)).toEqual(expected);
    expect(parseCql2(JSON.stringify(filter), 'cql2-json')).toEqual(expected);
  });

  it('canonicalises timestamps so equal instants give equal trees', () => {
    expect(
      parseCql2Json({ op: 't_after', args: [{ property: 't' }, { timestamp: '2012-08-10T05:30:00.000Z' }] }),
    ).toEqual({ op: 't_after', args: [{ property: 't' }, { timestamp: '2012-08-10T05:30:00Z' }] });
  });

  const MALFORMED: [string, unknown, RegExp][] = [
    ['bad JSON', '{"op": "=", ', /Invalid JSON in CQL2-JSON filter/],
    ['null', null, /null is not a CQL2 value .* at the top level/],
    ['unknown member', { op: '=', args: [1, 1], extra: 1 }, /Unexpected member "extra" .* at the top level/],
    ['non-string op', { op: 5, args: [] }, /"op" must be a non-empty string at op/],
    ['args not an array', { op: 'and', args: {} }, /"args" must be an array at args/],
    [
      'empty property',
      { op: 'isNull', args: [{ property: '' }] },
      /"property" must be a non-empty string at args\[0\]\.property/,
    ],
    [
      'bad date',
      { op: 't_after', args: [{ property: 't' }, { date: '2020-13-01' }] },
      /Invalid date "2020-13-01".* at args\[1\]\.date/,
    ],
    [
      'bad timestamp',
      { op: 't_after', args: [{ property: 't' }, { timestamp: 'now' }] },
      /Invalid timestamp "now".* at args\[1\]\.timestamp/,
    ],
    [
      'short interval',
      { op: 't_after', args: [{ property: 't' }, { interval: ['2020-01-01'] }] },
      /An interval must be an array of 2 bounds at args\[1\]\.interval/,
    ],
    [
      'bad bbox',
      { op: 's_intersects', args: [{ property: 'g' }, { bbox: [1, 2, 3] }] },
      /A bbox must hold 4 or 6 numbers at args\[1\]\.bbox/,
    ],
    [
      'open ring',
      {
        op: 's_within',
        args: [
          { property: 'g' },
          {
            type: 'Polygon',
            coordinates: [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 1],
              ],
            ],
          },
        ],
      },
      /must be closed .*at args\[1\]\.coordinates\[0\]/,
    ],
    [
      'bad geometry type',
      { op: 's_within', args: [{ property: 'g' }, { type: 'Circle', coordinates: [0, 0] }] },
      /Unknown geometry type "Circle" at args\[1\]/,
    ],
    ['wrong arity', { op: 'between', args: [{ property: 'a' }, 1] }, /between takes 3 arguments, got 2/],
    [
      'kind mismatch',
      { op: '<', args: [{ property: 'a' }, { bbox: [0, 0, 1, 1] }] },
      /< expects a scalar value as argument 2/,
    ],
    ['not boolean', { property: 'a' }, /A filter must be a boolean expression/],
    [
      'in without list',
      { op: 'in', args: [{ property: 'a' }, 1] },
      /in expects a non-empty list as argument 2/,
    ],
  ];

  it.each(MALFORMED)('throws a Cql2Error naming the JSON path for %s', (_label, filter, message) => {
    expect(messageOf(() => parseCql2Json(filter))).toMatch(message);
  });
});
