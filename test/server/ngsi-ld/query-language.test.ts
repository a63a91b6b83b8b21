import { describe, expect, it } from 'vitest';
import { evaluateQuery, parseQuery, type QueryPath } from '../../../server/ngsi-ld/query-language';

/** A flat entity for the evaluator: path "a", "a.sub", "a[key]" read from plain objects. */
const ENTITY: Record<string, unknown> = {
  temperature: 21.5,
  'temperature.unitCode': 'CEL',
  'temperature.observedAt': '2024-05-01T10:00:00Z',
  name: 'Eiffel Tower',
  status: 'open',
  count: 7,
  isParked: false,
  refBuilding: 'urn:ngsi-ld:Building:B1',
  tags: ['red', 'blue'],
  address: { city: 'Paris', zip: '75007' },
  dateObserved: '2016-03-15T11:00:00Z',
};

function read(path: QueryPath): unknown[] {
  const key = [path.attribute, ...path.subAttributes].join('.');
  let values = key in ENTITY ? [ENTITY[key]] : [];
  for (const member of path.keys) {
    values = values
      .filter((value): value is Record<string, unknown> => typeof value === 'object' && value !== null)
      .map((value) => value[member])
      .filter((value) => value !== undefined);
  }
  return values;
}

// Expected results worked out by hand from the values above and clause 4.9.
const TABLE: Array<[string, boolean]> = [
  ['temperature', true],
  ['!temperature', false],
  ['humidity', false],
  ['!humidity', true],
  ['temperature==21.5', true],
  ['temperature!=21.5', false],
  ['temperature>21', true],
  ['temperature>21.5', false],
  ['temperature>=21.5', true],
  ['temperature<22', true],
  ['temperature<=21', false],
  ['temperature==20..22', true],
  ['temperature==22..30', false],
  ['temperature!=22..30', true],
  ['count==1,7,9', true],
  ['count==1,2', false],
  ['name=="Eiffel Tower"', true],
  ['name=="eiffel tower"', false],
  ['name=="Louvre","Eiffel Tower"', true],
  ['name~="^Eiff"', true],
  ['name~="(?i)^eiff"', true],
  ['name!~="Tower$"', false],
  ['status=="open";count>5', true],
  ['status=="closed";count>5', false],
  ['status=="closed"|count>5', true],
  ['status=="closed"|count>50', false],
  ['status=="closed";count>5|temperature>20', true],
  ['status=="closed";(count>5|temperature>20)', false],
  ['(status=="closed"|count>5);temperature>20', true],
  ['isParked==false', true],
  ['isParked==true', false],
  ['refBuilding==urn:ngsi-ld:Building:B1', true],
  ['refBuilding=="urn:ngsi-ld:Building:B2"', false],
  ['temperature.unitCode=="CEL"', true],
  ['temperature.observedAt>=2024-05-01T09:00:00Z', true],
  ['temperature.observedAt>2024-05-01T10:00:00Z', false],
  ['dateObserved==2016-03-15T00:00:00Z..2016-03-16T00:00:00Z', true],
  ['address[city]=="Paris"', true],
  ['address[zip]=="75001"', false],
  ['address[country]', false],
  ['tags=="blue"', true],
  ['tags=="green"', false],
  ['name>"A"', true],
];

describe('query-language', () => {
  it.each(TABLE)('evaluates %s to %s', (q, expected) => {
    expect(evaluateQuery(parseQuery(q), read)).toBe(expected);
  });

  it('parses AND tighter than OR', () => {
    expect(parseQuery('a==1;b==2|c==3')).toMatchObject({
      kind: 'or',
      terms: [
        { kind: 'and', terms: [{ path: { attribute: 'a' } }, { path: { attribute: 'b' } }] },
        { path: { attribute: 'c' } },
      ],
    });
  });

  it('parses sub-attribute paths and bracket keys', () => {
    expect(parseQuery('temperature.observedAt>=2020-01-01T00:00:00Z')).toMatchObject({
      kind: 'compare',
      operator: '>=',
      path: { attribute: 'temperature', subAttributes: ['observedAt'], keys: [] },
      value: { kind: 'dateTime' },
    });
    expect(parseQuery('address[city][name]=="x"')).toMatchObject({
      path: { attribute: 'address', subAttributes: [], keys: ['city', 'name'] },
    });
  });

  it('keeps separators inside quoted strings', () => {
    expect(parseQuery('name=="a;b|c)d"')).toMatchObject({
      kind: 'equals',
      values: [{ kind: 'string', value: 'a;b|c)d' }],
    });
  });

  const BAD: Array<[string, RegExp]> = [
    ['', /empty/],
    ['temperature>', /missing value/],
    ['temperature=>5', /expected an operator/],
    ['(a==1', /missing '\)'/],
    ['a==1)', /unexpected '\)'/],
    ['name=="open', /unterminated string/],
    ['name==open', /not a value/],
    ['name~="[a-"', /not a valid regular expression/],
    ['!a==1', /only negates existence/],
    ['a>true', /needs a number/],
    ['a==1;;b==2', /expected an attribute name/],
  ];
  it.each(BAD)('rejects %j with a 400 naming the problem', (q, message) => {
    let caught: unknown;
    try {
      parseQuery(q);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      status: 400,
      options: { type: 'https://uri.etsi.org/ngsi-ld/errors/BadRequestData' },
    });
    expect((caught as Error).message).toMatch(message);
  });
});
