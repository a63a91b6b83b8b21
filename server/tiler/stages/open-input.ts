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
  const gzip = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const source = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (error) => source.destroy(error));
  const decoder = new StringDecoder('utf8');
  // Pull with backpressure (no 'data' listener, which would switch the stream to flowing mode and buffer the file).
  for await (const chunk of source as AsyncIterable<Buffer>) {
    onBytes(raw.bytesRead);
    const text = decoder.write(chunk);
    if (text.length > 0) yield text;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

/** Streams the file's bytes (gunzipped when the bytes say gzip), calling `onBytes` with the raw bytes read so far. */
export async function* readByteChunks(
  file: string,
  onBytes: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  const gzip = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const source = gzip ? raw.pipe(createGunzip()) : raw;
  if (gzip) raw.on('error', (error) => source.destroy(error));
  for await (const chunk of source as AsyncIterable<Buffer>) {
    onBytes(raw.bytesRead);
    yield chunk;
  }
}
