// The NGSI-LD query language (ETSI GS CIM 009 clause 4.9): a parser for `q` into a tree, and an evaluator over
// stored entities. `;` (AND) binds tighter than `|` (OR); parentheses group.
import { badRequestData } from './errors';

/** A path to the value a term tests: `attr`, `attr.sub.sub`, `attr[key][key]`, or a mix (`attr.sub[key]`). */
export interface QueryPath {
  /** The attribute name as written (a term or an IRI). */
  attribute: string;
  /** Sub-attribute (or meta member such as `observedAt`) names after the attribute, as written. */
  subAttributes: string[];
  /** Keys into the JSON value (or language tags), as written. */
  keys: string[];
}

/** A literal on the right-hand side of a comparison. */
export type QueryValue =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'dateTime'; value: string; time: number }
  | { kind: 'uri'; value: string };

export type QueryOperator = '==' | '!=' | '>' | '>=' | '<' | '<=' | '~=' | '!~=';

/** A parsed `q` expression. */
export type QueryNode =
  | { kind: 'and'; terms: QueryNode[] }
  | { kind: 'or'; terms: QueryNode[] }
  | { kind: 'exists'; path: QueryPath; negated: boolean }
  | { kind: 'compare'; path: QueryPath; operator: '>' | '>=' | '<' | '<='; value: QueryValue }
  | { kind: 'equals'; path: QueryPath; negated: boolean; values: QueryValue[] }
  | { kind: 'range'; path: QueryPath; negated: boolean; from: QueryValue; to: QueryValue }
  | { kind: 'pattern'; path: QueryPath; negated: boolean; pattern: RegExp };

const OPERATORS: QueryOperator[] = ['!~=', '==', '!=', '>=', '<=', '~=', '>', '<'];
const NAME_STOP = new Set(['=', '!', '<', '>', '~', ';', '|', '(', ')', '[', ']', '.', '"', ',']);
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const TIME = /^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?$/;
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

class QueryParser {
  #position = 0;
  constructor(readonly text: string) {}

  parse(): QueryNode {
    if (this.text.trim() === '') throw this.#error('the query is empty');
    const node = this.#parseOr();
    if (this.#position < this.text.length) throw this.#error(`unexpected '${this.text[this.#position]}'`);
    return node;
  }

  #error(message: string): Error {
    return badRequestData(`q '${this.text}' is invalid at character ${this.#position + 1}: ${message}`);
  }

