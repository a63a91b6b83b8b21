import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ensureTilerBundle } from '../../../server/tiler/bundle.mjs';

describe('bundle', () => {
  // V8 keeps a script's source in memory for lazy compilation, at two bytes per character as soon as one character is
  // outside Latin-1 (esbuild escapes strings, but keeps comments before class members as written): three arrows in
  // comments cost a 0.9 MB CityGML conversion 2.4 MB of peak RSS.
  it('returns a bundle of ASCII characters only when built from the sources', async () => {
    const bytes = readFileSync(await ensureTilerBundle());
    const at = bytes.findIndex((byte) => byte > 0x7f);
    // On failure, the text around the first non-ASCII byte.
    expect(at === -1 ? '' : bytes.subarray(Math.max(0, at - 80), at + 20).toString()).toBe('');
  }, 60_000);
});
