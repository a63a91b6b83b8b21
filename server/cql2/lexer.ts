// Splits CQL2-text into tokens (identifiers, quoted names, strings, numbers, punctuation) with their offsets.
import { Cql2Error } from './model';

export type Cql2TokenKind = 'identifier' | 'quoted' | 'string' | 'number' | 'punctuation' | 'end';

export interface Cql2Token {
  kind: Cql2TokenKind;
  /** Identifier or punctuation as written, string contents unescaped, number text as written. */
  value: string;
  /** 0-based character offset of the token's first character. */
  position: number;
  /** The token's source text, for error messages. */
  text: string;
}

// The BNF's identifierStart and identifierPart ranges (U+200C/U+200D joiners included on purpose).
const IDENTIFIER_START =
  /[:_A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFE\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]/u;
const IDENTIFIER_PART = new RegExp(
  // eslint-disable-next-line no-misleading-character-class
  `${IDENTIFIER_START.source.slice(0, -1)}.0-9\\u0300-\\u036F\\u203F-\\u2040]`,
  'u',
);
const WHITESPACE = /[\s\u0085]/u;
const TWO_CHARACTER_PUNCTUATION = new Set(['<>', '<=', '>=']);
const PUNCTUATION = new Set(['(', ')', ',', '=', '<', '>', '+', '-', '*', '/', '%', '^']);

/** Describes a token for an error message: `'LIKE'`, `end of input`. */
export function describeToken(token: Cql2Token): string {
  if (token.kind === 'end') return 'end of input';
  if (token.kind === 'string') return token.text.length > 42 ? token.text.slice(0, 41) + "…'" : token.text;
  return `'${token.text.length > 40 ? token.text.slice(0, 40) + '…' : token.text}'`;
}

/**
 * Tokenises CQL2-text.
 * @throws Cql2Error on an unterminated string or quoted name, a malformed number, or a character CQL2 does not use.
 */
export function tokenizeCql2(source: string): Cql2Token[] {
  const tokens: Cql2Token[] = [];
  let index = 0;
  while (index < source.length) {
    const character = String.fromCodePoint(source.codePointAt(index)!);
    if (WHITESPACE.test(character)) {
      index += character.length;
      continue;
    }
    const start = index;
    if (character === "'") {
      let value = '';
      index++;
      for (;;) {
        if (index >= source.length)
          throw new Cql2Error(`Unterminated string starting at position ${start}`, start);
        const current = source[index];
        if (current === '\\' && source[index + 1] === "'") {
          value += "'";
          index += 2;
        } else if (current === "'" && source[index + 1] === "'") {
          value += "'";
          index += 2;
        } else if (current === "'") {
          index++;
          break;
        } else {
          value += current;
          index++;
        }
      }
      tokens.push({ kind: 'string', value, position: start, text: source.slice(start, index) });
      continue;
    }
    if (character === '"') {
      const end = source.indexOf('"', index + 1);
      if (end < 0)
        throw new Cql2Error(`Unterminated quoted property name starting at position ${start}`, start);
      const value = source.slice(index + 1, end);
      if (value.length === 0) throw new Cql2Error(`Empty quoted property name at position ${start}`, start);
      index = end + 1;
      tokens.push({ kind: 'quoted', value, position: start, text: source.slice(start, index) });
      continue;
    }
    if (/[0-9]/.test(character) || (character === '.' && /[0-9]/.test(source[index + 1] ?? ''))) {
      const match = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(source.slice(index))!;
      index += match[0].length;
      const next = source[index];
      if (next !== undefined && (IDENTIFIER_PART.test(next) || next === '.')) {
        throw new Cql2Error(
          `Malformed number '${source.slice(start, index + 1)}' at position ${start}`,
          start,
        );
      }
      tokens.push({ kind: 'number', value: match[0], position: start, text: match[0] });
      continue;
    }
    if (IDENTIFIER_START.test(character)) {
      index += character.length;
      while (index < source.length) {
        const part = String.fromCodePoint(source.codePointAt(index)!);
        if (!IDENTIFIER_PART.test(part)) break;
        index += part.length;
      }
      const text = source.slice(start, index);
      tokens.push({ kind: 'identifier', value: text, position: start, text });
      continue;
    }
    const pair = source.slice(index, index + 2);
    if (TWO_CHARACTER_PUNCTUATION.has(pair)) {
      tokens.push({ kind: 'punctuation', value: pair, position: start, text: pair });
      index += 2;
      continue;
    }
    if (PUNCTUATION.has(character)) {
      tokens.push({ kind: 'punctuation', value: character, position: start, text: character });
      index++;
      continue;
    }
    throw new Cql2Error(`Unexpected character '${character}' at position ${start}`, start);
  }
  tokens.push({ kind: 'end', value: '', position: source.length, text: '' });
  return tokens;
}
