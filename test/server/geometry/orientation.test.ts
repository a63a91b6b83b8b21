// The orientation test must agree with exact integer arithmetic where plain floating point gets the sign wrong.
import { describe, expect, it } from 'vitest';
import { orientation } from '../../../server/geometry';

describe('orientation', () => {
  it('returns 1, -1 and 0 for left, right and collinear points', () => {
    expect(orientation(0, 0, 1, 0, 0, 1)).toBe(1);
    expect(orientation(0, 0, 1, 0, 0, -1)).toBe(-1);
    expect(orientation(0, 0, 1, 1, 2, 2)).toBe(0);
  });

  it('returns the exact sign on the near-collinear grid of Kettner et al. (p moved by multiples of 2^-53)', () => {
    // p = (0.5 + i·2^-53, 0.5 + j·2^-53), q = (12, 12), r = (24, 24). In units of 2^-53 every value is an integer,
    // so BigInt arithmetic gives the true sign of (q - p) × (r - p).
    const unit = 2 ** -53;
    const scale = 2n ** 53n;
    const qx = 12n * scale;
    const rx = 24n * scale;
    let naiveWrong = 0;
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 64; j++) {
        const px = 0.5 + i * unit;
        const py = 0.5 + j * unit;
        const exactPx = scale / 2n + BigInt(i);
        const exactPy = scale / 2n + BigInt(j);
        const determinant = (qx - exactPx) * (rx - exactPy) - (qx - exactPy) * (rx - exactPx);
        const expected = determinant > 0n ? 1 : determinant < 0n ? -1 : 0;
        expect(orientation(px, py, 12, 12, 24, 24)).toBe(expected);
        const naive = Math.sign((12 - px) * (24 - py) - (12 - py) * (24 - px));
        if (naive !== expected) naiveWrong++;
      }
    }
    // The grid is only a meaningful test if plain floating point fails on it.
    expect(naiveWrong).toBeGreaterThan(0);
  });
});
