import { describe, expect, it } from 'vitest';
import {
  XmlAttributes,
  XmlSyntaxError,
  XmlTokenizer,
  decodeEntities,
  parseNumberBytes,
} from '../../../../server/tiler/stages/xml-tokenizer';

type Event =
  ['open', string, Record<string, string>, number] | ['close'] | ['text', string] | ['doctype', string];

/** A tag's attributes as an object by qualified name, in document order. */
function attributesOf(attributes: XmlAttributes): Record<string, string> {
  const object: Record<string, string> = {};
  for (let index = 0; index < attributes.length; index++)
    object[attributes.nameAt(index)] = attributes.valueAt(index);
  return object;
}

/** The events of an element without attributes and content on line 1. */
function emptyElement(name: string): Event[] {
  return [['open', name, {}, 1], ['close']];
}

/** Records the tokenizer's events, capturing text inside every element named `capture`. */
function recordEvents(tokenizer: XmlTokenizer, capture = 'posList'): Event[] {
  const events: Event[] = [];
  tokenizer.onOpen = (name, attributes) => {
    events.push(['open', name, attributesOf(attributes), tokenizer.line]);
    if (name === capture) tokenizer.captureText = true;
  };
  tokenizer.onClose = () => {
    tokenizer.captureText = false;
    events.push(['close']);
  };
  tokenizer.onText = (text) => {
    const last = events[events.length - 1];
    if (last[0] === 'text') last[1] += text;
    else events.push(['text', text]);
  };
  tokenizer.onDoctype = (doctype) => events.push(['doctype', doctype]);
  return events;
}

/** Tokenizes `xml` fed in pieces of `pieceSize` bytes, capturing text inside every element named `capture`. */
function tokenize(xml: string | Buffer, pieceSize = 1 << 20, capture = 'posList'): Event[] {
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
  const tokenizer = new XmlTokenizer();
  const events = recordEvents(tokenizer, capture);
  for (let start = 0; start < bytes.length; start += pieceSize)
    tokenizer.write(bytes.subarray(start, start + pieceSize));
  tokenizer.close();
  return events;
}

/** Feeds `xml` to the tokenizer in pieces of `pieceSize` bytes, then closes it. */
function feed(tokenizer: XmlTokenizer, xml: string, pieceSize: number): void {
  const bytes = Buffer.from(xml, 'utf8');
  for (let start = 0; start < bytes.length; start += pieceSize)
    tokenizer.write(bytes.subarray(start, start + pieceSize));
  tokenizer.close();
}

/**
 * Tokenizes `xml` with `roleOf` as the tokenizer's `hook` classifier; returns the names it was asked to classify and
 * each start tag's local name with its role (classify) or its attributes' roles (classifyAttribute).
 */
function classifications(
  hook: 'classify' | 'classifyAttribute',
  roleOf: (name: string) => number,
  xml: string,
  pieceSize: number,
): { opened: Array<[string, number]>; classified: string[] } {
  const tokenizer = new XmlTokenizer();
  const classified: string[] = [];
  tokenizer[hook] = (name) => {
    classified.push(name);
    return roleOf(name);
  };
  const opened: Array<[string, number]> = [];
  tokenizer.onOpen = (name, _attributes, role, attributeRoles) =>
    opened.push([name, hook === 'classify' ? role : attributeRoles]);
  feed(tokenizer, xml, pieceSize);
  return { opened, classified };
}

function errorOf(xml: string, pieceSize?: number): XmlSyntaxError {
  try {
    tokenize(xml, pieceSize);
  } catch (error) {
    if (error instanceof XmlSyntaxError) return error;
    throw error;
  }
  throw new Error('no error');
}

const DOCUMENT = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<!-- a comment with <tags> -->',
  '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml">',
  '  <gml:posList srsDimension="3">1 2.5 -3e2</gml:posList>',
  '  <gml:name a=\'x &amp; y\' b="&lt;&#65;&#x42;&quot;"/>',
  '  <gml:posList><![CDATA[4 <5> 6]]> 7 &#x38;</gml:posList>',
  '  <bldg:Building gml:id="Ü-1"\n     b="line\tbreak\nhere"></bldg:Building >',
  '</core:CityModel>',
  '',
].join('\n');

