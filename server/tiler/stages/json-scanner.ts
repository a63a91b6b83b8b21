// Stage helper: a byte-level JSON scanner over a stream of chunks. It walks a document's structure (strings, escapes,
// brackets) without building it, counts lines, cuts values out as byte slices for JSON.parse, and reads long arrays of
// number triples (CityJSON `vertices`) straight from the bytes, so a document of any size needs little memory.
import { DataError } from '../errors';

const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const EMPTY = Buffer.alloc(0);
/** Bytes that matter to {@link JsonByteScanner.scanValue} outside strings: quotes, brackets, braces, line feeds. */
const STRUCTURAL = new Uint8Array(256);
for (const byte of [QUOTE, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET, NEWLINE])
  STRUCTURAL[byte] = 1;
/** Integers with more digits than this may lose precision when accumulated digit by digit; they go through Number(). */
const MAXIMUM_FAST_DIGITS = 15;

/** The stream ended inside a value: the file is truncated. Objects read before the cut are still good. */
export class JsonTruncatedError extends DataError {}

/** Receives the number triples of an array such as `[[x, y, z], …]`. */
export interface JsonTripleSink {
  add(x: number, y: number, z: number): void;
}

function describeByte(byte: number): string {
  return byte < 0 ? 'the end of the file' : `'${String.fromCharCode(byte)}'`;
}

/**
 * Reads one JSON document from byte chunks; the source may reuse a chunk's buffer once the next chunk is asked for.
 * Positions are absolute (bytes of the uncompressed stream from `startOffset`), lines are 1-based and count from
 * `startLine`. Errors are {@link DataError}s with the file and line.
 */
export class JsonByteScanner {
  /** The current line (1-based). */
  line: number;
  private buffer: Buffer = EMPTY;
  private position = 0;
  /** Stream bytes before `buffer`. */
  private consumed: number;
  private ended = false;

  constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly file: string,
    startLine = 1,
    startOffset = 0,
  ) {
    this.line = startLine;
    this.consumed = startOffset;
  }

  /** Offset of the next unread byte in the (uncompressed) stream. */
  get offset(): number {
    return this.consumed + this.position;
  }

  /** A DataError at the current line. */
  error(message: string, line = this.line): DataError {
    return new DataError(`malformed JSON: ${message}`, this.file, line);
  }

  private truncated(what: string): DataError {
    return new JsonTruncatedError(
      `unexpected end of file inside ${what} (the file is truncated)`,
      this.file,
      this.line,
    );
  }

  /** Stops reading: ends the chunk source (closing its file) when the scanner is left before the end. */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.chunks.return?.();
    }
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.chunks.next();
    this.consumed += this.buffer.length;
    this.position = 0;
    if (next.done) {
      this.ended = true;
      this.buffer = EMPTY;
      return false;
    }
    this.buffer = next.value;
    return true;
  }

  /** Skips whitespace and returns the next byte without consuming it; -1 at the end of the stream. */
  async peek(): Promise<number> {
    for (;;) {
      const buffer = this.buffer;
      let position = this.position;
      while (position < buffer.length) {
        const byte = buffer[position];
        if (byte === NEWLINE) this.line++;
        else if (byte !== SPACE && byte !== TAB && byte !== RETURN) {
          this.position = position;
          return byte;
        }
        position++;
      }
      this.position = position;
      if (!(await this.fill())) return -1;
    }
  }

  /** Consumes `byte` (after whitespace). @throws DataError when another byte comes. */
  async expect(byte: number, where: string): Promise<void> {
    const next = await this.peek();
    if (next !== byte) {
      if (next < 0) throw this.truncated(where);
      throw this.error(`expected '${String.fromCharCode(byte)}' ${where} but found ${describeByte(next)}`);
    }
    this.position++;
  }

  /** Reads a string value (the next token must be one). */
  async readString(where: string): Promise<string> {
    const next = await this.peek();
    if (next !== QUOTE) {
      if (next < 0) throw this.truncated(where);
      throw this.error(`expected a string ${where} but found ${describeByte(next)}`);
    }
    const line = this.line;
    return this.parse(await this.scanValue(true, where), line) as string;
  }

  /** JSON.parse of a slice that starts at `line`; a syntax error becomes a DataError on the line where it is. */
  parse(bytes: Buffer, line: number): unknown {
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message);
      let errorLine = line;
      if (position) {
        const end = Math.min(Number(position[1]), text.length);
        for (let index = 0; index < end; index++) if (text.charCodeAt(index) === NEWLINE) errorLine++;
      }
      throw this.error(message, errorLine);
    }
  }

  /**
   * Walks one object's members: for each key, calls `onMember(key, line)`, which must consume the member's value
   * (with {@link scanValue} or {@link readTriples}).
   */
  async forEachMember(where: string, onMember: (key: string, line: number) => Promise<void>): Promise<void> {
    await this.expect(OPEN_BRACE, `at the start of ${where}`);
    let first = true;
    for (;;) {
      const next = await this.peek();
      if (next === CLOSE_BRACE) {
        this.position++;
        return;
      }
      if (!first) {
        if (next < 0) throw this.truncated(where);
        if (next !== COMMA)
          throw this.error(`expected ',' or '}' in ${where} but found ${describeByte(next)}`);
        this.position++;
      } else if (next < 0) throw this.truncated(where);
      first = false;
      // The member starts at its name, after any whitespace (and line breaks) following the comma.
      await this.peek();
      const line = this.line;
      const key = await this.readString(`as a member name in ${where}`);
      await this.expect(COLON, `after "${key}"`);
      await onMember(key, line);
    }
  }

  /**
   * Scans one value (object, array, string or literal) and returns its bytes when `capture` is true, valid until the
   * scanner reads on (they may lie in a chunk buffer that the source reuses). Checks that brackets match and strings
   * end; the rest of the syntax is checked by whoever parses the slice.
   */
  async scanValue(capture: true, where: string): Promise<Buffer>;
  async scanValue(capture: false, where: string): Promise<undefined>;
  async scanValue(capture: boolean, where: string): Promise<Buffer | undefined> {
    const first = await this.peek();
    if (first < 0) throw this.truncated(where);
    if (first === CLOSE_BRACE || first === CLOSE_BRACKET || first === COMMA || first === COLON)
      throw this.error(`expected a value in ${where} but found ${describeByte(first)}`);
    const literal = first !== OPEN_BRACE && first !== OPEN_BRACKET && first !== QUOTE;
    const pieces: Buffer[] = [];
    const closers: number[] = [];
    let inString = false;
    let escaped = false;
    let start = this.position;
    for (;;) {
      const buffer = this.buffer;
      const length = buffer.length;
      let position = this.position;
      let end = -1;
      while (position < length) {
        if (inString) {
          if (escaped) {
            escaped = false;
            position++;
            continue;
          }
          // Jump to the next quote natively, then look back: an odd run of backslashes escapes it.
          const quote = buffer.indexOf(QUOTE, position);
          if (quote < 0) {
            let backslashes = 0;
            for (let index = length - 1; index >= position && buffer[index] === BACKSLASH; index--)
              backslashes++;
            escaped = backslashes % 2 === 1;
            position = length;
            break;
          }
          let backslashes = 0;
          for (let index = quote - 1; index >= position && buffer[index] === BACKSLASH; index--)
            backslashes++;
          position = quote + 1;
          if (backslashes % 2 === 1) continue;
          inString = false;
          if (closers.length === 0) {
            end = position;
            break;
          }
          continue;
        }
        const byte = buffer[position];
        // Most bytes of geometry (digits, commas, spaces) mean nothing to the structure: one table look-up skips them.
        if (STRUCTURAL[byte] === 0 && !literal) {
          position++;
          continue;
        }
        if (literal) {
          if (
            byte === COMMA ||
            byte === CLOSE_BRACE ||
            byte === CLOSE_BRACKET ||
            byte === SPACE ||
            byte === NEWLINE ||
            byte === RETURN ||
            byte === TAB
          ) {
            end = position;
            break;
          }
        } else if (byte === QUOTE) inString = true;
        else if (byte === OPEN_BRACE) closers.push(CLOSE_BRACE);
        else if (byte === OPEN_BRACKET) closers.push(CLOSE_BRACKET);
        else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          if (closers.pop() !== byte) {
            this.position = position;
            throw this.error(`unexpected ${describeByte(byte)} in ${where}`);
          }
          if (closers.length === 0) {
            end = position + 1;
            break;
          }
        } else if (byte === NEWLINE) this.line++;
        position++;
      }
      if (end >= 0) {
        this.position = end;
        if (!capture) return undefined;
        const last = buffer.subarray(start, end);
        if (pieces.length === 0) return last;
        pieces.push(last);
        return Buffer.concat(pieces);
      }
      // A copy: the chunk source may reuse its buffer for the next chunk.
      if (capture && start < length) pieces.push(Buffer.from(buffer.subarray(start, length)));
      this.position = length;
      if (!(await this.fill())) {
        if (literal && closers.length === 0) return capture ? Buffer.concat(pieces) : undefined;
        throw this.truncated(where);
      }
      start = 0;
    }
  }

  /**
   * Reads an array of number triples, `[[x, y, z], ...]`, number by number from the bytes into `sink`.
   * @throws DataError when an entry is not three numbers.
   */
  async readTriples(where: string, sink: JsonTripleSink): Promise<number> {
    await this.expect(OPEN_BRACKET, `at the start of ${where}`);
    let count = 0;
    // State across chunks: depth 1 = between triples, 2 = inside one.
    let depth = 1;
    let values = 0;
    let x = 0;
    let y = 0;
    let afterValue = false;
    // The number being read: fast integer accumulation, or its text when it has a fraction, exponent or many digits.
    let inNumber = false;
    let negative = false;
    let integer = 0;
    let digits = 0;
    let simple = true;
    let numberStart = 0;
    let carried = '';
    for (;;) {
      const buffer = this.buffer;
      const length = buffer.length;
      let position = this.position;
      while (position < length) {
        const byte = buffer[position];
        if (inNumber) {
          if (byte >= ZERO && byte <= NINE) {
            integer = integer * 10 + (byte - ZERO);
            digits++;
            position++;
            continue;
          }
          if (byte === DOT || byte === LOWER_E || byte === UPPER_E || byte === PLUS || byte === MINUS) {
            simple = false;
            position++;
            continue;
          }
          // The number ends here.
          let value: number;
          if (simple && digits > 0 && digits <= MAXIMUM_FAST_DIGITS) value = negative ? -integer : integer;
          else {
            const text = carried + buffer.toString('latin1', numberStart, position);
            value = text.length > 0 && /^-?\d/.test(text) ? Number(text) : Number.NaN;
            if (!Number.isFinite(value)) {
              this.position = position;
              throw this.error(`'${text}' is not a number in ${where}`);
            }
          }
          carried = '';
          inNumber = false;
          if (values === 0) x = value;
          else if (values === 1) y = value;
          else if (values === 2) {
            sink.add(x, y, value);
            count++;
          }
          values++;
          afterValue = true;
        }
        if (byte === SPACE || byte === TAB || byte === RETURN) {
          position++;
          continue;
        }
        if (byte === NEWLINE) {
          this.line++;
          position++;
          continue;
        }
        if (depth === 2) {
          if (!afterValue && ((byte >= ZERO && byte <= NINE) || byte === MINUS)) {
            inNumber = true;
            negative = byte === MINUS;
            integer = negative ? 0 : byte - ZERO;
            digits = negative ? 0 : 1;
            simple = true;
            numberStart = position;
            position++;
            continue;
          }
          if (afterValue && byte === COMMA) {
            afterValue = false;
            position++;
            continue;
          }
          if (afterValue && byte === CLOSE_BRACKET) {
            if (values !== 3) {
              this.position = position;
              throw this.error(`a vertex has ${values} coordinate(s) instead of 3 in ${where}`);
            }
            depth = 1;
            afterValue = true;
            position++;
            continue;
          }
        } else if (byte === OPEN_BRACKET && !afterValue) {
          depth = 2;
          values = 0;
          afterValue = false;
          position++;
          continue;
        } else if (byte === COMMA && afterValue) {
          afterValue = false;
          position++;
          continue;
        } else if (byte === CLOSE_BRACKET && (afterValue || count === 0)) {
          this.position = position + 1;
          return count;
        }
        this.position = position;
        throw this.error(`unexpected ${describeByte(byte)} in ${where} (expected [x, y, z] number triples)`);
      }
      if (inNumber) carried += buffer.toString('latin1', numberStart, length);
      numberStart = 0;
      this.position = length;
      if (!(await this.fill())) throw this.truncated(where);
    }
  }
}
