/**
 * Pillow's convolution resampling of 8-bit RGB images (Image.resize with BILINEAR, BICUBIC or LANCZOS), which is
 * what transformers' slow image processors use: separable, horizontal pass then vertical, half-pixel centred,
 * kernels widened by the scale when reducing, 22-bit fixed-point weights and uint8 between the passes.
 *
 * Only the requested output box is computed (plus the input rows its taps need), so a resize followed by a
 * centre crop costs the crop, not the whole resized image.
 */
import type { Box } from './geometry.js';

export type ConvolutionFilter = 'bilinear' | 'bicubic' | 'lanczos';
export type PillowFilter = ConvolutionFilter | 'nearest';

const SUPPORT: Record<ConvolutionFilter, number> = { bilinear: 1, bicubic: 2, lanczos: 3 };

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const KERNEL: Record<ConvolutionFilter, (x: number) => number> = {
  bilinear: (x) => {
    const t = x < 0 ? -x : x;
    return t < 1 ? 1 - t : 0;
  },
  bicubic: (x) => {
    const a = -0.5;
    const t = x < 0 ? -x : x;
    if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
    return 0;
  },
  lanczos: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0),
};

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);

interface Taps {
  /** First input index of each output position. */
  start: Int32Array;
  /** Number of taps of each output position. */
  count: Int32Array;
  /** Fixed-point weights, `stride` per output position. */
  weights: Int32Array;
  stride: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc, for output positions from .. from+n-1. */
function taps(inSize: number, outSize: number, from: number, n: number, filter: ConvolutionFilter): Taps {
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = SUPPORT[filter] * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const kernel = KERNEL[filter];
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * stride);
  const raw = new Float64Array(stride);
  const ss = 1 / filterScale;
  for (let i = 0; i < n; i++) {
    const center = (from + i + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = kernel((x + xmin - center + 0.5) * ss);
      raw[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? raw[x]! / ww : raw[x]!;
      weights[i * stride + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { start, count, weights, stride };
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Pillow's NEAREST: output pixel x takes input pixel floor((x + 0.5) * in / out). */
function nearestBox(src: Uint8Array, srcWidth: number, srcHeight: number, dstWidth: number, dstHeight: number, box: Box): Uint8Array {
  const { left, top, width: bw, height: bh } = box;
  const sx = srcWidth / dstWidth;
  const sy = srcHeight / dstHeight;
  const cols = new Int32Array(bw);
  for (let x = 0; x < bw; x++) cols[x] = Math.min(srcWidth - 1, Math.floor((left + x + 0.5) * sx)) * 3;
  const out = new Uint8Array(bw * bh * 3);
  let o = 0;
  for (let y = 0; y < bh; y++) {
    const row = Math.min(srcHeight - 1, Math.floor((top + y + 0.5) * sy)) * srcWidth * 3;
    for (let x = 0; x < bw; x++) {
      const p = row + cols[x]!;
      out[o++] = src[p]!;
      out[o++] = src[p + 1]!;
      out[o++] = src[p + 2]!;
    }
  }
  return out;
}

/**
 * Resize an RGB (HWC uint8) image of srcWidth × srcHeight to dstWidth × dstHeight as Pillow does, returning only
 * `box` of the result (box.width × box.height × 3 bytes).
 */
export function pillowResizeBox(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  dstWidth: number,
  dstHeight: number,
  box: Box,
  filter: PillowFilter,
): Uint8Array {
  const { left, top, width: bw, height: bh } = box;
  if (left < 0 || top < 0 || left + bw > dstWidth || top + bh > dstHeight) {
    throw new RangeError(`box ${bw}×${bh}+${left}+${top} is outside ${dstWidth}×${dstHeight}`);
  }
  if (src.length !== srcWidth * srcHeight * 3) throw new RangeError(`expected ${srcWidth}×${srcHeight}×3 bytes, got ${src.length}`);
  if (filter === 'nearest') return nearestBox(src, srcWidth, srcHeight, dstWidth, dstHeight, box);
  const needH = dstWidth !== srcWidth;
  const needV = dstHeight !== srcHeight;

  // Input rows the vertical pass reads (all of the box's rows when there is no vertical pass).
  const vt = needV ? taps(srcHeight, dstHeight, top, bh, filter) : undefined;
  let rowFirst = top;
  let rowEnd = top + bh;
  if (vt) {
    rowFirst = vt.start[0]!;
    rowEnd = vt.start[bh - 1]! + vt.count[bh - 1]!;
    for (let i = 0; i < bh; i++) {
      rowFirst = Math.min(rowFirst, vt.start[i]!);
      rowEnd = Math.max(rowEnd, vt.start[i]! + vt.count[i]!);
    }
  }
  const rows = rowEnd - rowFirst;

  // Horizontal pass: rows [rowFirst, rowEnd) of the input, the box's columns of the output.
  const mid = new Uint8Array(rows * bw * 3);
  if (needH) {
    const ht = taps(srcWidth, dstWidth, left, bw, filter);
    for (let y = 0; y < rows; y++) {
      const inRow = (rowFirst + y) * srcWidth * 3;
      let o = y * bw * 3;
      for (let x = 0; x < bw; x++) {
        const s0 = ht.start[x]!;
        const n = ht.count[x]!;
        const k0 = x * ht.stride;
        let r = HALF;
        let g = HALF;
        let b = HALF;
        for (let t = 0, p = inRow + s0 * 3; t < n; t++, p += 3) {
          const k = ht.weights[k0 + t]!;
          r += src[p]! * k;
          g += src[p + 1]! * k;
          b += src[p + 2]! * k;
        }
        mid[o++] = clip8(r);
        mid[o++] = clip8(g);
        mid[o++] = clip8(b);
      }
    }
  } else {
    for (let y = 0; y < rows; y++) {
      const from = ((rowFirst + y) * srcWidth + left) * 3;
      mid.set(src.subarray(from, from + bw * 3), y * bw * 3);
    }
  }
  if (!vt) return mid;

  // Vertical pass over the intermediate rows.
  const out = new Uint8Array(bh * bw * 3);
  const rowBytes = bw * 3;
  for (let y = 0; y < bh; y++) {
    const s0 = vt.start[y]! - rowFirst;
    const n = vt.count[y]!;
    const k0 = y * vt.stride;
    const o = y * rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      let acc = HALF;
      for (let t = 0, p = s0 * rowBytes + i; t < n; t++, p += rowBytes) acc += mid[p]! * vt.weights[k0 + t]!;
      out[o + i] = clip8(acc);
    }
  }
  return out;
}
