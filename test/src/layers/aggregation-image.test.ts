import { describe, expect, it } from 'vitest';
import { imageSize } from '../../../src/layers/aggregation-image';

describe('imageSize', () => {
  it('keeps metres square: at 60° N a degree of longitude is half a degree of latitude on the ground', () => {
    // 1° × 1° at 59.5-60.5° N: 55.7 km wide, 111.3 km high, so the image is twice as high as wide.
    expect(imageSize([10, 59.5, 11, 60.5], 500)).toEqual({ width: 500, height: 1000 });
  });

  it('gives a square image for a square-metre rectangle on the equator', () => {
    expect(imageSize([0, -0.5, 1, 0.5], 256)).toEqual({ width: 256, height: 256 });
  });
});
