import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOcrSet, type BenchStyle, type OcrBenchCase } from '../../../src/bench/ocr-quality.js';
import { errorCounts } from '../../../src/inference/ocr/metrics.js';
import { OcrPool } from '../../../src/inference/ocr/pool.js';
import { findInstalledPhotos, renderBackground } from '../../../src/synth/backgrounds.js';

/**
 * Quality bounds on a small fixed generated set (seeded: the same memes on every machine), so that a regression in
 * preprocessing or cleaning fails CI. The benchmark (src/bench/ocr-quality.ts) measures the same on a larger set.
 */
const PER_STYLE = 3;
const NPM_FONTS = ['anton', 'oswald', 'archivo-black'];
let cases: OcrBenchCase[];
let pool: OcrPool;

beforeAll(async () => {
  // npm fonts only, so that the set is the same on a machine without system fonts.
  cases = await generateOcrSet({ perStyle: PER_STYLE, seed: 7, styles: ['classic-photo', 'classic-flat', 'modern', 'plain'], fonts: NPM_FONTS });
  pool = new OcrPool({ workers: 1, timeoutMs: 60_000 });
});
afterAll(() => pool.close());

async function cerOf(style: BenchStyle, read: (img: Buffer) => Promise<{ text: string }>): Promise<number> {
  let errors = 0;
  let chars = 0;
  for (const c of cases.filter((x) => x.style === style)) {
    const e = errorCounts(c.reference, (await read(c.image)).text);
    errors += e.charErrors;
    chars += e.chars;
  }
  return errors / chars;
}

describe('caption OCR quality (fixed generated set)', () => {
  it.each([
    ['classic-photo', 0.06],
    ['classic-flat', 0.05],
    ['modern', 0.05],
    ['plain', 0.01],
  ] as const)('%s: pipeline CER <= %s', async (style, bound) => {
    const c = await cerOf(style, (img) => pool.recognize(img));
    expect(c).toBeLessThanOrEqual(bound);
  });

  it('beats raw tesseract.js by far on classic memes over photos', async () => {
    const pipeline = await cerOf('classic-photo', (img) => pool.recognize(img));
    const raw = await cerOf('classic-photo', (img) => pool.recognizeRaw(img));
    expect(raw).toBeGreaterThan(0.3);
    expect(pipeline).toBeLessThan(raw / 4);
  });

  const photos = findInstalledPhotos();
  it.skipIf(photos.length === 0)('classic memes over real photographs (when a photo package is installed)', async () => {
    const real = await generateOcrSet({ perStyle: 3, seed: 7, styles: ['classic-real-photo'], fonts: NPM_FONTS });
    let errors = 0;
    let chars = 0;
    for (const c of real) {
      const e = errorCounts(c.reference, (await pool.recognize(c.image)).text);
      errors += e.charErrors;
      chars += e.chars;
    }
    expect(errors / chars).toBeLessThanOrEqual(0.08);
  });
  if (photos.length === 0) {
    console.log('no photographs installed (apt-get install mate-backgrounds, or MEMEGUARD_PHOTO_DIRS): real-photo OCR check skipped');
  }

  it('exits fast on a picture with no text: no tesseract job, empty caption', async () => {
    const before = pool.stats().jobs;
    for (const seed of [1, 2, 3]) {
      const photo = await renderBackground('photo', 600, 500, seed);
      const r = await pool.recognize(photo);
      expect(r).toMatchObject({ text: '', lines: [] });
    }
    const flat = await renderBackground('flat', 400, 400, 9);
    expect((await pool.recognize(flat)).text).toBe('');
    expect(pool.stats().jobs).toBe(before);
  });
});
