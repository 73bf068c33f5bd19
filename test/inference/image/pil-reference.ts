/**
 * An independent, plain-JS reference of what transformers does to an image: Pillow's resampling of 8-bit images
 * (separable convolution, horizontal pass then vertical, 22-bit fixed-point weights, uint8 between passes), the
 * center_crop of transformers' image_transforms, and numpy's float32 rescale/normalise. Written for the tests
 * only; it shares no code with src/. It was checked once, off-line, against Pillow 9.4 (Debian python3-pil):
 * bit-identical output for bicubic, bilinear and lanczos, reductions and enlargements.
 */

export interface RgbImage {
  data: Uint8Array; // HWC RGB
  width: number;
  height: number;
}

interface Filter {
  support: number;
  fn: (x: number) => number;
}

const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

export const PIL_FILTERS: Record<'bicubic' | 'bilinear' | 'lanczos', Filter> = {
  lanczos: { support: 3, fn: (x) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    fn: (x) => {
      const t = Math.abs(x);
      return t < 1 ? 1 - t : 0;
    },
  },
};

const PRECISION_BITS = 32 - 8 - 2;

/** Per output position: first input index and fixed-point weights. */
function coefficients(inSize: number, outSize: number, filter: Filter): { min: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ss = 1 / filterScale;
  const out: { min: number; weights: number[] }[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const w: number[] = [];
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const v = filter.fn((x + xmin - center + 0.5) * ss);
      w.push(v);
      sum += v;
    }
    const fixed = w.map((v) => {
      const k = sum !== 0 ? v / sum : v;
      return k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    });
    out.push({ min: xmin, weights: fixed });
  }
  return out;
}

function clip8(acc: number): number {
  const v = Math.floor(acc / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Pillow's Image.resize((width, height), resample) for an RGB image. */
export function pilResize(img: RgbImage, width: number, height: number, filterName: keyof typeof PIL_FILTERS): RgbImage {
  const filter = PIL_FILTERS[filterName];
  let cur = img;
  if (width !== cur.width) {
    const coeffs = coefficients(cur.width, width, filter);
    const out = new Uint8Array(width * cur.height * 3);
    for (let y = 0; y < cur.height; y++) {
      for (let x = 0; x < width; x++) {
        const { min, weights } = coeffs[x]!;
        for (let c = 0; c < 3; c++) {
          let acc = 1 << (PRECISION_BITS - 1);
          for (let i = 0; i < weights.length; i++) acc += cur.data[(y * cur.width + min + i) * 3 + c]! * weights[i]!;
          out[(y * width + x) * 3 + c] = clip8(acc);
        }
      }
    }
    cur = { data: out, width, height: cur.height };
  }
  if (height !== cur.height) {
    const coeffs = coefficients(cur.height, height, filter);
    const out = new Uint8Array(cur.width * height * 3);
    for (let y = 0; y < height; y++) {
      const { min, weights } = coeffs[y]!;
      for (let x = 0; x < cur.width; x++) {
        for (let c = 0; c < 3; c++) {
          let acc = 1 << (PRECISION_BITS - 1);
          for (let i = 0; i < weights.length; i++) acc += cur.data[((min + i) * cur.width + x) * 3 + c]! * weights[i]!;
          out[(y * cur.width + x) * 3 + c] = clip8(acc);
        }
      }
    }
    cur = { data: out, width: cur.width, height };
  }
  return cur;
}

/** transformers image_transforms.center_crop (the in-bounds case). */
export function transformersCenterCrop(img: RgbImage, cropWidth: number, cropHeight: number): RgbImage {
  const top = Math.floor((img.height - cropHeight) / 2);
  const left = Math.floor((img.width - cropWidth) / 2);
  if (top < 0 || left < 0) throw new Error('reference crop needs padding: not implemented');
  const out = new Uint8Array(cropWidth * cropHeight * 3);
  for (let y = 0; y < cropHeight; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(from, from + cropWidth * 3), y * cropWidth * 3);
  }
  return { data: out, width: cropWidth, height: cropHeight };
}

/** numpy: float32(x * rescale) then (x - float32 mean) / float32 std, channels first. */
export function numpyNormaliseChw(img: RgbImage, rescale: number, mean: number[], std: number[]): Float32Array {
  const { width, height } = img;
  const out = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = Math.fround(img.data[(y * width + x) * 3 + c]! * rescale);
        out[c * width * height + y * width + x] = Math.fround(v - m) / s;
      }
    }
  }
  return out;
}

/** The whole of transformers' ConvNextImageProcessor (shortest_edge < 384) on one RGB image. */
export function convnextReference(
  img: RgbImage,
  cfg: { shortestEdge: number; cropPct: number; rescale: number; mean: number[]; std: number[]; filter: keyof typeof PIL_FILTERS },
): { pixels: Float32Array; resized: RgbImage; cropped: RgbImage } {
  const resizeShort = Math.trunc(cfg.shortestEdge / cfg.cropPct);
  const short = Math.min(img.width, img.height);
  const long = Math.max(img.width, img.height);
  const newLong = Math.trunc((resizeShort * long) / short);
  const [w, h] = img.width <= img.height ? [resizeShort, newLong] : [newLong, resizeShort];
  const resized = w === img.width && h === img.height ? img : pilResize(img, w, h, cfg.filter);
  const cropped = transformersCenterCrop(resized, cfg.shortestEdge, cfg.shortestEdge);
  return { pixels: numpyNormaliseChw(cropped, cfg.rescale, cfg.mean, cfg.std), resized, cropped };
}
