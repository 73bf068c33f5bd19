/**
 * Image preprocessing for the image model, driven by the model folder's own preprocessor_config.json:
 * resize (+ centre crop), then one tight loop that rescales, normalises and turns HWC uint8 into CHW float32,
 * the `pixel_values` layout the ONNX export expects.
 *
 * Resizing: transformers resizes with Pillow. sharp (libvips) reduces images within a fraction of a uint8 step of
 * Pillow and much faster, but it enlarges on a grid shifted by a quarter input pixel with its own interpolator
 * whatever the kernel, so by default ('auto') reductions go through sharp and anything that enlarges an axis goes
 * through `pillowResizeBox`, a bit-exact port of Pillow's resampling. 'pillow' uses the exact path always
 * (parity with the Python pipeline, e.g. for evaluation); 'sharp' uses sharp always.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { KernelEnum, OutputInfo } from 'sharp';
import { MemeguardError } from '../../errors.js';
import { outputSize, planResize, type ResizePlan } from './geometry.js';
import type { LoadedImage } from './load.js';
import { resolvePreprocessorConfig, type ResampleName, type ResolvedPreprocessing } from './preprocessor-config.js';
import { pillowResizeBox } from './resample.js';

export type ResizeEngine = 'auto' | 'pillow' | 'sharp';

export interface PreprocessorOptions {
  /** How to resize (default 'auto': sharp for reductions, the Pillow port for enlargements). */
  resize?: ResizeEngine;
}

export interface Preprocessor {
  /** The processor class named by the config, e.g. 'ConvNextFeatureExtractor'. */
  readonly type: string;
  /** The model input size: the output is Float32Array(3 * height * width). */
  readonly size: { height: number; width: number };
  /** The resolved settings (resample, rescale factor, mean, std, geometry). */
  readonly config: ResolvedPreprocessing;
  /** How images are resized. */
  readonly resize: ResizeEngine;
  /** Where this image goes: the size it is resized to and the box cut from it. */
  plan(width: number, height: number): ResizePlan;
  /**
   * Preprocess one image to CHW float32. With `out`, writes 3*H*W values there from `offset` (e.g. into a batch
   * tensor) and returns `out`; otherwise returns a new array.
   */
  run(img: LoadedImage, out?: Float32Array, offset?: number): Promise<Float32Array>;
}

const SHARP_KERNEL: Record<ResampleName, keyof KernelEnum> = {
  nearest: 'nearest',
  bilinear: 'linear',
  bicubic: 'cubic',
  lanczos: 'lanczos3',
};

/** libvips refuses images wider or taller than this. */
const MAX_EDGE = 10_000_000;

/**
 * The value of every (channel, uint8) pair after rescale and normalise, computed as transformers does in numpy:
 * float32(uint8 * rescale_factor), then (x - float32(mean)) / float32(std) in float32.
 */
export function normalisationTable(cfg: Pick<ResolvedPreprocessing, 'rescaleFactor' | 'mean' | 'std'>): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(cfg.mean[c]!);
    const std = Math.fround(cfg.std[c]!);
    for (let v = 0; v < 256; v++) {
      const x = Math.fround(v * cfg.rescaleFactor);
      lut[c * 256 + v] = Math.fround(Math.fround(x - mean) / std);
    }
  }
  return lut;
}

/** HWC uint8 RGB -> CHW float32 through the table, into out[offset ...]. */
export function hwcToChw(rgb: Uint8Array, width: number, height: number, lut: Float32Array, out: Float32Array, offset: number): void {
  const plane = width * height;
  let r = offset;
  let g = offset + plane;
  let b = offset + 2 * plane;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[r++] = lut[rgb[p]!]!;
    out[g++] = lut[256 + rgb[p + 1]!]!;
    out[b++] = lut[512 + rgb[p + 2]!]!;
  }
}

class ImagePreprocessor implements Preprocessor {
  readonly type: string;
  readonly size: { height: number; width: number };
  private readonly lut: Float32Array;

