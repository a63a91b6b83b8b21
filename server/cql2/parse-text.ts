// CQL2-text parser: a recursive-descent reading of the normative BNF (cql2.bnf) into the shared AST.
import type { Geometry, Position } from 'geojson';
import { describeToken, tokenizeCql2, type Cql2Token } from './lexer';
import {
  ARRAY_FUNCTIONS,
  COMPARISON_OPERATORS,
  Cql2Error,
  MAXIMUM_NESTING_DEPTH,
  SPATIAL_FUNCTIONS,
  TEMPORAL_FUNCTIONS,
  canonicalOperator,
  canonicalTimestamp,
  isDateString,
  type Cql2Expression,
  type Cql2IntervalBound,
  type Cql2Operation,
} from './model';
import { validateCql2 } from './validate';

/** Options of {@link parseCql2TextWith}. */
export interface Cql2TextOptions {
  /**
   * Accept the pre-standard forms GDAL 3.6 and other `cql-text` clients send: `ILIKE`, and spatial functions
   * without the `S_` prefix (`INTERSECTS(geometry, POINT(1 2))`). Default false.
   */
  legacy?: boolean;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'like', 'between', 'in', 'is', 'null', 'div', 'true', 'false']);
const GEOMETRY_KEYWORDS = new Set([
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
]);
const SPATIAL = new Set<string>(SPATIAL_FUNCTIONS);
const TEMPORAL = new Set<string>(TEMPORAL_FUNCTIONS);
const ARRAY = new Set<string>(ARRAY_FUNCTIONS);
const COMPARISON = new Set<string>(COMPARISON_OPERATORS);

class TextParser {
  private index = 0;
  private depth = 0;
  /** Start offsets of operation nodes, so type errors found after parsing can name a position. */
  readonly positions = new WeakMap<object, number>();

  constructor(
    private readonly tokens: Cql2Token[],
    private readonly legacy: boolean,
  ) {}

  private at<T extends object>(node: T, position: number): T {
    this.positions.set(node, position);
    return node;
  }

  private get current(): Cql2Token {
    return this.tokens[this.index];
  }

  /** Fails cleanly when the tree would nest deeper than {@link MAXIMUM_NESTING_DEPTH}. */
  private checkDepth(extra = 0): void {
    if (this.depth + extra > MAXIMUM_NESTING_DEPTH) {
      const token = this.current;
      throw new Cql2Error(
        `Filter nested too deeply at position ${token.position}: at most ${MAXIMUM_NESTING_DEPTH} levels`,
        token.position,
      );
    }
  }

  /** Runs a recursive step one level deeper. */
  private nested<T>(step: () => T): T {
    this.depth++;
    this.checkDepth();
    try {
      return step();
    } finally {
      this.depth--;
    }
  }

  private atEnd(): boolean {
    return this.current.kind === 'end';
  }