  #parseOr(): QueryNode {
    const terms = [this.#parseAnd()];
    while (this.text[this.#position] === '|') {
      this.#position++;
      terms.push(this.#parseAnd());
    }
    return terms.length === 1 ? terms[0] : { kind: 'or', terms };
  }

  #parseAnd(): QueryNode {
    const terms = [this.#parseFactor()];
    while (this.text[this.#position] === ';') {
      this.#position++;
      terms.push(this.#parseFactor());
    }
    return terms.length === 1 ? terms[0] : { kind: 'and', terms };
  }

  #parseFactor(): QueryNode {
    if (this.text[this.#position] === '(') {
      this.#position++;
      const inner = this.#parseOr();
      if (this.text[this.#position] !== ')') throw this.#error("missing ')'");
      this.#position++;
      return inner;
    }
    return this.#parseTerm();
  }

  #parseTerm(): QueryNode {
    let negatedExistence = false;
    if (this.text[this.#position] === '!' && this.text[this.#position + 1] !== '=') {
      negatedExistence = true;
      this.#position++;
    }
    const path = this.#parsePath();
    const operator = OPERATORS.find((candidate) => this.text.startsWith(candidate, this.#position));
    if (!operator) {
      const next = this.text[this.#position];
      if (next !== undefined && next !== ';' && next !== '|' && next !== ')') {
        throw this.#error(`expected an operator (== != > >= < <= ~= !~=) after '${describePath(path)}'`);
      }
      return { kind: 'exists', path, negated: negatedExistence };
    }
    if (negatedExistence) throw this.#error("'!' only negates existence, it cannot precede a comparison");
    this.#position += operator.length;
    const raw = this.#readValueText();
    if (raw === '') throw this.#error(`missing value after '${describePath(path)}${operator}'`);
    if (operator === '~=' || operator === '!~=') {
      return { kind: 'pattern', path, negated: operator === '!~=', pattern: this.#parsePattern(raw) };
    }
    const negated = operator === '!=';
    if (operator === '==' || operator === '!=') {
      const range = splitOutsideQuotes(raw, '..');
      if (range.length === 2) {
        return {
          kind: 'range',
          path,
          negated,
          from: this.#parseValue(range[0]),
          to: this.#parseValue(range[1]),
        };
      }
      const items = splitOutsideQuotes(raw, ',');
      return { kind: 'equals', path, negated, values: items.map((item) => this.#parseValue(item)) };
    }
    const value = this.#parseValue(raw);
    if (value.kind === 'boolean' || value.kind === 'uri') {
      throw this.#error(`'${operator}' needs a number, a quoted string or a date-time, not ${raw}`);
    }
    return { kind: 'compare', path, operator: operator as '>' | '>=' | '<' | '<=', value };
  }

  #parseName(what: string): string {
    const start = this.#position;
    while (this.#position < this.text.length && !NAME_STOP.has(this.text[this.#position])) this.#position++;
    const name = this.text.slice(start, this.#position).trim();
    if (name === '') throw this.#error(`expected ${what}`);
    if (/\s/.test(name)) throw this.#error(`'${name}' is not an attribute name`);
    return name;
  }

  #parsePath(): QueryPath {
    const attribute = this.#parseName('an attribute name');
    const subAttributes: string[] = [];
    const keys: string[] = [];
    while (this.text[this.#position] === '.' && keys.length === 0) {
      this.#position++;
      subAttributes.push(this.#parseName('a sub-attribute name after "."'));
    }
    while (this.text[this.#position] === '[') {
      this.#position++;
      const end = this.text.indexOf(']', this.#position);
      if (end === -1) throw this.#error("missing ']'");
      const key = this.text.slice(this.#position, end).trim();
      if (key === '') throw this.#error("empty '[]'");
      keys.push(key);
      this.#position = end + 1;
    }
    return { attribute, subAttributes, keys };
  }

  /** The text up to the next `;`, `|` or unbalanced `)` outside quotes. */
  #readValueText(): string {
    const start = this.#position;
    let quoted = false;
    while (this.#position < this.text.length) {
      const character = this.text[this.#position];
      if (character === '\\' && quoted) {
        this.#position += 2;
        continue;
      }
      if (character === '"') quoted = !quoted;
      else if (!quoted && (character === ';' || character === '|' || character === ')')) break;
      this.#position++;
    }
    if (quoted) throw this.#error('unterminated string');
    return this.text.slice(start, this.#position);
  }

  #parseValue(raw: string): QueryValue {
    const text = raw.trim();
    if (text.startsWith('"')) {
      if (text.length < 2 || !text.endsWith('"')) throw this.#error(`unterminated string ${text}`);
      const value = text.slice(1, -1).replace(/\\(["\\])/g, '$1');
      return DATE_TIME.test(value) && value.length > 10
        ? { kind: 'dateTime', value, time: Date.parse(value) }
        : { kind: 'string', value };
    }
    if (text === 'true' || text === 'false') return { kind: 'boolean', value: text === 'true' };
    if (NUMBER.test(text)) return { kind: 'number', value: Number(text) };
    if (DATE_TIME.test(text) || TIME.test(text)) {
      const time = Date.parse(TIME.test(text) ? `1970-01-01T${text}` : text);
      if (Number.isNaN(time)) throw this.#error(`'${text}' is not a valid date-time`);
      return { kind: 'dateTime', value: text, time };
    }
    if (/^[a-z][a-z0-9+.-]*:[^\s"]+$/i.test(text)) return { kind: 'uri', value: text };
    throw this.#error(
      `'${text}' is not a value: quote strings ("..."), or give a number, true, false, a date-time or a URI`,
    );
  }

  #parsePattern(raw: string): RegExp {
    let source = raw.trim();
    if (source.startsWith('"') && source.endsWith('"') && source.length >= 2) source = source.slice(1, -1);
    let flags = '';
    if (source.startsWith('(?i)')) {
      flags = 'i';
      source = source.slice(4);
    }
    try {
      return new RegExp(source, flags);
    } catch (error) {
      throw this.#error(`'${source}' is not a valid regular expression (${(error as Error).message})`);
    }
  }
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (character === '\\' && quoted) {
      index++;
      continue;
    }
    if (character === '"') quoted = !quoted;
    else if (!quoted && text.startsWith(separator, index)) {
      // A decimal point is not a range: '1..5' splits, '1.5' does not.
      parts.push(text.slice(start, index));
      index += separator.length - 1;
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function describePath(path: QueryPath): string {
  return [path.attribute, ...path.subAttributes].join('.') + path.keys.map((key) => `[${key}]`).join('');
}

/**
 * Parses a `q` expression.
 * @throws ApiError 400 BadRequestData naming the position and the problem
 */
export function parseQuery(text: string): QueryNode {
  return new QueryParser(text).parse();
}

/** Every path a query tests, for collecting the attributes it needs. */
export function queryPaths(node: QueryNode): QueryPath[] {
  if (node.kind === 'and' || node.kind === 'or') return node.terms.flatMap(queryPaths);
  return [node.path];
}

/** Reads the values a path points at in one entity; empty when the path leads nowhere. */
export type PathReader = (path: QueryPath) => unknown[];

/** Evaluates a parsed query against one entity, read through `readPath`. */
export function evaluateQuery(node: QueryNode, readPath: PathReader): boolean {
  switch (node.kind) {
    case 'and':
      return node.terms.every((term) => evaluateQuery(term, readPath));
    case 'or':
      return node.terms.some((term) => evaluateQuery(term, readPath));
    case 'exists': {
      const present = readPath(node.path).length > 0;
      return node.negated ? !present : present;
    }
    case 'compare': {
      return flattenValues(readPath(node.path)).some((target) => {
        const order = compareValues(target, node.value);
        if (order === undefined) return false;
        switch (node.operator) {
          case '>':
            return order > 0;
          case '>=':
            return order >= 0;
          case '<':
            return order < 0;
          case '<=':
            return order <= 0;
        }
      });
    }
    case 'equals': {
      const targets = flattenValues(readPath(node.path));
      if (targets.length === 0) return false;
      const hit = targets.some((target) => node.values.some((value) => compareValues(target, value) === 0));
      return node.negated ? !hit : hit;
    }
    case 'range': {
      const targets = flattenValues(readPath(node.path));
      if (targets.length === 0) return false;
      const hit = targets.some((target) => {
        const low = compareValues(target, node.from);
        const high = compareValues(target, node.to);
        return low !== undefined && high !== undefined && low >= 0 && high <= 0;
      });
      return node.negated ? !hit : hit;
    }
    case 'pattern': {
      const targets = flattenValues(readPath(node.path)).filter(
        (target): target is string => typeof target === 'string',
      );
      if (targets.length === 0) return false;
      const hit = targets.some((target) => node.pattern.test(target));
      return node.negated ? !hit : hit;
    }
  }
}

/** Arrays match when any element matches (clause 4.9). */
function flattenValues(values: unknown[]): unknown[] {
  return values.flatMap((value) => (Array.isArray(value) ? value : [value]));
}

/** Orders a stored value against a literal: negative, zero, positive, or undefined when they do not compare. */
export function compareValues(target: unknown, literal: QueryValue): number | undefined {
  if (target !== null && typeof target === 'object' && '@value' in target)
    target = (target as { '@value': unknown })['@value'];
  switch (literal.kind) {
    case 'number':
      if (typeof target === 'number') return target - literal.value;
      if (typeof target === 'string' && NUMBER.test(target)) return Number(target) - literal.value;
      return undefined;
    case 'boolean':
      return typeof target === 'boolean' ? Number(target) - Number(literal.value) : undefined;
    case 'dateTime': {
      if (typeof target !== 'string') return undefined;
      const time = Date.parse(TIME.test(target) ? `1970-01-01T${target}` : target);
      if (Number.isNaN(time)) return target < literal.value ? -1 : target > literal.value ? 1 : 0;
      return time - literal.time;
    }
    case 'string':
    case 'uri':
      if (typeof target !== 'string') return undefined;
      return target < literal.value ? -1 : target > literal.value ? 1 : 0;
  }
}