const EXPECTED: Event[] = [
  [
    'open',
    'CityModel',
    { 'xmlns:core': 'http://www.opengis.net/citygml/2.0', 'xmlns:gml': 'http://www.opengis.net/gml' },
    3,
  ],
  ['open', 'posList', { srsDimension: '3' }, 4],
  ['text', '1 2.5 -3e2'],
  ['close'],
  ['open', 'name', { a: 'x & y', b: '<AB"' }, 5],
  ['close'],
  ['open', 'posList', {}, 6],
  ['text', '4 <5> 6 7 8'],
  ['close'],
  // The tag ends on line 9: the attribute value holds a line break.
  ['open', 'Building', { 'gml:id': 'Ü-1', b: 'line break here' }, 9],
  ['close'],
  ['close'],
];

describe('xml-tokenizer', () => {
  it('returns start tags with local names, decoded attributes, captured text and CDATA, and their lines', () => {
    expect(tokenize(DOCUMENT)).toEqual(EXPECTED);
  });

  it('returns the same events whatever the chunk boundaries (down to one byte at a time)', () => {
    for (const size of [1, 2, 3, 7, 64]) expect(tokenize(DOCUMENT, size)).toEqual(EXPECTED);
  });

  it('returns the same events whatever the chunk boundaries for text runs around the short-text look-ahead', () => {
    // Runs of 14-18 bytes between tags (the tokenizer looks 16 bytes ahead before a native search) and long ones.
    const runs = [14, 15, 16, 17, 18, 40, 200].map(
      (length) => `${' '.repeat(length - 1)}\n<x a="${length}"/>`,
    );
    const xml = `<r>${runs.join('')}<posList>1 2 3</posList></r>`;
    const expected = tokenize(xml);
    expect(expected.filter((event) => event[0] === 'open')).toHaveLength(9);
    for (const size of [1, 5, 16, 17, 33, 100]) expect(tokenize(xml, size)).toEqual(expected);
  });

  it('returns the same events whatever the chunk boundaries in chunks larger than the first bytes joined to a cut token', () => {
    // Tokens of every kind and of lengths up to a few kilobytes, so that a cut token completes within the first bytes
    // of the next chunk or only after them.
    const parts: string[] = [];
    for (let index = 0; index < 60; index++) {
      const long = 'y'.repeat((index * 97) % 3000);
      parts.push(
        `<item n="${index}" v="${long}&amp;">\n<!-- ${long} -->\n<posList>${long} &lt; ${index}</posList>` +
          `<![CDATA[${long}]]>\n</item>\n`,
      );
    }
    const xml = `<r>\n${parts.join('')}</r>\n`;
    const expected = tokenize(xml, 1 << 20);
    expect(expected.filter((event) => event[0] === 'open')).toHaveLength(121);
    for (const size of [255, 256, 257, 300, 1000, 4099]) expect(tokenize(xml, size)).toEqual(expected);
  });

  it('returns the same events when the caller overwrites one chunk buffer between writes', () => {
    const xml = Buffer.from(DOCUMENT);
    const expected = tokenize(xml);
    for (const size of [1, 2, 5, 16, 17, 100]) {
      const tokenizer = new XmlTokenizer();
      const events = recordEvents(tokenizer);
      const reused = Buffer.alloc(size);
      for (let start = 0; start < xml.length; start += size) {
        const length = xml.copy(reused, 0, start, start + size);
        tokenizer.write(reused.subarray(0, length));
        // '<' everywhere: bytes kept by reference instead of copied would misparse.
        reused.fill(0x3c);
      }
      tokenizer.close();
      expect(events).toEqual(expected);
    }
  });

  it('throws when a close tag names a longer or shorter name than the open tag', () => {
    expect(errorOf('<r><ab></abc></r>').message).toMatch(/unexpected close tag <\/abc> \(expected <\/ab>\)/);
    expect(errorOf('<r><abc></ab></r>').message).toMatch(/unexpected close tag <\/ab> \(expected <\/abc>\)/);
    expect(errorOf('<r><ab></ab x></r>').message).toMatch(/unexpected close tag <\/ab x>/);
  });

  it('returns the role classify gave a local name, calling classify once per distinct tag name', () => {
    const xml = '<a:root x="1"><b:item y="2"/><c:item/><b:item>t</b:item><other/><b:item/></a:root>';
    for (const size of [1, 5, 1 << 20]) {
      const { opened, classified } = classifications(
        'classify',
        (name) => (name === 'item' ? 7 : name.length),
        xml,
        size,
      );
      expect(opened).toEqual([
        ['root', 4],
        ['item', 7],
        ['item', 7],
        ['item', 7],
        ['other', 5],
        ['item', 7],
      ]);
      // b:item and c:item are different names with the same local name; attribute names are never classified.
      expect(classified).toEqual(['root', 'item', 'item', 'other']);
    }
  });

  it('returns the attribute roles OR-ed per tag, classifying each attribute name once and apart from tag names', () => {
    const xml = '<r xlink:href="a" gml:id="b"><xlink:href gml:id="c"/><x/><y xlink:href="d"/></r>';
    for (const size of [1, 7, 1 << 20]) {
      const { opened, classified } = classifications(
        'classifyAttribute',
        (name) => (name === 'xlink:href' ? 1 : 2),
        xml,
        size,
      );
      // The tag named like an attribute seen before still gets its local name.
      expect(opened).toEqual([
        ['r', 3],
        ['href', 2],
        ['x', 0],
        ['y', 1],
      ]);
      expect(classified).toEqual(['xlink:href', 'gml:id']);
    }
  });

  it('throws when a close tag differs from the open tag in any one byte, whatever the name length and chunk size', () => {
    for (let length = 1; length <= 9; length++) {
      const name = 'abcdefghi'.slice(0, length);
      for (let position = 0; position < length; position++) {
        const wrong = name.slice(0, position) + 'X' + name.slice(position + 1);
        for (const size of [1, 3, 1 << 20]) {
          expect(errorOf(`<r><${name}></${wrong}></r>`, size).message).toBe(
            `unexpected close tag </${wrong}> (expected </${name}>)`,
          );
        }
      }
      // The same name twice is interned once: the second start tag must find it again.
      expect(tokenize(`<r><${name}/><${name}></${name}></r>`, 2)).toEqual([
        ['open', 'r', {}, 1],
        ...emptyElement(name),
        ...emptyElement(name),
        ['close'],
      ]);
    }
  });

  it('returns each tag its own name and attributes when they differ from those that came there before', () => {
    // Each element's child and each tag's attributes are compared with the names seen there last time: here the
    // names differ from those by a byte, a prefix or a longer name, and the predicted name recurs.
    const xml =
      '<r><ab x="1"/><abc xy="2"/><ab x="3" xy="4"/><a x="5"/><ab xy="6" x="7"/><p:ab x="8"/><ab/><ab x="9"/></r>';
    const expected: Event[] = [
      ['open', 'r', {}, 1],
      ['open', 'ab', { x: '1' }, 1],
      ['close'],
      ['open', 'abc', { xy: '2' }, 1],
      ['close'],
      ['open', 'ab', { x: '3', xy: '4' }, 1],
      ['close'],
      ['open', 'a', { x: '5' }, 1],
      ['close'],
      ['open', 'ab', { xy: '6', x: '7' }, 1],
      ['close'],
      ['open', 'ab', { x: '8' }, 1],
      ['close'],
      ['open', 'ab', {}, 1],
      ['close'],
      ['open', 'ab', { x: '9' }, 1],
      ['close'],
      ['close'],
    ];
    for (const size of [1, 2, 3, 5, 1 << 20]) {
      expect(tokenize(xml, size)).toEqual(expected);
      // The predicted name followed by a byte not allowed in a name, and a predicted attribute repeated.
      expect(errorOf('<r><ab/><ab"/></r>', size).message).toBe('disallowed character in a tag name');
      // First children and next siblings: each s's first child and the child after ab differ from last time.
      expect(tokenize('<r><s><ab/><ab/></s><s><abc/><a/></s><s><ab/><a/></s></r>', size)).toEqual([
        ['open', 'r', {}, 1],
        ...[
          ['ab', 'ab'],
          ['abc', 'a'],
          ['ab', 'a'],
        ].flatMap(([first, second]): Event[] => [
          ['open', 's', {}, 1],
          ...emptyElement(first),
          ...emptyElement(second),
          ['close'],
        ]),
        ['close'],
      ]);
      expect(errorOf('<r><a x="1" y="2"/><a x="1" x="2"/></r>', size).message).toBe('duplicate attribute x');
    }
  });

  it('returns values holding the other quote, and tells a "<" in a value from a value cut by the end of the document', () => {
    for (const size of [1, 4, 1 << 20]) {
      expect(tokenize(`<a b="it's" c='say "hi"'/>`, size)).toEqual([
        ['open', 'a', { b: "it's", c: 'say "hi"' }, 1],
        ['close'],
      ]);
      const lessThan = errorOf('<a>\n<b c="x\ny<z"/></a>', size);
      expect([lessThan.message, lessThan.line]).toEqual(['"<" in the value of attribute c', 3]);
      expect(errorOf('<a b="x<y', size).message).toBe('unexpected end of document inside markup');
    }
  });

  it('returns attribute values by qualified name and by role, for the current tag only', () => {
    const tokenizer = new XmlTokenizer();
    tokenizer.classifyAttribute = (name) => (name.endsWith(':id') ? 1 : name === 'href' ? 2 : 0);
    const seen: Array<Array<string | undefined>> = [];
    tokenizer.onOpen = (name, attributes) =>
      seen.push([
        name,
        attributes.get('a:id'),
        attributes.get('b'),
        attributes.withRole(1),
        attributes.withRole(2),
        attributes.withRole(3),
      ]);
    feed(tokenizer, '<r><x b="1" a:id="i" c:id="j"/><y href="h"/><z/></r>', 3);
    expect(seen).toEqual([
      ['r', undefined, undefined, undefined, undefined, undefined],
      // The first attribute with the role wins; an id or an href, whichever comes first, for both roles.
      ['x', 'i', '1', 'i', undefined, 'i'],
      ['y', undefined, undefined, undefined, 'h', 'h'],
      ['z', undefined, undefined, undefined, undefined, undefined],
    ]);
    expect(new XmlAttributes().get('x')).toBeUndefined();
  });

  it('skips a UTF-8 byte order mark and decodes multi-byte characters split across chunks', () => {
    const xml = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('<a><posList>Straße € 𝄞</posList></a>'),
    ]);
    const events = tokenize(xml, 1);
    expect(events[2]).toEqual(['text', 'Straße € 𝄞']);
  });

  it('hands over text longer than a chunk without a "<" in pieces that concatenate to the whole', () => {
    const numbers = Array.from({ length: 40_000 }, (_, index) => `${index}.5 &amp;`).join(' ');
    const events = tokenize(`<a><posList>${numbers}</posList></a>`, 1 << 14);
    expect(events[2]).toEqual(['text', numbers.replaceAll('&amp;', '&')]);
  });

  it('decodes an entity reference at either end of captured text, short or long', () => {
    // Texts of 1 to 80 bytes around the length up to which the tokenizer looks for '&' byte by byte.
    for (let length = 1; length <= 80; length++) {
      const plain = 'x'.repeat(length);
      const first = `&amp;${'x'.repeat(length - 1)}`;
      const last = `${'x'.repeat(length - 1)}&lt;`;
      const events = tokenize(
        `<r><posList>${plain}</posList><posList>${first}</posList><posList>${last}</posList></r>`,
      );
      expect(events.filter((event) => event[0] === 'text').map((event) => event[1])).toEqual([
        plain,
        `&${'x'.repeat(length - 1)}`,
        `${'x'.repeat(length - 1)}<`,
      ]);
    }
  });

  it('passes the DOCTYPE text, internal subset included, to onDoctype', () => {
    const events = tokenize('<!DOCTYPE r [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n<r/>');
    expect(events[0]).toEqual(['doctype', '<!DOCTYPE r [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>']);
    expect(events[1]).toEqual(['open', 'r', {}, 2]);
  });

  it('throws on an entity that is not predefined (nothing declared in a DTD is ever expanded)', () => {
    expect(errorOf('<r><posList>&xxe;</posList></r>').message).toMatch(/undefined entity &xxe;/);
    expect(errorOf('<r a="&xxe;"/>').message).toMatch(/undefined entity/);
    expect(errorOf('<r a="a & b"/>').message).toMatch(/unescaped "&"/);
    expect(errorOf('<r a="&#0;"/>').message).toMatch(/invalid character reference/);
  });

  it('throws with the line of the fault on mismatched, unclosed and truncated markup', () => {
    const mismatched = errorOf('<a>\n<b>\n</c>\n</a>');
    expect(mismatched.message).toMatch(/unexpected close tag <\/c> \(expected <\/b>\)/);
    expect(mismatched.line).toBe(3);
    const unclosed = errorOf('<a>\n<b></b>\n');
    expect(unclosed.message).toMatch(/unclosed tag <a>/);
    expect(unclosed.line).toBe(3);
    expect(errorOf('<a>\n<b x="1').message).toMatch(/end of document inside markup/);
    expect(errorOf('<a>\n<b x="1', 2).line).toBe(2);
    expect(errorOf('').message).toMatch(/no root element/);
  });

  it('returns the line of a marked position when asked later, whether lines were counted past it or not', () => {
    const xml = '<r>\n<a/>\n\n<b>\n</b>\n<c/>\n</r>';
    for (const size of [1, 2, 3, 5, 1 << 20]) {
      for (const askAtB of [false, true]) {
        const tokenizer = new XmlTokenizer();
        const lines: number[] = [];
        tokenizer.onOpen = (name) => {
          if (name === 'a') tokenizer.markLine();
          if (name === 'b' && askAtB) lines.push(tokenizer.line);
          if (name === 'c') lines.push(tokenizer.markedLine(), tokenizer.line, tokenizer.markedLine());
        };
        feed(tokenizer, xml, size);
        // a is on line 2, b on line 4, c on line 6.
        expect(lines).toEqual(askAtB ? [4, 2, 6, 2] : [2, 6, 2]);
      }
    }
  });

  it('returns the local name after the first colon, and the whole name when there is none', () => {
    const opens = tokenize('<gml:a\n><b/><c:d:e\t/></gml:a>').filter((event) => event[0] === 'open');
    expect(opens.map((event) => event[1])).toEqual(['a', 'b', 'd:e']);
  });

  it('throws on malformed tags, attributes and text outside the root', () => {
    expect(errorOf('<a><1/></a>').message).toMatch(/start of a tag name/);
    for (const bad of ['<a><b"c/></a>', "<a><b'c/></a>", '<a><b=c/></a>', '<a><b<c/></a>'])
      expect(errorOf(bad).message).toMatch(/disallowed character in a tag name/);
    expect(errorOf('<a b=1/>').message).toMatch(/unquoted value/);
    expect(errorOf('<a b/>').message).toMatch(/without a value/);
    expect(errorOf('<a b="1"c="2"/>').message).toMatch(/no whitespace between attributes/);
    expect(errorOf('<a b="<"/>').message).toMatch(/"<" in the value/);
    expect(errorOf('<a b="1" b="2"/>').message).toMatch(/duplicate attribute b/);
    expect(errorOf('<a/>\n<b/>').message).toMatch(/more than one root/);
    expect(errorOf('junk<a/>').message).toMatch(/text outside the root/);
    expect(errorOf('<a><!ELEMENT x></a>').message).toMatch(/malformed declaration/);
  });

  it('decodes the five predefined entities and decimal and hexadecimal character references', () => {
    expect(decodeEntities('&amp;&lt;&gt;&quot;&apos;&#233;&#x1D11E;', 1)).toBe('&<>"\'é𝄞');
  });

  it('parses numbers from bytes exactly as JavaScript parses their text, slow forms included', () => {
    const tokens = [
      '458900.123',
      '-5438400.5',
      '+0.1',
      '.5',
      '1.',
      '-0',
      '123456789012345678',
      '1e3',
      '2.5E-2',
      '0.30000000000000004',
      '99.99999999999999',
      '12345.678901234567',
      '0x10',
      '12345678.1234567',
      '123456789.1234567',
      '00000000000000001.25',
      '-999999999999999',
    ];
    const out: number[] = [];
    const text = ` ${tokens.join(' \n\t')}  `;
    expect(parseNumberBytes(Buffer.from(text), 0, text.length, out)).toBe(true);
    expect(out).toEqual(tokens.map((token) => Number(token)));
    expect(Object.is(out[5], -0)).toBe(true);
    const bad: number[] = [];
    expect(parseNumberBytes(Buffer.from('1 2 x 3'), 0, 7, bad)).toBe(false);
    expect(bad).toEqual([1, 2, 3]);
    const malformed: number[] = [];
    expect(parseNumberBytes(Buffer.from('1.2.3 . - +. 4'), 0, 14, malformed)).toBe(false);
    expect(malformed).toEqual([4]);
  });

  it('captures numbers straight from the bytes whatever the chunk boundaries, entities and CDATA included', () => {
    const values = Array.from({ length: 5000 }, (_, index) => (index * 7919.123) % 1e6);
    const xml = `<r><posList>${values.join(' ')}</posList><pos> 1&#x20;2 <![CDATA[3]]> </pos><pos>4 5 six</pos></r>`;
    for (const size of [1, 13, 4096, 1 << 20]) {
      const tokenizer = new XmlTokenizer();
      const lists: Array<{ numbers: number[]; ok: boolean }> = [];
      tokenizer.onOpen = (name) => {
        if (name === 'r') return;
        tokenizer.captureNumbers = [];
        tokenizer.numbersOk = true;
      };
      tokenizer.onClose = () => {
        if (tokenizer.captureNumbers)
          lists.push({ numbers: tokenizer.captureNumbers, ok: tokenizer.numbersOk });
        tokenizer.captureNumbers = undefined;
      };
      const bytes = Buffer.from(xml);
      for (let start = 0; start < bytes.length; start += size)
        tokenizer.write(bytes.subarray(start, start + size));
      tokenizer.close();
      expect(lists).toEqual([
        { numbers: values, ok: true },
        { numbers: [1, 2, 3], ok: true },
        { numbers: [4, 5], ok: false },
      ]);
    }
  });
});
