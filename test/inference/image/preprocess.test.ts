import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { centerCropBox, planResize, shortestEdgeResize } from '../../../src/inference/image/geometry.js';
import type { LoadedImage } from '../../../src/inference/image/load.js';
import { loadImage } from '../../../src/inference/image/load.js';
import { loadPreprocessor, preprocessorFromConfig } from '../../../src/inference/image/preprocess.js';
import { fromRaw, rawFrom } from './fixtures.js';
import { convnextReference, numpyNormaliseChw, pilResize, type RgbImage } from './pil-reference.js';

/** Xenova/resnet-152's preprocessor_config.json as the hub ships it (feature_extractor_type, resample 3). */
const RESNET_CONFIG = {
  crop_pct: 0.875,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  feature_extractor_type: 'ConvNextFeatureExtractor',
  image_mean: [0.485, 0.456, 0.406],
  image_std: [0.229, 0.224, 0.225],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};
const REF = { shortestEdge: 224, cropPct: 0.875, rescale: 0.00392156862745098, mean: RESNET_CONFIG.image_mean, std: RESNET_CONFIG.image_std };

function loaded(data: Buffer, width: number, height: number): LoadedImage {
  return { data, width, height, format: 'raw', sha256: '', frames: 1 };
}

/** A picture with smooth gradients, hard edges and fine texture: the worst case for resampling differences. */
function testCard(width: number, height: number, seed = 1): Buffer {
  return rawFrom(width, height, (x, y) => {
    const edge = (Math.floor(x / 17) + Math.floor(y / 13)) % 2 === 0 ? 255 : 0;
    const grad = Math.round((255 * x) / Math.max(1, width - 1));
    const texture = ((x * 7 + y * 13 + seed * 31) * 2654435761) >>> 24;
    return [edge, grad, texture];
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<MemeguardError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(MemeguardError);
    return e as MemeguardError;
  }
  throw new Error('expected a refusal');
}

describe('geometry (transformers rounding)', () => {
  it('scales the shortest edge and floors the long one', () => {
    // [height, width] as transformers returns it
    expect(shortestEdgeResize(333, 500, 256)).toEqual([384, 256]); // 256*500/333 = 384.38
    expect(shortestEdgeResize(500, 333, 256)).toEqual([256, 384]);
    expect(shortestEdgeResize(100, 299, 256)).toEqual([765, 256]); // 765.44
    expect(shortestEdgeResize(300, 700, 256)).toEqual([597, 256]); // 597.33
    expect(shortestEdgeResize(1, 1, 256)).toEqual([256, 256]);
    expect(shortestEdgeResize(640, 640, 256)).toEqual([256, 256]);
  });

  it('centre-crops with floor division, the extra odd pixel going to the bottom/right', () => {
    expect(centerCropBox(256, 300, 224, 224)).toEqual({ left: 16, top: 38, width: 224, height: 224 });
    expect(centerCropBox(256, 301, 224, 224)).toEqual({ left: 16, top: 38, width: 224, height: 224 }); // 77 // 2
    expect(centerCropBox(257, 257, 224, 224)).toEqual({ left: 16, top: 16, width: 224, height: 224 });
  });

  it('plans ConvNext: int(224 / 0.875) = 256 then a 224 crop; 384 and above: a square warp', () => {
    const p = preprocessorFromConfig(RESNET_CONFIG);
    expect(p.plan(640, 480)).toEqual({ resizeWidth: 341, resizeHeight: 256, crop: { left: 58, top: 16, width: 224, height: 224 } });
    const big = preprocessorFromConfig({ ...RESNET_CONFIG, size: { shortest_edge: 384 } });
    expect(big.plan(640, 480)).toEqual({ resizeWidth: 384, resizeHeight: 384, crop: { left: 0, top: 0, width: 384, height: 384 } });
    expect(big.size).toEqual({ height: 384, width: 384 });
  });

  it('plans ViT: a plain resize to height × width', () => {
    const p = preprocessorFromConfig({ image_processor_type: 'ViTImageProcessor', size: { height: 30, width: 40 } });
    expect(planResize(640, 480, p.config)).toEqual({ resizeWidth: 40, resizeHeight: 30, crop: { left: 0, top: 0, width: 40, height: 30 } });
  });
});

describe('ConvNext preprocessing (Xenova/resnet-152 config)', () => {
  const p = preprocessorFromConfig(RESNET_CONFIG);

  it('reads the type and size from the config', () => {
    expect(p.type).toBe('ConvNextFeatureExtractor');
    expect(p.size).toEqual({ height: 224, width: 224 });
    expect(p.config).toMatchObject({ mode: 'convnext', resample: 'bicubic', shortestEdge: 224, cropPct: 0.875 });
  });

  it('equals the reference exactly when no resampling is needed (portrait 256×300: crop + normalise + CHW)', async () => {
    const raw = testCard(256, 300);
    const out = await p.run(loaded(raw, 256, 300));
    const ref = convnextReference({ data: raw, width: 256, height: 300 }, { ...REF, filter: 'bicubic' });
    expect(ref.resized.width).toBe(256); // identity resize: no filter involved
    expect(out.length).toBe(3 * 224 * 224);
    expect(maxAbsDiff(out, ref.pixels)).toBe(0);
    // CHW: the first value of plane c is channel c of source pixel (left 16, top 38)
    const src = (16 + 38 * 256) * 3;
    for (let c = 0; c < 3; c++) {
      const want = Math.fround(Math.fround(Math.fround(raw[src + c]! * REF.rescale) - Math.fround(REF.mean[c]!)) / Math.fround(REF.std[c]!));
      expect(out[c * 224 * 224]).toBe(want);
    }
  });

  it('equals the reference exactly for landscape 301×256 (odd margin)', async () => {
    const raw = testCard(301, 256, 7);
    const out = await p.run(loaded(raw, 301, 256));
    const ref = convnextReference({ data: raw, width: 301, height: 256 }, { ...REF, filter: 'bicubic' });
    expect(maxAbsDiff(out, ref.pixels)).toBe(0);
  });

  it('maps a solid colour of any size to the normalisation constants', async () => {
    for (const [w, h] of [
      [640, 480],
      [97, 1200],
      [1, 1],
    ] as const) {
      const rgb = [12, 200, 77];
      const raw = rawFrom(w, h, () => rgb as [number, number, number]);
      const out = await p.run(loaded(raw, w, h));
      for (let c = 0; c < 3; c++) {
        const want = (rgb[c]! / 255 - REF.mean[c]!) / REF.std[c]!;
        const plane = out.subarray(c * 224 * 224, (c + 1) * 224 * 224);
        expect(Math.min(...plane)).toBeCloseTo(want, 6);
        expect(Math.max(...plane)).toBeCloseTo(want, 6);
      }
    }
  });

  const SIZES: [number, number][] = [
    [500, 375], // reduce 1.46
    [375, 500],
    [1024, 768], // reduce 3
    [640, 427],
    [200, 150], // enlarge 1.7
    [61, 97], // enlarge 4.2
  ];

  /** Our resized + cropped uint8 pixels, recovered from the tensor (the normalisation is exact and monotone). */
  function denormalise(out: Float32Array): Uint8Array {
    const ours = new Uint8Array(224 * 224 * 3);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 224 * 224; i++) {
        ours[i * 3 + c] = Math.round((out[c * 224 * 224 + i]! * REF.std[c]! + REF.mean[c]!) / REF.rescale);
      }
    }
    expect(maxAbsDiff(numpyNormaliseChw({ data: ours, width: 224, height: 224 }, REF.rescale, REF.mean, REF.std), out)).toBe(0);
    return ours;
  }

  it("resize 'pillow' equals transformers + Pillow bicubic bit for bit, reductions and enlargements", async () => {
    const exact = preprocessorFromConfig(RESNET_CONFIG, 'test', { resize: 'pillow' });
    for (const [w, h] of SIZES) {
      const raw = testCard(w, h, w);
      const ref = convnextReference({ data: raw, width: w, height: h }, { ...REF, filter: 'bicubic' });
      expect(maxAbsDiff(await exact.run(loaded(raw, w, h)), ref.pixels), `${w}x${h}`).toBe(0);
    }
  });

  it("resize 'auto' is exact when enlarging and within a fraction of a step when sharp reduces (measured)", async () => {
    const fast = preprocessorFromConfig(RESNET_CONFIG, 'test', { resize: 'sharp' });
    const report: string[] = [];
    let worstMax = 0;
    let worstMean = 0;
    for (const [w, h] of SIZES) {
      const raw = testCard(w, h, w);
      const ref = convnextReference({ data: raw, width: w, height: h }, { ...REF, filter: 'bicubic' });
      const plan = p.plan(w, h);
      expect([plan.resizeWidth, plan.resizeHeight]).toEqual([ref.resized.width, ref.resized.height]);
      const out = await p.run(loaded(raw, w, h));
      const ours = denormalise(out);
      const pixelMax = maxAbsDiff(ours, ref.cropped.data);
      const pixelMean = meanAbsDiff(ours, ref.cropped.data);
      const sharpOnly = denormalise(await fast.run(loaded(raw, w, h)));
      const enlarges = plan.resizeWidth > w;
      if (enlarges) {
        expect(pixelMax, `${w}x${h}`).toBe(0);
      } else {
        worstMax = Math.max(worstMax, pixelMax);
        worstMean = Math.max(worstMean, pixelMean);
      }
      report.push(
        `${w}x${h} (${enlarges ? 'enlarge: Pillow port' : 'reduce: sharp'}): max ${pixelMax}/255 (tensor ${maxAbsDiff(out, ref.pixels).toFixed(4)}), ` +
          `mean ${pixelMean.toFixed(3)}/255; sharp alone: max ${maxAbsDiff(sharpOnly, ref.cropped.data)}, mean ${meanAbsDiff(sharpOnly, ref.cropped.data).toFixed(3)}`,
      );
    }
    console.log(`ConvNext 224, resize 'auto' vs transformers+Pillow bicubic (test card: checkerboard, gradient, noise)\n  ${report.join('\n  ')}`);
    // measured: max 10-12 steps on the hardest edges, mean ~0.2-0.35 steps
    expect(worstMean).toBeLessThan(1);
    expect(worstMax).toBeLessThanOrEqual(24);
  });

  it('writes into a batch tensor at an offset', async () => {
    const a = testCard(256, 256, 1);
    const b = testCard(300, 256, 2);
    const n = 3 * 224 * 224;
    const batch = new Float32Array(2 * n);
    await p.run(loaded(a, 256, 256), batch, 0);
    const ret = await p.run(loaded(b, 300, 256), batch, n);
    expect(ret).toBe(batch);
    expect(maxAbsDiff(batch.subarray(0, n), await p.run(loaded(a, 256, 256)))).toBe(0);
    expect(maxAbsDiff(batch.subarray(n), await p.run(loaded(b, 300, 256)))).toBe(0);
    await expect(p.run(loaded(a, 256, 256), batch, n + 1)).rejects.toThrow(MemeguardError);
  });

  it('handles extreme aspect ratios without materialising the whole resized image', async () => {
    const raw = rawFrom(1, 20_000, (_, y) => [y & 255, 0, 0]); // resized to 256 × 5 120 000, cropped to 224²
    const out = await p.run(loaded(raw, 1, 20_000));
    expect(out.length).toBe(3 * 224 * 224);
    expect(Number.isFinite(out[0])).toBe(true);
  });

  it('runs on what loadImage returns', async () => {
    const png = await fromRaw(testCard(256, 300), 256, 300).png().toBuffer();
    const img = await loadImage(png);
    const out = await p.run(img);
    const ref = convnextReference({ data: img.data, width: 256, height: 300 }, { ...REF, filter: 'bicubic' });
    expect(maxAbsDiff(out, ref.pixels)).toBe(0);
  });

  it('refuses pixel buffers that do not match their size', async () => {
    const err = await refusal(p.run(loaded(Buffer.alloc(10), 4, 4)));
    expect(err.code).toBe('BAD_INPUT');
  });
});

