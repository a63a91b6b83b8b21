import { describe, expect, it } from 'vitest';
import {
  Cql2Error,
  checkPropertyKinds,
  conformanceClassesSupported,
  evaluateCql2,
  functionsOf,
  parseCql2,
  parseCql2Json,
  parseCql2Text,
  propertiesOf,
  toSql,
  type Cql2Kind,
} from '../../../server/cql2';
import { TEXT_EXAMPLES } from './examples';
import { FEATURES } from './features';

describe('cql2', () => {
  it('returns the published CQL2 1.0 conformance class URIs it implements', () => {
    const prefix = 'http://www.opengis.net/spec/cql2/1.0/conf/';
    expect(conformanceClassesSupported()).toEqual(
      [
        'basic-cql2',
        'advanced-comparison-operators',
        'case-insensitive-comparison',
        'accent-insensitive-comparison',
        'basic-spatial-functions',
        'basic-spatial-functions-plus',
        'spatial-functions',
        'temporal-functions',
        'array-functions',
        'property-property',
        'arithmetic',
        'cql2-text',
        'cql2-json',
      ].map((name) => prefix + name),
    );
  });

  it('returns every property a filter references, once, including interval bounds and function arguments', () => {
    expect(
      propertiesOf(
        parseCql2Text(
          "a = 1 AND CASEI(b) LIKE 'x%' AND T_DURING(INTERVAL(c, d), INTERVAL('2020-01-01', '..')) AND a > e + 1",
        ),
      ),
    ).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(propertiesOf(parseCql2Text('A_CONTAINS("layer:ids", (\'x\', f))'))).toEqual(['layer:ids', 'f']);
  });

  it('returns the custom functions a filter calls', () => {
    expect(
      functionsOf(parseCql2Text("avg(windSpeed) < 4 AND S_WITHIN(road, Buffer(geometry, 10, 'm'))")),
    ).toEqual(['avg', 'Buffer']);
    expect(functionsOf(parseCql2Text("CASEI(a) = 'x' AND S_INTERSECTS(g, POINT(1 2))"))).toEqual([]);
  });

  it('checks property kinds against the queryables', () => {
    const kinds: Record<string, Cql2Kind> = {
      name: 'string',
      floors: 'number',
      built: 'instant',
      geometry: 'geometry',
      tags: 'array',
    };
    const check = (filter: string) =>
      checkPropertyKinds(parseCql2Text(filter), (property) => kinds[property]);
    expect(() =>
      check("name LIKE 'a%' AND floors > 2 AND built > '2020-01-01' AND S_INTERSECTS(geometry, POINT(1 2))"),
    ).not.toThrow();
    expect(() =>
      check("A_CONTAINS(tags, ('a')) AND T_AFTER(built, DATE('2020-01-01')) AND unknown = 1"),
    ).not.toThrow();
    expect(() => check("floors LIKE '1%'")).toThrow(
      /like expects a character expression as argument 1, got number property "floors"/,
    );
    expect(() => check('S_INTERSECTS(name, POINT(1 2))')).toThrow(
      /s_intersects expects a geometry as argument 1, got string property "name"/,
    );
    expect(() => check("floors IN ('x', 'y')")).toThrow(
      /in compares number property "floors" with string "x"/,
    );
    expect(() => check("floors = 'x'")).toThrow(/= compares number property "floors" with string "x"/);
    expect(() => check("T_AFTER(name, DATE('2020-01-01'))")).toThrow(
      /t_after expects an instant or interval/,
    );
    expect(() => check('floors + name > 1')).toThrow(/\+ expects a number as argument 2/);
  });

  it('dispatches on filter-lang', () => {
    const expected = { op: '=', args: [{ property: 'a' }, 1] };
    expect(parseCql2('a = 1')).toEqual(expected);
    expect(parseCql2('a = 1', 'cql2-text')).toEqual(expected);
    expect(parseCql2('a = 1', 'cql-text')).toEqual(expected);
    expect(parseCql2('{"op":"=","args":[{"property":"a"},1]}', 'cql2-json')).toEqual(expected);
  });

  it('fails cleanly on filters nested too deeply', () => {
    expect(() => parseCql2Text('('.repeat(5000) + 'a=1' + ')'.repeat(5000))).toThrow(
      /nested too deeply at position 201/,
    );
    expect(() => parseCql2Text('a = ' + 'b + '.repeat(5000) + '2')).toThrow(Cql2Error);
    expect(() => parseCql2Text('NOT '.repeat(5000) + 'a = 1')).toThrow(Cql2Error);
    let deep: unknown = { op: '=', args: [{ property: 'a' }, 1] };
    for (let level = 0; level < 5000; level++) deep = { op: 'not', args: [deep] };
    expect(() => parseCql2Json(deep)).toThrow(/nested too deeply/);
    expect(() => parseCql2Text('('.repeat(150) + 'a=1' + ')'.repeat(150))).not.toThrow();
  });

  it('throws nothing but Cql2Error on thousands of mutated and random filters', () => {
    // Deterministic pseudo-random mutations of the standard's examples, plus token soup.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const vocabulary = [
      '(',
      ')',
      ',',
      "'x'",
      '"p"',
      'a',
      '1',
      '-',
      '+',
      '*',
      '/',
      '^',
      '=',
      '<>',
      '<',
      'AND',
      'OR',
      'NOT',
      'LIKE',
      'IN',
      'BETWEEN',
      'IS',
      'NULL',
      'TRUE',
      'CASEI',
      'ACCENTI',
      'S_INTERSECTS',
      'T_AFTER',
      'A_EQUALS',
      'POINT',
      'BBOX',
      'INTERVAL',
      'DATE',
      "'2020-01-01'",
      "'..'",
      'div',
      '%',
      'Z',
      '1.5e3',
      'geometry',
    ];
    const candidates: string[] = [];
    for (let index = 0; index < 1500; index++) {
      const example = pick(TEXT_EXAMPLES).text;
      const at = Math.floor(random() * example.length);
      const mutation = random();
      if (mutation < 0.33) candidates.push(example.slice(0, at) + example.slice(at + 1));
      else if (mutation < 0.66)
        candidates.push(example.slice(0, at) + pick(vocabulary) + ' ' + example.slice(at));
      else candidates.push(example.slice(0, at));
    }
    for (let index = 0; index < 1500; index++) {
      candidates.push(
        Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(vocabulary)).join(' '),
      );
    }
    let parsed = 0;
    for (const filter of candidates) {
      let expression;
      try {
        expression = parseCql2Text(filter);
      } catch (error) {
        expect(error, filter).toBeInstanceOf(Cql2Error);
        continue;
      }
      parsed++;
      for (const attempt of [
        () => FEATURES.forEach((feature) => evaluateCql2(expression, feature)),
        () => {
          const { where, params } = toSql(expression, {
            dialect: 'sqlite',
            column: (name) => `"${name}"`,
            geometryColumn: 'g',
          });
          return where.length + params.length;
        },
      ]) {
        try {
          attempt();
        } catch (error) {
          expect(error, filter).toBeInstanceOf(Cql2Error);
        }
      }
    }
    // Both outcomes are exercised.
    expect(parsed).toBeGreaterThan(300);
    expect(parsed).toBeLessThan(candidates.length - 300);
  });
});
