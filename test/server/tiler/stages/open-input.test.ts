import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { readByteChunks, readBytesFrom } from '../../../../server/tiler/stages/open-input';

const directory = mkdtempSync(path.join(tmpdir(), 'plaza-open-input-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// 2.5 MiB of varied bytes: more than two read buffers' worth.
const content = Buffer.from(
  Array.from({ length: 2.5 * (1 << 20) }, (_, index) => (index * 7 + (index >> 11)) & 0xff),
);
const plainFile = path.join(directory, 'plain.bin');
const gzipFile = path.join(directory, 'packed.bin.gz');
writeFileSync(plainFile, content);
writeFileSync(gzipFile, gzipSync(content));

/** Every chunk copied as it comes (a chunk is valid only until the next is asked for), joined. */
async function collect(chunks: AsyncGenerator<Buffer>): Promise<Buffer> {
  const copies: Buffer[] = [];
  for await (const chunk of chunks) copies.push(Buffer.from(chunk));
  return Buffer.concat(copies);
}

describe('open-input', () => {
  it('returns every byte of a plain and of a gzipped file, in order, across several chunks', async () => {
    const reported: number[] = [];
    expect((await collect(readByteChunks(plainFile, (bytes) => reported.push(bytes)))).equals(content)).toBe(
      true,
    );
    // The raw bytes read so far: rising, ending at the file size.
    expect(reported.length).toBeGreaterThan(2);
    expect(reported[reported.length - 1]).toBe(content.length);
    expect((await collect(readByteChunks(gzipFile, () => undefined))).equals(content)).toBe(true);
  });

  it('returns the bytes from a given offset on, plain or gzipped', async () => {
    const start = (1 << 20) + 12_345;
    const expected = content.subarray(start);
    expect((await collect(readBytesFrom(plainFile, false, start, () => undefined))).equals(expected)).toBe(
      true,
    );
    expect((await collect(readBytesFrom(gzipFile, true, start, () => undefined))).equals(expected)).toBe(
      true,
    );
  });
});