describe('settings come from the config, not from code', () => {
  it('uses the mean, std and rescale factor of the file', async () => {
    const p = preprocessorFromConfig({
      image_processor_type: 'ConvNextImageProcessor',
      size: { shortest_edge: 8 },
      crop_pct: 0.5, // resize to 16, crop 8
      resample: 3,
      rescale_factor: 0.01,
      image_mean: [0.1, 0.2, 0.3],
      image_std: [2, 3, 4],
    });
    expect(p.plan(40, 20)).toEqual({ resizeWidth: 32, resizeHeight: 16, crop: { left: 12, top: 4, width: 8, height: 8 } });
    const out = await p.run(loaded(rawFrom(40, 20, () => [100, 50, 10]), 40, 20));
    expect(out.length).toBe(3 * 8 * 8);
    expect(out[0]).toBeCloseTo((1 - 0.1) / 2, 6);
    expect(out[64]).toBeCloseTo((0.5 - 0.2) / 3, 6);
    expect(out[128]).toBeCloseTo((0.1 - 0.3) / 4, 6);
  });

  it('skips rescale and normalise when the file says so', async () => {
    const p = preprocessorFromConfig({ image_processor_type: 'ViTImageProcessor', size: 4, do_rescale: false, do_normalize: false });
    const out = await p.run(loaded(rawFrom(4, 4, () => [1, 2, 3]), 4, 4));
    expect([out[0], out[16], out[32]]).toEqual([1, 2, 3]);
  });

  it('takes transformers class defaults for keys the file leaves out (ConvNext: crop 224/256, bilinear, mean/std 0.5)', () => {
    const p = preprocessorFromConfig({ image_processor_type: 'ConvNextImageProcessor', size: 224 });
    expect(p.config).toMatchObject({ mode: 'convnext', shortestEdge: 224, cropPct: 224 / 256, resample: 'bilinear', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(p.config.rescaleFactor).toBeCloseTo(1 / 255, 12);
  });

  it('ViT with bilinear resample matches a Pillow bilinear reference closely', async () => {
    const p = preprocessorFromConfig({
      image_processor_type: 'ViTImageProcessor',
      size: { height: 48, width: 64 },
      resample: 2,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      rescale_factor: 1 / 255,
    });
    const raw = testCard(100, 90, 3);
    const out = await p.run(loaded(raw, 100, 90));
    expect(out.length).toBe(3 * 48 * 64);
    const ref = numpyNormaliseChw(pilResize({ data: raw, width: 100, height: 90 } as RgbImage, 64, 48, 'bilinear'), 1 / 255, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    const diff = meanAbsDiff(out, ref) * 127.5; // in uint8 steps
    console.log(`sharp linear vs Pillow bilinear (ViT 100x90 -> 64x48): mean ${diff.toFixed(3)}/255, max ${(maxAbsDiff(out, ref) * 127.5).toFixed(1)}/255`);
    expect(diff).toBeLessThan(1);
    // enlarging goes through the Pillow port: exact
    const up = await p.run(loaded(testCard(40, 30, 5), 40, 30));
    const upRef = numpyNormaliseChw(pilResize({ data: testCard(40, 30, 5), width: 40, height: 30 }, 64, 48, 'bilinear'), 1 / 255, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
    expect(maxAbsDiff(up, upRef)).toBe(0);
  });
});

describe('loading preprocessor_config.json', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'memeguard-preproc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function folder(name: string, content?: string): Promise<string> {
    const d = path.join(dir, name);
    await rm(d, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(d, { recursive: true }));
    if (content !== undefined) await writeFile(path.join(d, 'preprocessor_config.json'), content);
    return d;
  }

  it('accepts the legacy shape microsoft/resnet-* shipped (size as an int, no rescale keys)', async () => {
    const legacy = {
      crop_pct: 0.875,
      do_normalize: true,
      do_resize: true,
      feature_extractor_type: 'ConvNextFeatureExtractor',
      image_mean: [0.485, 0.456, 0.406],
      image_std: [0.229, 0.224, 0.225],
      resample: 3,
      size: 224,
    };
    const p = await loadPreprocessor(await folder('legacy', JSON.stringify(legacy)));
    expect(p.config).toMatchObject({ mode: 'convnext', shortestEdge: 224, cropPct: 0.875, resample: 'bicubic' });
    const raw = testCard(256, 300);
    const ref = convnextReference({ data: raw, width: 256, height: 300 }, { ...REF, rescale: 1 / 255, filter: 'bicubic' });
    expect(maxAbsDiff(await p.run(loaded(raw, 256, 300)), ref.pixels)).toBe(0);
  });

  it('loads the hub config from a model folder', async () => {
    const p = await loadPreprocessor(await folder('ok', JSON.stringify(RESNET_CONFIG)));
    expect(p.type).toBe('ConvNextFeatureExtractor');
    expect(p.size).toEqual({ height: 224, width: 224 });
  });

  it('refuses a missing file', async () => {
    const err = await refusal(loadPreprocessor(await folder('missing')));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/no readable preprocessor_config\.json/);
    expect(err.exitCode).toBe(2);
  });

  it('refuses a file that is not JSON', async () => {
    const err = await refusal(loadPreprocessor(await folder('notjson', '{ "size": ')));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('refuses an unknown processor type by name', async () => {
    const err = await refusal(loadPreprocessor(await folder('clip', JSON.stringify({ ...RESNET_CONFIG, feature_extractor_type: undefined, image_processor_type: 'CLIPImageProcessor' }))));
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.message).toContain('CLIPImageProcessor is not supported');
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['no type', { size: { shortest_edge: 224 } }, /names no image_processor_type/],
    ['negative std', { ...RESNET_CONFIG, image_std: [0.2, -1, 0.2] }, /image_std/],
    ['two means', { ...RESNET_CONFIG, image_mean: [0.5, 0.5] }, /image_mean/],
    ['box resample', { ...RESNET_CONFIG, resample: 4 }, /resample/],
    ['crop_pct over 1', { ...RESNET_CONFIG, crop_pct: 1.2 }, /crop_pct/],
    ['no size', { ...RESNET_CONFIG, size: undefined }, /size is missing/],
    ['ViT without height', { image_processor_type: 'ViTImageProcessor', size: { shortest_edge: 224 } }, /size.height/],
    ['do_resize false', { ...RESNET_CONFIG, do_resize: false }, /do_resize/],
    ['size zero', { ...RESNET_CONFIG, size: { shortest_edge: 0 } }, /size/],
  ];
  for (const [name, json, message] of invalid) {
    it(`refuses an invalid config: ${name}`, async () => {
      const err = await refusal(() => preprocessorFromConfig(json, 'x/preprocessor_config.json'));
      expect(err.code).toBe('MODEL_INVALID');
      expect(err.message).toMatch(message);
      expect(err.message).toContain('x/preprocessor_config.json');
      expect(err.message).not.toContain('\n');
    });
  }
});
