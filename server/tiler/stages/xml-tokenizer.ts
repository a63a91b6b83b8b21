// Stage helper: a purpose-built streaming XML tokenizer over Buffers for the CityGML reader. It scans bytes for '<',
// parses attributes of start tags, and decodes text only while the reader asks for it (captureText). Safety: no DTD is
// ever processed (the DOCTYPE text goes to onDoctype, where the reader refuses entity declarations), only the five
// predefined entities and character references are decoded (any other entity reference is an error), CDATA is passed
// through as text, tags must nest and match, and a document that ends inside a tag or with open elements is an error.
// Line numbers (1-based) are counted over the bytes, lazily, with native indexOf.

/** A well-formedness error; `line` is where it was found. */
export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const LT = 60;
const GT = 62;
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const AMP = 38;
const EQUALS = 61;
const QUOTE = 34;
const APOS = 39;
const COLON = 58;
const NEWLINE = 10;
/** Text larger than this without a '<' is handed over in pieces rather than carried to the next chunk. */
const TEXT_FLUSH_BYTES = 1 << 16;
/** How many bytes of a chunk are joined first with the token cut by the last chunk's end (see finishRest()). */
const JOIN_HEAD_BYTES = 256;
/** How far text is scanned for '<' byte by byte before a native search (see scan()). */
const SHORT_TEXT_BYTES = 16;

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

function isNameStart(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === COLON || code >= 0x80
  );
}

const NAME_BYTE = 0;
const NAME_END = 1;
const NAME_DISALLOWED = 2;
const NAME_COLON = 3;
/** What each byte means inside a tag name: part of it, its end (">", "/", whitespace), disallowed, or the colon. */
const TAG_NAME_BYTES = new Uint8Array(256);
for (const code of [GT, SLASH, 32, 10, 13, 9]) TAG_NAME_BYTES[code] = NAME_END;
for (const code of [LT, QUOTE, APOS, EQUALS]) TAG_NAME_BYTES[code] = NAME_DISALLOWED;
TAG_NAME_BYTES[COLON] = NAME_COLON;
/** Bytes that end an attribute name (the checks after the name tell a missing '=' from a disallowed byte). */
const ATTRIBUTE_NAME_END = new Uint8Array(256);
for (const code of [EQUALS, GT, SLASH, LT, QUOTE, APOS, 32, 10, 13, 9]) ATTRIBUTE_NAME_END[code] = 1;
const VALUE_PLAIN = 0;
const VALUE_AMP = 1;
const VALUE_LT = 2;
const VALUE_SPACE = 3;
const VALUE_QUOTE = 4;
/**
 * What each byte means inside an attribute value: plain, an entity reference's start, disallowed '<', a tab/line
 * break, or a quote (the value's end when it is the opening one).
 */
const ATTRIBUTE_VALUE_BYTES = new Uint8Array(256);
ATTRIBUTE_VALUE_BYTES[AMP] = VALUE_AMP;
ATTRIBUTE_VALUE_BYTES[LT] = VALUE_LT;
for (const code of [9, 10, 13]) ATTRIBUTE_VALUE_BYTES[code] = VALUE_SPACE;
ATTRIBUTE_VALUE_BYTES[QUOTE] = VALUE_QUOTE;
ATTRIBUTE_VALUE_BYTES[APOS] = VALUE_QUOTE;
/**
 * The attributes of the start tag being reported to onOpen: qualified names, decoded values and the names' roles (what
 * `classifyAttribute` returned), in document order. One instance serves every tag and is valid only during onOpen (an
 * object per tag, with a property store keyed by a different name at each tag, cost more than the rest of the tag).
 */
export class XmlAttributes {
  /** The number of attributes. */
  length = 0;
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private readonly roles: number[] = [];

  /** The value of the attribute with this qualified name. */
  get(qualifiedName: string): string | undefined {
    for (let index = 0; index < this.length; index++)
      if (this.names[index] === qualifiedName) return this.values[index];
    return undefined;
  }

  /** The value of the first attribute whose name's role has any of the bits of `role`. */
  withRole(role: number): string | undefined {
    for (let index = 0; index < this.length; index++)
      if ((this.roles[index] & role) !== 0) return this.values[index];
    return undefined;
  }

  /** The qualified name of the attribute at `index` (document order). */
  nameAt(index: number): string {
    return this.names[index];
  }

  /** The value of the attribute at `index` (document order). */
  valueAt(index: number): string {
    return this.values[index];
  }