  private peek(offset = 1): Cql2Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private advance(): Cql2Token {
    const token = this.current;
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private fail(expected: string, token = this.current): never {
    throw new Cql2Error(
      `Unexpected ${describeToken(token)} at position ${token.position}: expected ${expected}`,
      token.position,
    );
  }

  private isPunctuation(value: string, token = this.current): boolean {
    return token.kind === 'punctuation' && token.value === value;
  }

  private isKeyword(keyword: string, token = this.current): boolean {
    return token.kind === 'identifier' && token.value.toLowerCase() === keyword;
  }

  private expectPunctuation(value: string, expected = `'${value}'`): Cql2Token {
    if (!this.isPunctuation(value)) this.fail(expected);
    return this.advance();
  }

  private expectKeyword(keyword: string): Cql2Token {
    if (!this.isKeyword(keyword)) this.fail(`'${keyword.toUpperCase()}'`);
    return this.advance();
  }

  parseFilter(): Cql2Expression {
    if (this.atEnd()) this.fail('a filter expression');
    const expression = this.parseOr();
    if (!this.atEnd()) this.fail('an operator or the end of the filter');
    return expression;
  }

  private parseOr(): Cql2Expression {
    const first = this.parseAnd();
    if (!this.isKeyword('or')) return first;
    const position = this.current.position;
    const args = [first];
    while (this.isKeyword('or')) {
      this.advance();
      args.push(this.parseAnd());
    }
    return this.at({ op: 'or', args }, position);
  }

  private parseAnd(): Cql2Expression {
    const first = this.parseNot();
    if (!this.isKeyword('and')) return first;
    const position = this.current.position;
    const args = [first];
    while (this.isKeyword('and')) {
      this.advance();
      args.push(this.parseNot());
    }
    return this.at({ op: 'and', args }, position);
  }

  private parseNot(): Cql2Expression {
    if (this.isKeyword('not')) {
      const position = this.advance().position;
      return this.at({ op: 'not', args: [this.nested(() => this.parseNot())] }, position);
    }
    return this.parsePredicate();
  }

  private parsePredicate(): Cql2Expression {
    const left = this.parseAdditive();
    const token = this.current;
    if (token.kind === 'punctuation' && COMPARISON.has(token.value)) {
      this.advance();
      return this.at({ op: token.value, args: [left, this.parseAdditive()] }, token.position);
    }
    if (this.isKeyword('is')) {
      this.advance();
      const negated = this.isKeyword('not');
      if (negated) this.advance();
      this.expectKeyword('null');
      const test = this.at<Cql2Operation>({ op: 'isNull', args: [left] }, token.position);
      return negated ? this.at({ op: 'not', args: [test] }, token.position) : test;
    }
    let negated = false;
    if (this.isKeyword('not')) {
      const next = this.peek();
      if (
        this.isKeyword('like', next) ||
        this.isKeyword('between', next) ||
        this.isKeyword('in', next) ||
        (this.legacy && this.isKeyword('ilike', next))
      ) {
        this.advance();
        negated = true;
      } else {
        this.fail("'LIKE', 'BETWEEN' or 'IN' after 'NOT'", next);
      }
    }
    let predicate: Cql2Operation | undefined;
    if (this.isKeyword('like')) {
      this.advance();
      predicate = { op: 'like', args: [left, this.parseAdditive()] };
    } else if (this.legacy && this.isKeyword('ilike')) {
      this.advance();
      const pattern = this.parseAdditive();
      predicate = {
        op: 'like',
        args: [
          { op: 'casei', args: [left] },
          { op: 'casei', args: [pattern] },
        ],
      };
    } else if (this.isKeyword('between')) {
      this.advance();
      const low = this.parseAdditive();
      this.expectKeyword('and');
      predicate = { op: 'between', args: [left, low, this.parseAdditive()] };
    } else if (this.isKeyword('in')) {
      this.advance();
      const open = this.expectPunctuation('(', "'(' to open the IN list");
      if (this.isPunctuation(')')) this.fail('at least one value in the IN list');
      const list = this.parseList(() => this.parseAdditive());
      if (list.length === 0) throw new Cql2Error(`Empty IN list at position ${open.position}`, open.position);
      predicate = { op: 'in', args: [left, list] };
    }
    if (!predicate) return left;
    this.at(predicate, token.position);
    return negated ? this.at({ op: 'not', args: [predicate] }, token.position) : predicate;
  }

  /** Reads `item (, item)* )` after an opening parenthesis has been consumed. */
  private parseList(item: () => Cql2Expression): Cql2Expression[] {
    const items: Cql2Expression[] = [];
    if (this.isPunctuation(')')) {
      this.advance();
      return items;
    }
    for (;;) {
      items.push(item());
      if (this.isPunctuation(',')) {
        this.advance();
        continue;
      }
      this.expectPunctuation(')', "',' or ')'");
      return items;
    }
  }

  private parseAdditive(): Cql2Expression {
    let left = this.parseMultiplicative();
    let chain = 0;
    while (this.isPunctuation('+') || this.isPunctuation('-')) {
      // Each operator of a left-associative chain nests the tree one level deeper.
      this.checkDepth(++chain);
      const operator = this.advance();
      left = this.at({ op: operator.value, args: [left, this.parseMultiplicative()] }, operator.position);
    }
    return left;
  }

  private parseMultiplicative(): Cql2Expression {
    let left = this.parsePower();
    for (let chain = 1; ; chain++) {
      const position = this.current.position;
      let operator: string;
      if (this.isPunctuation('*') || this.isPunctuation('/') || this.isPunctuation('%')) {
        operator = this.advance().value;
      } else if (this.isKeyword('div')) {
        this.advance();
        operator = 'div';
      } else {
        return left;
      }
      this.checkDepth(chain);
      left = this.at({ op: operator, args: [left, this.parsePower()] }, position);
    }
  }

  private parsePower(): Cql2Expression {
    const base = this.parseUnary();
    if (!this.isPunctuation('^')) return base;
    const position = this.advance().position;
    return this.at({ op: '^', args: [base, this.nested(() => this.parsePower())] }, position);
  }

  private parseUnary(): Cql2Expression {
    if (this.isPunctuation('-') || this.isPunctuation('+')) {
      const sign = this.advance().value;
      if (this.current.kind === 'number') {
        const value = Number(this.advance().value);
        return sign === '-' ? -value : value;
      }
      const position = this.current.position;
      const operand = this.nested(() => this.parseUnary());
      return sign === '-' ? this.at({ op: '*', args: [-1, operand] }, position) : operand;
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Cql2Expression {
    const token = this.current;
    switch (token.kind) {
      case 'number':
        this.advance();
        return Number(token.value);
      case 'string':
        this.advance();
        return token.value;
      case 'quoted':
        this.advance();
        return { property: token.value };
      case 'punctuation':
        if (token.value === '(') {
          this.advance();
          const items = this.nested(() => this.parseList(() => this.parseArgument()));
          // A single parenthesised item is a grouping; several (or none) make an array.
          return items.length === 1 ? items[0] : items;
        }
        return this.fail('a value, property or function');
      case 'end':
        return this.fail('a value, property or function');
      case 'identifier':
        return this.parseIdentifier(token);
    }
  }

  /** A function argument or array element: an expression, or an array in parentheses. */
  private parseArgument(): Cql2Expression {
    return this.parseOr();
  }

  /** An argument of an A_* function: a parenthesised list is always an array there. */
  private parseArrayArgument(): Cql2Expression {
    if (this.isPunctuation('(')) {
      this.advance();
      return this.parseList(() => this.nested(() => this.parseArgument()));
    }
    return this.parseAdditive();
  }

  private parseIdentifier(token: Cql2Token): Cql2Expression {
    const lower = token.value.toLowerCase();
    const next = this.peek();
    const called = this.isPunctuation('(', next);
    if (lower === 'true' || lower === 'false') {
      this.advance();
      return lower === 'true';
    }
    if (KEYWORDS.has(lower)) this.fail('a value, property or function');
    if (GEOMETRY_KEYWORDS.has(lower) && (called || this.isKeyword('z', next))) return this.parseGeometry();
    if (!called) {
      this.advance();
      return { property: token.value };
    }
    if (lower === 'bbox') return this.parseBbox();
    if (lower === 'date' || lower === 'timestamp') {
      this.advance();
      this.advance();
      const literal = this.current;
      if (literal.kind !== 'string') this.fail(`a quoted ${lower} string`);
      this.advance();
      this.expectPunctuation(')');
      if (lower === 'date') {
        if (!isDateString(literal.value)) {
          throw new Cql2Error(
            `Invalid date ${describeToken(literal)} at position ${literal.position}: expected YYYY-MM-DD`,
            literal.position,
          );
        }
        return { date: literal.value };
      }
      const timestamp = canonicalTimestamp(literal.value);
      if (!timestamp) {
        throw new Cql2Error(
          `Invalid timestamp ${describeToken(literal)} at position ${literal.position}: expected YYYY-MM-DDTHH:MM:SS[.fff]Z`,
          literal.position,
        );
      }
      return { timestamp };
    }
    if (lower === 'interval') {
      this.advance();
      this.advance();
      const start = this.parseIntervalBound();
      this.expectPunctuation(',', "',' between the interval's start and end");
      const end = this.parseIntervalBound();
      this.expectPunctuation(')');
      return { interval: [start, end] };
    }
    let name = canonicalOperator(token.value);
    if (this.legacy && !name && SPATIAL.has(`s_${lower}`)) name = `s_${lower}`;
    this.advance();
    this.advance();
    if (name && (SPATIAL.has(name) || TEMPORAL.has(name) || ARRAY.has(name))) {
      const read = ARRAY.has(name)
        ? () => this.nested(() => this.parseArrayArgument())
        : () => this.nested(() => this.parseAdditive());
      const first = read();
      this.expectPunctuation(',', `',' between the two arguments of ${token.value}`);
      const second = read();
      this.expectPunctuation(')', `')' after the two arguments of ${token.value}`);
      return this.at({ op: name, args: [first, second] }, token.position);
    }
    if (name === 'casei' || name === 'accenti') {
      const argument = this.nested(() => this.parseAdditive());
      this.expectPunctuation(')', `')' after the argument of ${token.value}`);
      return this.at({ op: name, args: [argument] }, token.position);
    }
    if (name) this.fail(`a function name ('${token.value}' is an operator)`, token);
    return this.at(
      { op: token.value, args: this.nested(() => this.parseList(() => this.parseArgument())) },
      token.position,
    );
  }

  private parseIntervalBound(): Cql2IntervalBound {
    const token = this.current;
    if (token.kind === 'string') {
      this.advance();
      if (token.value === '..' || isDateString(token.value)) return token.value;
      const timestamp = canonicalTimestamp(token.value);
      if (timestamp) return timestamp;
      throw new Cql2Error(
        `Invalid interval bound ${describeToken(token)} at position ${token.position}: expected a date, a timestamp or '..'`,
        token.position,
      );
    }
    if (token.kind === 'quoted' || token.kind === 'identifier') {
      const bound = this.parsePrimary();
      if (typeof bound === 'object' && !Array.isArray(bound) && ('property' in bound || 'op' in bound)) {
        return bound as Cql2IntervalBound;
      }
    }
    return this.fail("a date or timestamp string, '..', a property or a function", token);
  }

  private parseSignedNumber(): number {
    let sign = 1;
    if (this.isPunctuation('-') || this.isPunctuation('+')) sign = this.advance().value === '-' ? -1 : 1;
    if (this.current.kind !== 'number') this.fail('a number');
    return sign * Number(this.advance().value);
  }

  private parseBbox(): Cql2Expression {
    this.advance();
    const open = this.advance();
    const values = [this.parseSignedNumber()];
    while (this.isPunctuation(',')) {
      this.advance();
      values.push(this.parseSignedNumber());
    }
    this.expectPunctuation(')', "',' or ')'");
    if (values.length !== 4 && values.length !== 6) {
      throw new Cql2Error(
        `BBOX at position ${open.position} has ${values.length} numbers: expected 4 or 6`,
        open.position,
      );
    }
    return { bbox: values };
  }

  private parsePoint(): Position {
    const coordinates = [this.parseSignedNumber(), this.parseSignedNumber()];
    if (this.current.kind === 'number' || this.isPunctuation('-') || this.isPunctuation('+')) {
      coordinates.push(this.parseSignedNumber());
    }
    return coordinates;
  }

  /** `( item, item, ... )` with at least `minimum` items. */
  private parseSequence<T>(item: () => T, minimum: number, what: string): T[] {
    const open = this.expectPunctuation('(', `'(' to open ${what}`);
    const items = [item()];
    while (this.isPunctuation(',')) {
      this.advance();
      items.push(item());
    }
    this.expectPunctuation(')', "',' or ')'");
    if (items.length < minimum) {
      throw new Cql2Error(
        `${what} at position ${open.position} has ${items.length} item(s): expected at least ${minimum}`,
        open.position,
      );
    }
    return items;
  }

  private parseRing(): Position[] {
    const position = this.current.position;
    const ring = this.parseSequence(() => this.parsePoint(), 4, 'a polygon ring');
    const first = ring[0];
    const last = ring[ring.length - 1];
    if (first.length !== last.length || first.some((value, axis) => value !== last[axis])) {
      throw new Cql2Error(
        `Polygon ring at position ${position} is not closed (first point ≠ last point)`,
        position,
      );
    }
    return ring;
  }

  private parseGeometry(): Geometry {
    const keyword = this.advance().value.toLowerCase();
    if (this.isKeyword('z')) this.advance();
    switch (keyword) {
      case 'point':
        return { type: 'Point', coordinates: this.parseSequence(() => this.parsePoint(), 1, 'a point')[0] };
      case 'linestring':
        return {
          type: 'LineString',
          coordinates: this.parseSequence(() => this.parsePoint(), 2, 'a linestring'),
        };
      case 'polygon':
        return { type: 'Polygon', coordinates: this.parseSequence(() => this.parseRing(), 1, 'a polygon') };
      case 'multipoint':
        return {
          type: 'MultiPoint',
          coordinates: this.parseSequence(
            // Both `MULTIPOINT ((1 2), (3 4))` (the BNF) and the common `MULTIPOINT (1 2, 3 4)`.
            () =>
              this.isPunctuation('(')
                ? this.parseSequence(() => this.parsePoint(), 1, 'a point')[0]
                : this.parsePoint(),
            1,
            'a multipoint',
          ),
        };
      case 'multilinestring':
        return {
          type: 'MultiLineString',
          coordinates: this.parseSequence(
            () => this.parseSequence(() => this.parsePoint(), 2, 'a linestring'),
            1,
            'a multilinestring',
          ),
        };
      case 'multipolygon':
        return {
          type: 'MultiPolygon',
          coordinates: this.parseSequence(
            () => this.parseSequence(() => this.parseRing(), 1, 'a polygon'),
            1,
            'a multipolygon',
          ),
        };
      default:
        return {
          type: 'GeometryCollection',
          geometries: this.parseSequence(
            () => {
              const member = this.current;
              if (
                member.kind !== 'identifier' ||
                !GEOMETRY_KEYWORDS.has(member.value.toLowerCase()) ||
                member.value.toLowerCase() === 'geometrycollection'
              ) {
                this.fail('a geometry inside GEOMETRYCOLLECTION');
              }
              return this.parseGeometry();
            },
            1,
            'a geometry collection',
          ),
        };
    }
  }
}

/**
 * Parses CQL2-text into the shared AST and checks operand types.
 * @throws Cql2Error naming the offending token and its 0-based position.
 */
export function parseCql2TextWith(text: string, options: Cql2TextOptions = {}): Cql2Expression {
  if (typeof text !== 'string') throw new Cql2Error('A CQL2-text filter must be a string');
  const parser = new TextParser(tokenizeCql2(text), options.legacy ?? false);
  const expression = parser.parseFilter();
  validateCql2(expression, parser.positions);
  return expression;
}
