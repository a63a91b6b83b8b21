import { describe, expect, it } from 'vitest';
import { DataError } from '../../../../server/tiler/errors';
import { JsonByteScanner, JsonTruncatedError } from '../../../../server/tiler/stages/json-scanner';

/** A scanner over `text` cut into chunks of `size` bytes, so every value crosses chunk boundaries. */
function scannerOf(text: string, size = 1): JsonByteScanner {
  const bytes = Buffer.from(text, 'utf8');
  async function* chunks() {
    for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
  }
  return new JsonByteScanner(chunks(), 'test.json');
}

async function membersOf(text: string, size = 1): Promise<Array<[string, unknown, number]>> {
  const scanner = scannerOf(text, size);
  const members: Array<[string, unknown, number]> = [];
  await scanner.forEachMember('the document', async (key, line) => {
    members.push([key, scanner.parse(await scanner.scanValue(true, key), line), line]);
  });
  return members;
}

describe('JsonByteScanner', () => {
  it('returns each member with its value when strings hold quotes, backslashes and brackets', async () => {
    const document = {
      'a"}': 'x]}\\',
      b: [1, { c: '}"\\\\"' }, 'é ü'],
      'c\\': '\\',
      d: -1.5e-3,
      e: true,
      f: null,
    };
    const text = JSON.stringify(document, null, 1);
    for (const size of [1, 2, 3, 7, 1 << 16]) {
      const members = await membersOf(text, size);
      expect(Object.fromEntries(members.map(([key, value]) => [key, value]))).toEqual(document);
    }
  });

  it('returns the line where each member name starts', async () => {
    const members = await membersOf('{\n"a": 1,\n\n  "b": [\n1,\n2],\r\n"c": "x"}');
    expect(members.map(([key, , line]) => [key, line])).toEqual([
      ['a', 2],
      ['b', 4],
      ['c', 7],
    ]);
  });

  it('reads number triples split anywhere, with signs, fractions, exponents and long integers', async () => {
    const text = '[[1, -2.5, 3e2],\n [ 4,5 ,6 ], [12345678901234567, -0, 1E-2]]';
    for (const size of [1, 4, 1 << 16]) {
      const triples: number[][] = [];
      const count = await scannerOf(text, size).readTriples('vertices', {
        add: (x, y, z) => triples.push([x, y, z]),
      });
      expect(count).toBe(3);
      expect(triples).toEqual([
        [1, -2.5, 300],
        [4, 5, 6],
        [Number('12345678901234567'), -0, 0.01],
      ]);
    }
    expect(await scannerOf('[]').readTriples('vertices', { add: () => undefined })).toBe(0);
  });

  it('throws a DataError with the line for bad triples and mismatched brackets', async () => {
    const failure = async (run: () => Promise<unknown>) =>
      run().then(
        () => undefined,
        (error: unknown) => error,
      );
    const cases: Array<[() => Promise<unknown>, number, RegExp]> = [
      [() => scannerOf('[[1, 2, 3],\n[1, 2]]').readTriples('v', { add: () => undefined }), 2, /2 coordinate/],
      [
        () => scannerOf('[[1, 2, 3],\n[1, 2, x]]').readTriples('v', { add: () => undefined }),
        2,
        /unexpected 'x'/,
      ],
      [
        () => scannerOf('[[1, 2, 3]\n\n[4, 5, 6]]').readTriples('v', { add: () => undefined }),
        3,
        /unexpected '\['/,
      ],
      [
        () => scannerOf('[[1, 2, 3],\n[1, -, 3]]').readTriples('v', { add: () => undefined }),
        2,
        /'-' is not a number/,
      ],
      [() => membersOf('{"a": [1,\n2}\n}'), 2, /unexpected '}'/],
      [() => membersOf('{"a": 1\n"b": 2}'), 2, /expected ',' or '}'/],
    ];
    for (const [run, line, message] of cases) {
      const error = await failure(run);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).line).toBe(line);
      expect((error as DataError).detail).toMatch(message);
    }
  });

  it('throws a JsonTruncatedError when the stream ends inside a value or a string', async () => {
    for (const text of ['{"a": [1, 2', '{"a": "abc', '{"a": 1,\n', '{"a"']) {
      const error = await membersOf(text).catch((caught: unknown) => caught);
      expect(error, text).toBeInstanceOf(JsonTruncatedError);
      expect((error as DataError).line).toBe(text.split('\n').length);
    }
    const triples = await scannerOf('[[1, 2, 3], [4')
      .readTriples('v', { add: () => undefined })
      .catch((caught: unknown) => caught);
    expect(triples).toBeInstanceOf(JsonTruncatedError);
  });
});
