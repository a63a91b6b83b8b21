import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fileContainsText } from '../../../../server/tiler/stages/read-citygml-textures';

const directory = mkdtempSync(path.join(tmpdir(), 'plaza-textures-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A file of `size` bytes of 'x' with `needle` written at `at`; gzipped when asked. */
function fileWith(name: string, size: number, needle: string, at: number, gzip = false): string {
  const bytes = Buffer.alloc(size, 'x');
  if (needle) bytes.write(needle, at, 'latin1');
  const file = path.join(directory, name);
  writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
  return file;
}

describe('fileContainsText', () => {
  const needle = 'ParameterizedTexture';
  // Plain files are read in 1 MiB chunks: the needle is put across that boundary at every split.
  const boundary = 1 << 20;

  it('returns true when the text crosses a chunk boundary, wherever it is split', async () => {
    for (let split = 1; split < needle.length; split++) {
      const file = fileWith(`split-${split}.gml`, boundary + 100, needle, boundary - split);
      expect(await fileContainsText(file, ['appearanceMember', needle])).toBe(true);
    }
  });

  it('returns true for text inside one chunk, in the first and in a later chunk, and in gzip data', async () => {
    expect(await fileContainsText(fileWith('first.gml', 5000, needle, 10), needle)).toBe(true);
    expect(
      await fileContainsText(fileWith('later.gml', 3 * boundary, needle, 2 * boundary + 77), needle),
    ).toBe(true);
    // Gunzipped data comes in chunks of 16 KiB: the needle across one boundary and at the very end.
    expect(await fileContainsText(fileWith('seam.gml.gz', 100_000, needle, 16_384 - 7, true), needle)).toBe(
      true,
    );
    expect(
      await fileContainsText(fileWith('end.gml.gz', 100_000, needle, 100_000 - needle.length, true), needle),
    ).toBe(true);
  });

  it('returns false when only parts of the text occur, on both sides of a boundary', async () => {
    const file = fileWith('parts.gml', boundary + 100, '', 0);
    const bytes = Buffer.alloc(boundary + 100, 'x');
    // "Parameterized" ends the first chunk, "Textur" (one letter short) starts the second.
    bytes.write('Parameterized', boundary - 13, 'latin1');
    bytes.write('Textur', boundary, 'latin1');
    writeFileSync(file, bytes);
    expect(await fileContainsText(file, needle)).toBe(false);
    expect(await fileContainsText(fileWith('none.gml', 1000, '', 0), needle)).toBe(false);
  });
});
