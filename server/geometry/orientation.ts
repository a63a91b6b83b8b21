// Robust orientation test: a floating-point filter (Shewchuk's error bound) with an exact BigInt fallback, so
// collinearity and "on the boundary" decisions on input coordinates are never wrong because of rounding.

const EPSILON = 2 ** -53;
/** Shewchuk's bound on the error of the floating-point determinant (ccwerrboundA). */
const ORIENTATION_ERROR_BOUND = (3 + 16 * EPSILON) * EPSILON;

const SCRATCH = new DataView(new ArrayBuffer(8));

/** Splits a finite double into an integer mantissa and a power-of-two exponent: value = mantissa * 2^exponent. */
function decomposeDouble(value: number): [bigint, number] {
  if (value === 0) return [0n, 0];
  SCRATCH.setFloat64(0, value);
  const high = SCRATCH.getUint32(0);
  const low = SCRATCH.getUint32(4);
  const biasedExponent = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let exponent: number;
  if (biasedExponent === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biasedExponent - 1075;
  }
  return [high >>> 31 ? -mantissa : mantissa, exponent];
}

function orientationExact(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const parts = [ax, ay, bx, by, cx, cy].map(decomposeDouble);
  const smallest = Math.min(...parts.map(([, exponent]) => exponent));
  const [eax, eay, ebx, eby, ecx, ecy] = parts.map(
    ([mantissa, exponent]) => mantissa << BigInt(exponent - smallest),
  );
  const determinant = (ebx! - eax!) * (ecy! - eay!) - (eby! - eay!) * (ecx! - eax!);
  return determinant > 0n ? 1 : determinant < 0n ? -1 : 0;
}

/**
 * The exact sign of the orientation of c relative to the directed line a→b.
 * @returns 1 when c lies to the left (counter-clockwise turn), -1 to the right, 0 when the three points are collinear
 */
export function orientation(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const left = (ax - cx) * (by - cy);
  const right = (ay - cy) * (bx - cx);
  const determinant = left - right;
  const bound = ORIENTATION_ERROR_BOUND * (Math.abs(left) + Math.abs(right));
  if (determinant > bound) return 1;
  if (-determinant > bound) return -1;
  return orientationExact(ax, ay, bx, by, cx, cy);
}