  /** Starts the next tag's attributes. */
  clear(): void {
    this.length = 0;
  }

  /** Adds an attribute; false (nothing added) when the tag has one of that name already. */
  add(qualifiedName: string, value: string, role: number): boolean {
    if (this.get(qualifiedName) !== undefined) return false;
    this.names[this.length] = qualifiedName;
    this.values[this.length] = value;
    this.roles[this.length] = role;
    this.length++;
    return true;
  }
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);

/** Whitespace-separated numbers parsed straight from bytes into `out`; false when a token is not a number. */
export function parseNumberBytes(buffer: Buffer, start: number, end: number, out: number[]): boolean {
  let ok = true;
  let index = start;
  while (index < end) {
    let code = buffer[index];
    if (isSpace(code)) {
      index++;
      continue;
    }
    const tokenStart = index;
    let negative = false;
    if (code === 45 || code === 43) {
      negative = code === 45;
      index++;
    }
    // Fast path (exact): at most 15 digits, so the mantissa and the power of ten are exact doubles and the one
    // division is correctly rounded, as the string conversion would be. The integer and fraction digits have loops
    // of their own, so that a digit costs no test for the dot (more digits make the mantissa inexact, but then the
    // string conversion is used).
    let mantissa = 0;
    let integer = 0;
    for (; index < end; index++) {
      code = buffer[index];
      if (code < 48 || code > 57) break;
      mantissa = mantissa * 10 + (code - 48);
      integer++;
    }
    let fraction = 0;
    if (index < end && buffer[index] === 46) {
      for (index++; index < end; index++) {
        code = buffer[index];
        if (code < 48 || code > 57) break;
        mantissa = mantissa * 10 + (code - 48);
        fraction++;
      }
    }
    const digits = integer + fraction;
    let fast = digits <= 15;
    if (index < end && !isSpace(buffer[index])) {
      fast = false;
      while (index < end && !isSpace(buffer[index])) index++;
    }
    let value: number;
    if (fast && digits > 0) {
      value = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction] : mantissa;
      if (negative) value = -value;
    } else {
      value = +buffer.toString('latin1', tokenStart, index);
    }
    if (Number.isNaN(value)) ok = false;
    else out.push(value);
  }
  return ok;
}

function parseNumberText(text: string, out: number[]): boolean {
  let ok = true;
  for (const token of text.split(/[ \t\r\n]+/)) {
    if (token === '') continue;
    const value = +token;
    if (Number.isNaN(value)) ok = false;
    else out.push(value);
  }
  return ok;
}

interface NameEntry {
  bytes: Buffer;
  /** bytes.length, as a plain field (a typed array's length is a getter, and names are measured at every tag). */
  length: number;
  /** The bytes in whole groups of four, as little-endian 32-bit integers (see sameName()). */
  words: Int32Array;
  /** The last four bytes (overlapping the last group) as a little-endian 32-bit integer; 0 when shorter. */
  lastWord: number;
  qualified: string;
  local: string;
  /** classify(local) of a tag name or classifyAttribute(qualified) of an attribute name, once seen (-1 until then). */
  role: number;
  /** The name's hash key, and the next entry in its slot of the name table. */
  key: number;
  next: NameEntry | undefined;
  /**
   * For a tag name: the name of the start tag seen last as this element's first child, and as its next sibling.
   * CityGML repeats the same sequences (surfaceMember, Polygon, exterior, LinearRing, posList; a building's
   * properties), so a start tag's bytes are compared with the name predicted by these first, which spares hashing and
   * looking up the name (see startTag()).
   */
  child: NameEntry | undefined;
  sibling: NameEntry | undefined;
  /**
   * The attribute name that came first in this tag last time (for a tag name), or that followed this one (for an
   * attribute name): compared first, as child is.
   */
  attribute: NameEntry | undefined;
}

/** Slots of a name table (a power of two); the tables hold at most MAX_NAMES names. */
const NAME_SLOTS = 1024;
const MAX_NAMES = 4096;