  constructor(
    readonly config: ResolvedPreprocessing,
    readonly resize: ResizeEngine,
  ) {
    this.type = config.type;
    this.size = outputSize(config);
    this.lut = normalisationTable(config);
  }

  plan(width: number, height: number): ResizePlan {
    return planResize(width, height, this.config);
  }

  async run(img: LoadedImage, out?: Float32Array, offset = 0): Promise<Float32Array> {
    const { width, height } = img;
    if (!(width > 0 && height > 0) || img.data.length !== width * height * 3) {
      throw new MemeguardError('BAD_INPUT', `preprocess needs RGB pixels: got ${img.data.length} bytes for ${width}×${height}`);
    }
    const n = 3 * this.size.height * this.size.width;
    const target = out ?? new Float32Array(n);
    if (offset < 0 || offset + n > target.length) {
      throw new MemeguardError('INTERNAL', `preprocess output of ${n} values does not fit at offset ${offset} of ${target.length}`);
    }
    const plan = this.plan(width, height);
    if (plan.resizeWidth > MAX_EDGE || plan.resizeHeight > MAX_EDGE) {
      throw new MemeguardError('BAD_INPUT', `the image's aspect ratio (${width}×${height}) is too extreme to preprocess`);
    }
    const enlarges = plan.resizeWidth > width || plan.resizeHeight > height;
    const useSharp = this.resize === 'sharp' || (this.resize === 'auto' && !enlarges && this.config.resample !== 'nearest');
    const pixels = useSharp ? await this.sharpResize(img, plan) : pillowResizeBox(img.data, width, height, plan.resizeWidth, plan.resizeHeight, plan.crop, this.config.resample);
    hwcToChw(pixels, this.size.width, this.size.height, this.lut, target, offset);
    return target;
  }

  /** Resize + crop in sharp; libvips computes only the cropped region. */
  private async sharpResize(img: LoadedImage, plan: ResizePlan): Promise<Uint8Array> {
    const { width, height } = img;
    let pipeline = sharp(img.data, { raw: { width, height, channels: 3 } });
    if (plan.resizeWidth !== width || plan.resizeHeight !== height) {
      pipeline = pipeline.resize(plan.resizeWidth, plan.resizeHeight, { kernel: SHARP_KERNEL[this.config.resample], fit: 'fill' });
    }
    const c = plan.crop;
    if (c.left !== 0 || c.top !== 0 || c.width !== plan.resizeWidth || c.height !== plan.resizeHeight) {
      pipeline = pipeline.extract(c);
    }
    let data: Buffer;
    let info: OutputInfo;
    try {
      ({ data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    } catch (e) {
      throw new MemeguardError('BAD_INPUT', `image preprocessing failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
    if (info.width !== this.size.width || info.height !== this.size.height || info.channels !== 3) {
      throw new MemeguardError(
        'INTERNAL',
        `preprocess produced ${info.width}×${info.height}×${info.channels}, expected ${this.size.width}×${this.size.height}×3`,
      );
    }
    return data;
  }
}
/** A preprocessor from an already parsed preprocessor_config.json (`source` names it in errors). */
export function preprocessorFromConfig(json: unknown, source = 'preprocessor_config.json', options: PreprocessorOptions = {}): Preprocessor {
  return new ImagePreprocessor(resolvePreprocessorConfig(json, source), options.resize ?? 'auto');
}

/**
 * Read `<modelDir>/preprocessor_config.json` and build its preprocessor.
 * Throws MemeguardError MODEL_INVALID when the file is missing, not JSON, invalid or names an unsupported processor.
 */
export async function loadPreprocessor(modelDir: string, options: PreprocessorOptions = {}): Promise<Preprocessor> {
  const file = path.join(path.resolve(modelDir), 'preprocessor_config.json');
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    throw new MemeguardError('MODEL_INVALID', `image model folder has no readable preprocessor_config.json: ${file}`, {
      hint: 'an image model folder is a Hugging Face folder with config.json, preprocessor_config.json and onnx/',
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new MemeguardError('MODEL_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return preprocessorFromConfig(json, file, options);
}
