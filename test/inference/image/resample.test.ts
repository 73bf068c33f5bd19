import { describe, expect, it } from 'vitest';
import { pillowResizeBox } from '../../../src/inference/image/resample.js';
import { pilResize } from './pil-reference.js';

function pattern(width: number, height: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      out[o] = (Math.floor(x / 5) + Math.floor(y / 3)) % 2 ? 255 : 0;
      out[o + 1] = (x * 255) / Math.max(1, width - 1);
      out[o + 2] = ((x * 31 + y * 17 + seed) * 2654435761) >>> 24;
    }
  }
  return out;
}

const CASES: [number, number, number, number][] = [
  [50, 40, 17, 13], // reduce ~3
  [40, 50, 33, 61], // reduce one axis, enlarge the other
  [9, 7, 64, 48], // enlarge ~7
  [128, 1, 32, 1], // one row
  [1, 1, 5, 3],
  [30, 30, 30, 12], // vertical only
  [30, 30, 12, 30], // horizontal only
];

describe('pillowResizeBox', () => {
  for (const filter of ['bicubic', 'bilinear', 'lanczos'] as const) {
    it(`equals the Pillow reference (${filter}) for reductions, enlargements and mixed`, () => {
      for (const [sw, sh, dw, dh] of CASES) {
        const src = pattern(sw, sh, sw * dh);
        const full = pillowResizeBox(src, sw, sh, dw, dh, { left: 0, top: 0, width: dw, height: dh }, filter);
        const ref = pilResize({ data: src, width: sw, height: sh }, dw, dh, filter);
        expect(Buffer.from(full).equals(Buffer.from(ref.data)), `${sw}x${sh} -> ${dw}x${dh}`).toBe(true);
      }
    });
  }

  it('computes any box of the result exactly as the whole result', () => {
    const [sw, sh, dw, dh] = [61, 47, 90, 35];
    const src = pattern(sw, sh, 3);
    const full = pillowResizeBox(src, sw, sh, dw, dh, { left: 0, top: 0, width: dw, height: dh }, 'bicubic');
    for (const box of [
      { left: 0, top: 0, width: 1, height: 1 },
      { left: 13, top: 7, width: 40, height: 20 },
      { left: dw - 3, top: dh - 2, width: 3, height: 2 },
    ]) {
      const part = pillowResizeBox(src, sw, sh, dw, dh, box, 'bicubic');
      for (let y = 0; y < box.height; y++) {
        const want = full.subarray(((box.top + y) * dw + box.left) * 3, ((box.top + y) * dw + box.left + box.width) * 3);
        expect(Buffer.from(part.subarray(y * box.width * 3, (y + 1) * box.width * 3)).equals(Buffer.from(want))).toBe(true);
      }
    }
  });

  it('nearest takes the source pixel under each output pixel centre', () => {
    const src = pattern(7, 3, 1);
    const out = pillowResizeBox(src, 7, 3, 5, 11, { left: 0, top: 0, width: 5, height: 11 }, 'nearest');
    for (let y = 0; y < 11; y++) {
      for (let x = 0; x < 5; x++) {
        const sx = Math.floor(((x + 0.5) * 7) / 5);
        const sy = Math.floor(((y + 0.5) * 3) / 11);
        expect([...out.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3)]).toEqual([...src.subarray((sy * 7 + sx) * 3, (sy * 7 + sx) * 3 + 3)]);
      }
    }
  });

  it('keeps a solid colour solid and an identity size unchanged', () => {
    const solid = new Uint8Array(20 * 10 * 3).fill(77);
    const out = pillowResizeBox(solid, 20, 10, 63, 29, { left: 0, top: 0, width: 63, height: 29 }, 'lanczos');
    expect(out.every((v) => v === 77)).toBe(true);
    const src = pattern(12, 9, 4);
    expect(Buffer.from(pillowResizeBox(src, 12, 9, 12, 9, { left: 0, top: 0, width: 12, height: 9 }, 'bicubic')).equals(Buffer.from(src))).toBe(true);
  });

  it('refuses boxes outside the result and buffers of the wrong size', () => {
    const src = pattern(4, 4, 0);
    expect(() => pillowResizeBox(src, 4, 4, 8, 8, { left: 4, top: 0, width: 5, height: 1 }, 'bicubic')).toThrow(RangeError);
    expect(() => pillowResizeBox(src.subarray(1), 4, 4, 8, 8, { left: 0, top: 0, width: 1, height: 1 }, 'bicubic')).toThrow(RangeError);
  });
});