function newNameTable(): Array<NameEntry | undefined> {
  return new Array<NameEntry | undefined>(NAME_SLOTS).fill(undefined);
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; throws on anything else. */
export function decodeEntities(text: string, line: number): string {
  let amp = text.indexOf('&');
  if (amp < 0) return text;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semicolon = text.indexOf(';', amp + 1);
    if (semicolon < 0) throw new XmlSyntaxError('unescaped "&" or unterminated entity reference', line);
    const body = text.slice(amp + 1, semicolon);
    let value: string | undefined;
    if (body.charCodeAt(0) === 35 /* # */) {
      const hex = body.charCodeAt(1) === 120; /* x */
      const digits = body.slice(hex ? 2 : 1);
      const valid = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
      const code = valid ? parseInt(digits, hex ? 16 : 10) : NaN;
      if (
        !Number.isFinite(code) ||
        code > 0x10ffff ||
        (code < 0x20 && code !== 9 && code !== 10 && code !== 13) ||
        (code >= 0xd800 && code <= 0xdfff)
      )
        throw new XmlSyntaxError(`invalid character reference &${body};`, line);
      value = String.fromCodePoint(code);
    } else {
      value = PREDEFINED[body];
      if (value === undefined)
        throw new XmlSyntaxError(
          `undefined entity &${body}; (only the XML predefined entities are decoded)`,
          line,
        );
    }
    out += text.slice(from, amp) + value;
    from = semicolon + 1;
    amp = text.indexOf('&', from);
  }
  return out + text.slice(from);
}

/** Node's Buffer slicing methods, called directly (toString's encoding dispatch costs more than short slices). */
interface SlicingBuffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Decodes UTF-8, through the cheaper Latin-1 path when `ascii` (every byte < 0x80, where both agree). */
function decode(buffer: Buffer, start: number, end: number, ascii: boolean): string {
  const slicing = buffer as unknown as SlicingBuffer;
  return ascii ? slicing.latin1Slice(start, end) : slicing.utf8Slice(start, end);
}

/**
 * Whether `buffer[start..end)` holds the name's bytes, compared four at a time (`view` is a DataView of `buffer`): names
 * are compared at every start tag (interning) and close tag, and byte by byte that was a tenth of the reading time.
 */
function sameName(
  name: NameEntry,
  view: DataView<ArrayBufferLike>,
  buffer: Buffer,
  start: number,
  end: number,
): boolean {
  const length = name.length;
  if (end - start !== length) return false;
  const words = name.words;
  for (let word = 0; word < words.length; word++)
    if (view.getInt32(start + 4 * word, true) !== words[word]) return false;
  // The bytes after the last whole group: in the last four bytes, which may overlap it.
  if (length >= 4) return length % 4 === 0 || view.getInt32(end - 4, true) === name.lastWord;
  const bytes = name.bytes;
  for (let index = 0; index < length; index++) if (bytes[index] !== buffer[start + index]) return false;
  return true;
}

/** Streaming tokenizer: feed Buffers to write(), then close(). Handlers may throw; the error propagates. */
export class XmlTokenizer {
  /** While true, text and CDATA inside elements are decoded and passed to onText; otherwise skipped. */
  captureText = false;
  /**
   * Start tag: local name (prefix removed), attributes (values decoded; valid only during the call, see XmlAttributes)
   * tags without any), the name's role (what `classify` returned for it), and the roles of its attribute names
   * (what `classifyAttribute` returned for each, OR-ed together; 0 without attributes).
   */
  onOpen: (localName: string, attributes: XmlAttributes, role: number, attributeRoles: number) => void = () =>
    undefined;
  /**
   * Classifies a tag's local name, once per distinct name (names are interned), so that onOpen can switch on a number
   * instead of testing the name against sets and patterns at every element. Set it before the first write.
   */
  classify: (localName: string) => number = () => 0;
  /**
   * Classifies an attribute's qualified name, once per distinct name, as bits: onOpen gets those of a tag's attributes
   * OR-ed together, so that it looks up only attributes that are there. Set it before the first write.
   */
  classifyAttribute: (qualifiedName: string) => number = () => 0;
  onClose: () => void = () => undefined;
  onText: (text: string) => void = () => undefined;
  /**
   * While set, text inside elements is parsed as whitespace-separated numbers straight from the bytes and appended
   * here (onText is not called); numbersOk turns false on a token that is not a number.
   */
  captureNumbers: number[] | undefined = undefined;
  numbersOk = true;
  /** The whole DOCTYPE declaration, internal subset included. */
  onDoctype: (doctype: string) => void = () => undefined;

