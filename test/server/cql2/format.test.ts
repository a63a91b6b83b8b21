import { describe, expect, it } from 'vitest';
import { formatCql2Json, formatCql2Text, parseCql2Json, parseCql2Text } from '../../../server/cql2';
import { JSON_EXAMPLES, TEXT_EXAMPLES } from './examples';

describe('cql2/format', () => {
  it('writes text that parses back to the same tree for every example', () => {
    for (const example of TEXT_EXAMPLES) {
      const tree = parseCql2Text(example.text);
      expect(parseCql2Text(formatCql2Text(tree)), example.name).toEqual(tree);
    }
  });

  it('writes JSON that parses back to the same tree for every example', () => {
    for (const example of JSON_EXAMPLES) {
      const tree = parseCql2Json(example.text);
      const json = formatCql2Json(tree);
      expect(parseCql2Json(json), example.name).toEqual(tree);
      // Serialised JSON loses only the sign of -0.0 (example46), which compares equal to 0.
      expect(JSON.stringify(parseCql2Json(JSON.stringify(json))), example.name).toBe(JSON.stringify(tree));
    }
  });

  it('writes readable CQL2-text with quoted names and escaped strings', () => {
    expect(formatCql2Text(parseCql2Text("a = 'it''s' AND b IS NOT NULL"))).toBe(
      `("a" = 'it''s') AND NOT ("b" IS NULL)`,
    );
    expect(formatCql2Text(parseCql2Text('S_WITHIN(g, POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1)))'))).toBe(
      'S_WITHIN("g", POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1)))',
    );
    expect(
      formatCql2Text(parseCql2Text("T_DURING(INTERVAL(a, '..'), INTERVAL('2020-01-01', '2021-01-01'))")),
    ).toBe(`T_DURING(INTERVAL("a", '..'), INTERVAL('2020-01-01', '2021-01-01'))`);
    expect(formatCql2Text(parseCql2Text('x = -y'))).toBe('"x" = (-1 * "y")');
  });

  it('returns a JSON copy independent of the tree', () => {
    const tree = parseCql2Text('a = 1');
    const json = formatCql2Json(tree) as { args: unknown[] };
    json.args[1] = 2;
    expect(tree).toEqual({ op: '=', args: [{ property: 'a' }, 1] });
  });
});
