// Stage: open an input file as a stream of text chunks, gunzipping when the bytes say so, counting raw bytes read.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** True when the file starts with the gzip magic bytes. */
export async function isGzipFile(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(2);
    const { bytesRead } = await handle.read(header, 0, 2, 0);
    return bytesRead === 2 && header[0] === 0x1f && header[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Streams the file's text (UTF-8), calling `onBytes` with the compressed bytes read so far. */
export async function* readTextChunks(
  file: string,
  onBytes: (bytes: number) => void,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of readByteChunks(file, onBytes)) {
    const text = decoder.write(chunk);
    if (text.length > 0) yield text;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

const READ_BYTES = 1 << 20;

/**
 * Streams the file's bytes (gunzipped when the bytes say gzip), calling `onBytes` with the raw bytes read so far.
 * A chunk is valid only until the next one is asked for (see readBytesFrom); consumers copy what they keep.
 */
export async function* readByteChunks(
  file: string,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  yield* readBytesFrom(file, await isGzipFile(file), 0, onBytes);
}

/**
 * The file's uncompressed bytes from `start` on; `onBytes` gets the file (compressed) bytes read so far. A plain file
 * is read into one reused buffer, so a chunk is valid only until the next one is asked for: a fresh megabyte per
 * chunk is fresh memory to map and fault in, then garbage that V8 collects late (external memory, which showed as
 * RSS about the size of the file).
 */
export async function* readBytesFrom(
  file: string,
  gzip: boolean,
  start: number,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  if (!gzip) {
    yield* readPlainBytes(file, start, Infinity, onBytes);
    return;
  }
  // A gzipped file cannot be entered in the middle: decompress from the start and drop what comes before `start`.
  const raw = createReadStream(file, { highWaterMark: READ_BYTES });
  const source = raw.pipe(createGunzip());
  raw.on('error', (error) => source.destroy(error));
  let skip = start;
  try {
    // Pull with backpressure (no 'data' listener, which would switch the stream to flowing mode and buffer the file).
    for await (const chunk of source as AsyncIterable<Buffer>) {
      onBytes(raw.bytesRead);
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      yield skip > 0 ? chunk.subarray(skip) : chunk;
      skip = 0;
    }
  } finally {
    raw.destroy();
  }
}

/** A part of an uncompressed file read as a document of its own: `header` + bytes [start, end) + `footer`. */
export interface ByteRange {
  start: number;
  end: number;
  /** Bytes put before the range (the file's prolog and root start tag, so namespaces and the root CRS apply). */
  header: Uint8Array;
  /** Bytes put after the range (the root's close tag). */
  footer: Uint8Array;
}

/**
 * Streams header, the range's bytes and footer; `onBytes` gets the file bytes read so far within the range. As with
 * readByteChunks, a chunk is valid only until the next is asked for (one reused read buffer).
 */
export async function* readRangeChunks(
  file: string,
  range: ByteRange,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  if (range.header.length > 0) yield Buffer.from(range.header);
  yield* readPlainBytes(file, range.start, range.end, (position) => onBytes(position - range.start));
  if (range.footer.length > 0) yield Buffer.from(range.footer);
}

/**
 * Bytes [start, end) of an uncompressed file through one reused buffer (a chunk is valid only until the next is asked
 * for); `onPosition` gets the file offset read up to. With `end` Infinity it reads to the end of the file, otherwise
 * a file that ends before `end` is an error.
 */
async function* readPlainBytes(
  file: string,
  start: number,
  end: number,
  onPosition: (position: number) => void,
): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(Math.min(READ_BYTES, end - start));
    let position = start;
    while (position < end) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - position), position);
      if (bytesRead === 0) {
        if (end === Infinity) return;
        throw new Error(`unexpected end of file at byte ${position} (the file changed while read)`);
      }
      position += bytesRead;
      onPosition(position);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