  /**
   * An incomplete token at a chunk's end is kept at the start of this buffer (its first restLength bytes) and joined
   * there with the next chunk: one buffer, reused, grown when needed, never from Node's shared pool (allocUnsafeSlow),
   * so a buffer sharing its ArrayBuffer is a view of it.
   */
  private joined: Buffer = Buffer.allocUnsafeSlow(0);
  private restLength = 0;
  /** Absolute offset of the first byte of the buffer being scanned. */
  private base = 0;
  private total = 0;
  private buffer: Buffer = Buffer.alloc(0);
  /** A DataView of the buffer being scanned, for sameName(). */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** Absolute offset the current line/column refer to. */
  private position = 0;
  private countedTo = 0;
  /** The position markLine() marked, and its line (-1 until counted). */
  private mark = 0;
  private markedLineNumber = 0;
  private lineNumber = 1;
  private lineStart = 0;
  private readonly stack: NameEntry[] = [];
  private readonly attributes = new XmlAttributes();
  /**
   * Interned tag and attribute names (apart: their local names and roles differ): hash tables of their own (chained
   * in slots by key), as a Map lookup cost more than the rest of interning for the short names of a tag-heavy document.
   */
  private readonly tagNames = newNameTable();
  private readonly attributeNames = newNameTable();
  private nameCount = 0;
  /** The root element's name once seen (its prediction, as NameEntry.child is for children). */
  private root: NameEntry | undefined;
  /** The element closed last, while no start tag followed it: the next start tag is its sibling. */
  private previousSibling: NameEntry | undefined;
  private rootSeen = false;
  private started = false;
  private closed = false;

  /** 1-based line of the current position (end of the last token). */
  get line(): number {
    this.countLines(this.position);
    return this.lineNumber;
  }

  /** Byte offset of the current position in the document. */
  get offset(): number {
    return this.position;
  }

  /** 1-based column of the current position. */
  get column(): number {
    this.countLines(this.position);
    return this.position - this.lineStart + 1;
  }

  /**
   * Marks the current position, whose line markedLine() returns later: counted only if asked for (lines are counted
   * up to each position asked for, and a position asked for in passing costs a search of its own).
   */
  markLine(): void {
    this.mark = this.position;
    this.markedLineNumber = -1;
  }

  /** The 1-based line of the position markLine() marked last. */
  markedLine(): number {
    if (this.markedLineNumber < 0) {
      // Nothing counted past the mark yet.
      this.countLines(this.mark);
      this.markedLineNumber = this.lineNumber;
    }
    return this.markedLineNumber;
  }

  private countLines(to: number): void {
    if (to <= this.countedTo) return;
    const from = Math.max(0, this.countedTo - this.base);
    // A view bounded at `to`, so that a long stretch without newlines is not searched to the buffer's end each time.
    const view = this.buffer.subarray(from, to - this.base);
    // Counting past a marked position whose line is not known yet: its line is known now or never (the bytes before
    // it may be dropped), and it is the count of the newlines before it.
    const mark = this.markedLineNumber < 0 ? this.mark - this.base - from : Infinity;
    let index = 0;
    for (;;) {
      const newline = view.indexOf(NEWLINE, index);
      if (newline < 0) break;
      if (newline >= mark && this.markedLineNumber < 0) this.markedLineNumber = this.lineNumber;
      this.lineNumber++;
      this.lineStart = this.base + from + newline + 1;
      index = newline + 1;
    }
    if (this.markedLineNumber < 0 && to > this.mark) this.markedLineNumber = this.lineNumber;
    this.countedTo = to;
  }

  private fail(message: string, at: number): never {
    this.position = this.base + at;
    throw new XmlSyntaxError(message, this.line);
  }

  /** Tokenizes `chunk`; keeps no reference to it (the caller may reuse its buffer for the next chunk). */
  write(chunk: Buffer): void {
    if (this.closed) throw new XmlSyntaxError('write after close', this.line);
    let buffer: Buffer;
    let index = 0;
    if (this.restLength > 0 && this.started) {
      index = this.finishRest(chunk);
      if (index < 0) return;
      buffer = chunk;
    } else if (this.restLength > 0) {
      buffer = this.join(chunk);
      this.total += chunk.length;
    } else {
      buffer = chunk;
      this.base = this.total;
      this.total += chunk.length;
    }
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
    if (!this.started) {
      if (buffer.length < 3 && this.total < 3) {
        this.keepRest(buffer, 0);
        return;
      }
      this.started = true;
      if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) index = 3;
    }
    this.scanAndKeepRest(buffer, index);
  }

  /** Scans `buffer` (the bytes from `base` on) from `index`; keeps what is left in the join buffer. */
  private scanAndKeepRest(buffer: Buffer, index: number): number {
    const consumed = this.scan(buffer, index, false);
    // Count the lines of what is dropped, so that line numbers survive the buffer swap.
    this.countLines(this.base + consumed);
    if (consumed < buffer.length) {
      this.keepRest(buffer, consumed);
      this.base += consumed;
      this.countedTo = Math.max(this.countedTo, this.base);
    } else {
      this.restLength = 0;
      this.base += buffer.length;
    }
    return consumed;
  }

  /**
   * Finishes the token cut by the last chunk's end in the join buffer, joining only the chunk's first bytes (more while
   * the token goes on): joining whole chunks copied the document once more. Returns the index in `chunk` where
   * scanning goes on, or -1 when the whole chunk went into the join buffer.
   */
  private finishRest(chunk: Buffer): number {
    const chunkBase = this.total;
    this.total += chunk.length;
    let taken = 0;
    for (;;) {
      const more = Math.min(chunk.length - taken, Math.max(JOIN_HEAD_BYTES, 3 * taken));
      const buffer = this.join(chunk.subarray(taken, taken + more));
      taken += more;
      this.buffer = buffer;
      this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
      const start = this.base;
      const reached = start + this.scanAndKeepRest(buffer, 0);
      if (reached >= chunkBase) {
        // Past the cut token: the rest of the chunk is scanned where it is.
        this.restLength = 0;
        this.base = chunkBase;
        return reached - chunkBase;
      }
      if (taken === chunk.length) return -1;
    }
  }

  /** Keeps the incomplete token `buffer[from..]` at the start of the join buffer, grown when needed. */
  private keepRest(buffer: Buffer, from: number): void {
    const length = buffer.length - from;
    if (buffer.buffer === this.joined.buffer) {
      // The previous rest joined with a chunk: the new rest is its tail, moved to the front.
      const start = buffer.byteOffset - this.joined.byteOffset + from;
      this.joined.copyWithin(0, start, start + length);
    } else {
      this.reserve(length, 0);
      buffer.copy(this.joined, 0, from);
    }
    this.restLength = length;
    this.buffer = this.joined.subarray(0, length);
  }

  /**
   * The kept rest followed by `chunk`, in the reused join buffer: a fresh buffer per chunk (Buffer.concat) cost more
   * than the copy, as each new megabyte is fresh memory to map and fault in.
   */
  private join(chunk: Buffer): Buffer {
    const size = this.restLength + chunk.length;
    this.reserve(size, this.restLength);
    chunk.copy(this.joined, this.restLength);
    return this.joined.subarray(0, size);
  }

  /** Grows the join buffer (at least doubling it) to hold `size` bytes, keeping its first `keep`. */
  private reserve(size: number, keep: number): void {
    if (size <= this.joined.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(size, 2 * this.joined.length));
    this.joined.copy(grown, 0, 0, keep);
    this.joined = grown;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.restLength > 0) {
      const rest = this.joined.subarray(0, this.restLength);
      this.restLength = 0;
      this.buffer = rest;
      this.view = new DataView(rest.buffer, rest.byteOffset, rest.length);
      const consumed = this.scan(rest, 0, true);
      if (consumed < rest.length) this.fail('unexpected end of document inside markup', consumed);
    }
    this.position = this.total;
    if (this.stack.length > 0)
      throw new XmlSyntaxError(
        `unexpected end of document: unclosed tag <${this.stack[this.stack.length - 1].qualified}>`,
        this.line,
      );
    if (!this.rootSeen) throw new XmlSyntaxError('document has no root element', this.line);
  }

  /** Scans complete tokens from `index`; returns where the first incomplete token starts. */
  private scan(buffer: Buffer, index: number, final: boolean): number {
    const length = buffer.length;
    while (index < length) {
      if (buffer[index] !== LT) {
        // Text between tags is mostly a line break and some indentation: a few bytes are looked at here before
        // the native search (whose call costs more than those few comparisons).
        let end = index + 1;
        const nearby = Math.min(length, index + SHORT_TEXT_BYTES);
        while (end < nearby && buffer[end] !== LT) end++;
        if (end === nearby) end = end < length ? buffer.indexOf(LT, end) : -1;
        if (end < 0) {
          if (final) end = length;
          else if (this.captureNumbers !== undefined && this.stack.length > 0) {
            // Numbers: hand over whole tokens, carry the last (maybe cut) one.
            end = length;
            while (end > index && !isSpace(buffer[end - 1])) end--;
          } else if (length - index < TEXT_FLUSH_BYTES) return index;
          else end = this.safeTextEnd(buffer, index, length);
          if (end <= index) return index;
        }
        this.text(buffer, index, end);
        index = end;
        continue;
      }
      if (index + 1 >= length) return index;
      const next = buffer[index + 1];
      if (next === SLASH) {
        const end = this.closeTag(buffer, index);
        if (end < 0) return index;
        index = end;
      } else if (next === BANG) {
        const end = this.declaration(buffer, index);
        if (end < 0) return index;
        index = end;
      } else if (next === QUESTION) {
        const end = buffer.indexOf('?>', index + 2);
        if (end < 0) return index;
        index = end + 2;
      } else {
        const end = this.startTag(buffer, index);
        if (end < 0) return index;
        index = end;
      }
    }
    return index;
  }

  /** A close tag at `index`; returns the index after it, or -1 when incomplete. */
  private closeTag(buffer: Buffer, index: number): number {
    const open = this.stack.pop();
    let gt = -1;
    if (open !== undefined) {
      // Fast path: the open tag's name right after "</" and then ">", compared in place without searching for ">".
      const expectedEnd = index + 2 + open.length;
      if (
        expectedEnd < buffer.length &&
        buffer[expectedEnd] === GT &&
        sameName(open, this.view, buffer, index + 2, expectedEnd)
      )
        gt = expectedEnd;
    }
    if (gt < 0) {
      gt = buffer.indexOf(GT, index + 2);
      if (gt < 0) {
        if (open !== undefined) this.stack.push(open);
        return -1;
      }
      let nameEnd = gt;
      while (nameEnd > index + 2 && isSpace(buffer[nameEnd - 1])) nameEnd--;
      if (open === undefined || !sameName(open, this.view, buffer, index + 2, nameEnd)) {
        const name = buffer.toString('utf8', index + 2, nameEnd);
        this.fail(
          open === undefined
            ? `unexpected close tag </${name}>`
            : `unexpected close tag </${name}> (expected </${open.qualified}>)`,
          gt,
        );
      }
    }
    this.position = this.base + gt;
    this.previousSibling = open;
    this.onClose();
    return gt + 1;
  }

  /** End of a text prefix that cuts no UTF-8 sequence and no entity reference. */
  private safeTextEnd(buffer: Buffer, start: number, end: number): number {
    let cut = end;
    while (cut > start && buffer[cut - 1] >= 0x80) cut--;
    const amp = buffer.lastIndexOf(AMP, cut - 1);
    if (amp >= start) {
      const semicolon = buffer.indexOf(59, amp);
      if (semicolon < 0 || semicolon >= cut) cut = amp;
    }
    return cut;
  }

  private text(buffer: Buffer, start: number, end: number): void {
    if (this.stack.length === 0) {
      for (let index = start; index < end; index++) {
        if (!isSpace(buffer[index])) this.fail('text outside the root element', index);
      }
      return;
    }
    const numbers = this.captureNumbers;
    if (!this.captureText && numbers === undefined) return;
    this.position = this.base + start;
    if (numbers !== undefined) {
      // Coordinates are parsed from the bytes; only when that fails is the text looked at for entity references
      // (never seen in real coordinates), and then parsed again from the decoded text.
      const before = numbers.length;
      if (parseNumberBytes(buffer, start, end, numbers)) return;
      if (!this.hasAmpersand(buffer, start, end)) {
        this.numbersOk = false;
        return;
      }
      numbers.length = before;
    }
    const entities = this.hasAmpersand(buffer, start, end);
    const raw = buffer.toString('utf8', start, end);
    this.deliver(entities ? decodeEntities(raw, this.line) : raw);
  }

  private hasAmpersand(buffer: Buffer, start: number, end: number): boolean {
    if (end - start <= SHORT_TEXT_BYTES * 4) {
      // Short text (most captured text: attribute values of city objects): a view to search costs more than a loop.
      for (let index = start; index < end; index++) if (buffer[index] === AMP) return true;
      return false;
    }
    // Bounded search: indexOf on the whole buffer would scan to its end for every text without '&'.
    return buffer.subarray(start, end).indexOf(AMP) >= 0;
  }

  private deliver(text: string): void {
    if (this.captureNumbers !== undefined) {
      if (!parseNumberText(text, this.captureNumbers)) this.numbersOk = false;
    } else this.onText(text);
  }

  /** `<!--`, `<![CDATA[` or `<!DOCTYPE`; returns the index after it, or -1 when incomplete. */
  private declaration(buffer: Buffer, index: number): number {
    const length = buffer.length;
    if (index + 4 > length) return -1;
    if (buffer[index + 2] === 45 && buffer[index + 3] === 45) {
      const end = buffer.indexOf('-->', index + 4);
      return end < 0 ? -1 : end + 3;
    }
    if (index + 9 > length) return -1;
    const keyword = buffer.toString('latin1', index + 2, index + 9);
    if (keyword === '[CDATA[') {
      const end = buffer.indexOf(']]>', index + 9);
      if (end < 0) return -1;
      if (this.stack.length === 0) this.fail('CDATA outside the root element', index);
      if (this.captureText || this.captureNumbers !== undefined) {
        this.position = this.base + index;
        this.deliver(buffer.toString('utf8', index + 9, end));
      }
      return end + 3;
    }
    if (keyword === 'DOCTYPE') {
      if (this.rootSeen) this.fail('DOCTYPE after the root element', index);
      let cursor = index + 9;
      let quote = 0;
      let bracket = false;
      for (; cursor < length; cursor++) {
        const code = buffer[cursor];
        if (quote !== 0) {
          if (code === quote) quote = 0;
        } else if (code === QUOTE || code === APOS) quote = code;
        else if (code === 91 /* [ */) bracket = true;
        else if (code === 93 /* ] */) bracket = false;
        else if (code === GT && !bracket) break;
      }
      if (cursor >= length) return -1;
      this.position = this.base + cursor;
      this.onDoctype(buffer.toString('utf8', index, cursor + 1));
      return cursor + 1;
    }
    return this.fail('malformed declaration after "<!"', index);
  }

  /** The interned strings of a name (tag and attribute names repeat: decode each once). */
  private intern(
    table: Array<NameEntry | undefined>,
    buffer: Buffer,
    start: number,
    end: number,
    colon: number,
    hash: number,
  ): NameEntry {
    const key = (hash ^ (end - start)) | 0;
    const slot = key & (NAME_SLOTS - 1);
    for (let known = table[slot]; known !== undefined; known = known.next) {
      if (known.key === key && sameName(known, this.view, buffer, start, end)) return known;
    }
    let high = 0;
    for (let index = start; index < end; index++) high |= buffer[index];
    const qualified = decode(buffer, start, end, high < 0x80);
    const bytes = Buffer.from(buffer.subarray(start, end));
    const words = new Int32Array(bytes.length >> 2);
    for (let word = 0; word < words.length; word++) words[word] = bytes.readInt32LE(word * 4);
    const entry: NameEntry = {
      bytes,
      length: bytes.length,
      words,
      lastWord: bytes.length >= 4 ? bytes.readInt32LE(bytes.length - 4) : 0,
      qualified,
      local: colon < 0 ? qualified : decode(buffer, colon + 1, end, high < 0x80),
      role: -1,
      key,
      next: table[slot],
      child: undefined,
      sibling: undefined,
      attribute: undefined,
    };
    if (this.nameCount < MAX_NAMES) {
      table[slot] = entry;
      this.nameCount++;
    }
    return entry;
  }

  /** A start tag (or empty-element tag) at `index`; returns the index after it, or -1 when incomplete. */
  private startTag(buffer: Buffer, index: number): number {
    const length = buffer.length;
    const stack = this.stack;
    const parent = stack.length > 0 ? stack[stack.length - 1] : undefined;
    const sibling = this.previousSibling;
    let entry = sibling !== undefined ? sibling.sibling : parent !== undefined ? parent.child : this.root;
    let cursor = index + 1;
    if (entry !== undefined) {
      // The predicted name followed by a byte that ends a name: the bytes are those of a name that passed the checks
      // below when it was interned.
      const end = cursor + entry.length;
      if (
        end < length &&
        TAG_NAME_BYTES[buffer[end]] === NAME_END &&
        sameName(entry, this.view, buffer, cursor, end)
      )
        cursor = end;
      else entry = undefined;
    }
    if (entry === undefined) {
      if (!isNameStart(buffer[cursor])) this.fail('disallowed character at the start of a tag name', cursor);
      let colon = -1;
      let hash = 0;
      for (; cursor < length; cursor++) {
        const code = buffer[cursor];
        // One table lookup instead of eight comparisons for the (common) ordinary name byte.
        const kind = TAG_NAME_BYTES[code];
        if (kind !== NAME_BYTE) {
          if (kind === NAME_END) break;
          if (kind === NAME_DISALLOWED) this.fail('disallowed character in a tag name', cursor);
          if (colon < 0) colon = cursor;
        }
        hash = (Math.imul(hash, 31) + code) | 0;
      }
      if (cursor >= length) return -1;
      entry = this.intern(this.tagNames, buffer, index + 1, cursor, colon, hash);
      if (sibling !== undefined) sibling.sibling = entry;
      else if (parent !== undefined) parent.child = entry;
      else this.root = entry;
    }
    const attributes = this.attributes;
    attributes.clear();
    let attributeRoles = 0;
    let selfClosing = false;
    let previousAttribute: NameEntry | undefined;
    for (;;) {
      const before = cursor;
      while (cursor < length && isSpace(buffer[cursor])) cursor++;
      if (cursor >= length) return -1;
      const code = buffer[cursor];
      if (code === GT) break;
      if (code === SLASH) {
        if (cursor + 1 >= length) return -1;
        if (buffer[cursor + 1] !== GT) this.fail('"/" not followed by ">" in a tag', cursor);
        selfClosing = true;
        cursor++;
        break;
      }
      if (cursor === before) this.fail('no whitespace between attributes', cursor);
      const nameStart = cursor;
      const previous = previousAttribute ?? entry;
      let attribute = previous.attribute;
      if (attribute !== undefined) {
        const end = cursor + attribute.length;
        if (
          end < length &&
          ATTRIBUTE_NAME_END[buffer[end]] !== 0 &&
          sameName(attribute, this.view, buffer, cursor, end)
        )
          cursor = end;
        else attribute = undefined;
      }
      if (attribute === undefined) {
        let nameHash = 0;
        for (; cursor < length; cursor++) {
          const c = buffer[cursor];
          if (ATTRIBUTE_NAME_END[c] !== 0) break;
          nameHash = (Math.imul(nameHash, 31) + c) | 0;
        }
        if (cursor >= length) return -1;
        if (cursor === nameStart) this.fail('disallowed character in an attribute name', cursor);
        attribute = this.intern(this.attributeNames, buffer, nameStart, cursor, -1, nameHash);
        previous.attribute = attribute;
        if (attribute.role < 0) attribute.role = this.classifyAttribute(attribute.qualified);
      }
      previousAttribute = attribute;
      attributeRoles |= attribute.role;
      const name = attribute.qualified;
      while (cursor < length && isSpace(buffer[cursor])) cursor++;
      if (cursor >= length) return -1;
      if (buffer[cursor] !== EQUALS) this.fail(`attribute ${name} without a value`, cursor);
      cursor++;
      while (cursor < length && isSpace(buffer[cursor])) cursor++;
      if (cursor >= length) return -1;
      const quote = buffer[cursor];
      if (quote !== QUOTE && quote !== APOS) this.fail(`unquoted value of attribute ${name}`, cursor);
      const valueStart = cursor + 1;
      // The closing quote is looked for in the loop that looks at every byte of the value anyway (values are short:
      // a native search per value cost more).
      let valueEnd = valueStart;
      let entities = false;
      let spaces = false;
      let lessThan = -1;
      let high = 0;
      for (; valueEnd < length; valueEnd++) {
        const c = buffer[valueEnd];
        // One table lookup for the (common) plain byte.
        const kind = ATTRIBUTE_VALUE_BYTES[c];
        if (kind === VALUE_PLAIN) {
          high |= c;
          continue;
        }
        if (kind === VALUE_QUOTE) {
          if (c === quote) break;
        } else if (kind === VALUE_AMP) entities = true;
        else if (kind === VALUE_LT) {
          if (lessThan < 0) lessThan = valueEnd;
        } else spaces = true;
      }
      if (valueEnd >= length) return -1;
      if (lessThan >= 0) this.fail(`"<" in the value of attribute ${name}`, lessThan);
      let value = decode(buffer, valueStart, valueEnd, high < 0x80);
      if (spaces) value = value.replace(/\r\n|[\t\n\r]/g, ' ');
      if (entities) {
        this.position = this.base + valueStart;
        value = decodeEntities(value, this.line);
      }
      if (!attributes.add(name, value, attribute.role)) this.fail(`duplicate attribute ${name}`, nameStart);
      cursor = valueEnd + 1;
    }
    // cursor is at the closing '>'.
    if (this.stack.length === 0) {
      if (this.rootSeen) this.fail('more than one root element', index);
      this.rootSeen = true;
    }
    this.position = this.base + cursor;
    this.stack.push(entry);
    this.previousSibling = undefined;
    if (entry.role < 0) entry.role = this.classify(entry.local);
    this.onOpen(entry.local, attributes, entry.role, attributeRoles);
    if (selfClosing) {
      this.stack.pop();
      this.previousSibling = entry;
      this.onClose();
    }
    return cursor + 1;
  }
}
