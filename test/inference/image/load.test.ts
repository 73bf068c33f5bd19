import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { loadImage, sniffImage, type LoadedImage } from '../../../src/inference/image/load.js';
import { blackBitPng, fromRaw, noise, patchJpegSize, rawFrom, solid, tinyBmp, type Rgb } from './fixtures.js';

function pixel(img: LoadedImage, x: number, y: number): [number, number, number] {
  const o = (y * img.width + x) * 3;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
}

function expectNear(actual: [number, number, number], want: Rgb, tol: number): void {
  const diff = Math.max(Math.abs(actual[0] - want.r), Math.abs(actual[1] - want.g), Math.abs(actual[2] - want.b));
  expect(diff, `pixel ${actual.join(',')} vs ${want.r},${want.g},${want.b}`).toBeLessThanOrEqual(tol);
}

async function refusal(p: Promise<unknown>): Promise<MemeguardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MemeguardError);
    const err = e as MemeguardError;
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error('expected a refusal');
}

const ORANGE: Rgb = { r: 230, g: 120, b: 20 };

describe('loadImage: formats', () => {
  const encoders: Record<string, (s: Sharp) => Sharp> = {
    png: (s) => s.png(),
    jpeg: (s) => s.jpeg({ quality: 95 }),
    webp: (s) => s.webp({ quality: 95 }),
    gif: (s) => s.gif(),
    avif: (s) => s.avif({ quality: 90 }),
    tiff: (s) => s.tiff({ compression: 'lzw' }),
  };
  for (const [format, encode] of Object.entries(encoders)) {
    it(`decodes ${format} to RGB HWC`, async () => {
      const bytes = await encode(solid(40, 24, ORANGE)).toBuffer();
      const img = await loadImage(bytes);
      expect(img.format).toBe(format);
      expect([img.width, img.height]).toEqual([40, 24]);
      expect(img.data.length).toBe(40 * 24 * 3);
      expect(img.frames).toBe(1);
      expect(img.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      // lossy codecs drift a little (GIF palettes, AVIF chroma); lossless ones are exact
      const tol = format === 'png' || format === 'tiff' ? 0 : 12;
      expectNear(pixel(img, 20, 12), ORANGE, tol);
      expect(sniffImage(bytes).format).toBe(format);
    });
  }

  it('accepts a 1×1 image', async () => {
    const img = await loadImage(await solid(1, 1, { r: 1, g: 2, b: 3 }).png().toBuffer());
    expect([img.width, img.height]).toEqual([1, 1]);
    expect([...img.data]).toEqual([1, 2, 3]);
  });

  it('takes a plain Uint8Array as well as a Buffer', async () => {
    const png = await solid(3, 2, ORANGE).png().toBuffer();
    const img = await loadImage(new Uint8Array(png));
    expect([img.width, img.height, img.format]).toEqual([3, 2, 'png']);
    expectNear(pixel(img, 2, 1), ORANGE, 0);
  });

  it('keeps pixel order row-major RGB', async () => {
    const raw = rawFrom(5, 3, (x, y) => [x * 10, y * 20, 7]);
    const img = await loadImage(await fromRaw(raw, 5, 3).png().toBuffer());
    expect(img.data.equals(raw)).toBe(true);
  });
});

describe('loadImage: colour and orientation normalisation', () => {
  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    // stored 40×20: left half red, right half blue
    const raw = rawFrom(40, 20, (x) => (x < 20 ? [255, 0, 0] : [0, 0, 255]));
    const jpeg = await fromRaw(raw, 40, 20).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const img = await loadImage(jpeg);
    expect([img.width, img.height]).toEqual([20, 40]);
    // rotated clockwise: the stored left column becomes the top row
    expectNear(pixel(img, 10, 5), { r: 255, g: 0, b: 0 }, 20);
    expectNear(pixel(img, 10, 34), { r: 0, g: 0, b: 255 }, 20);
  });

  it('flattens RGBA on white', async () => {
    const raw = Buffer.alloc(4 * 4 * 4);
    for (let i = 0; i < 16; i++) {
      // left half: fully transparent black; right half: half-transparent red
      const x = i % 4;
      raw.set(x < 2 ? [0, 0, 0, 0] : [255, 0, 0, 128], i * 4);
    }
    const png = await sharp(raw, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer();
    const img = await loadImage(png);
    expect(img.data.length).toBe(4 * 4 * 3);
    expect(pixel(img, 0, 0)).toEqual([255, 255, 255]);
    expectNear(pixel(img, 3, 3), { r: 255, g: 127, b: 127 }, 2);
  });

  it('expands greyscale to RGB', async () => {
    const png = await solid(6, 6, { r: 90, g: 90, b: 90 }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const img = await loadImage(png);
    expect(pixel(img, 2, 2)).toEqual([90, 90, 90]);
  });

  it('converts CMYK JPEG to sRGB', async () => {
    const jpeg = await solid(16, 16, ORANGE).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(jpeg).metadata();
    expect(meta.space).toBe('cmyk');
    const img = await loadImage(jpeg);
    expect(img.data.length).toBe(16 * 16 * 3);
    // an sRGB->CMYK->sRGB round trip through ICC profiles is not exact, but stays orange
    expectNear(pixel(img, 8, 8), ORANGE, 40);
    const [r, g, b] = pixel(img, 8, 8);
    expect(r).toBeGreaterThan(g);
    expect(g).toBeGreaterThan(b);
  });

  it('reduces 16-bit PNG to 8-bit', async () => {
    const png = await solid(6, 4, { r: 200, g: 100, b: 50 }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const img = await loadImage(png);
    expect(img.data.length).toBe(6 * 4 * 3);
    expectNear(pixel(img, 1, 1), { r: 200, g: 100, b: 50 }, 1);
  });

  for (const format of ['gif', 'webp'] as const) {
    it(`uses the first frame of an animated ${format} with many frames`, async () => {
      const n = 200;
      // distinct frames (encoders merge identical neighbours): red first, then shades of blue
      const frames = await Promise.all(
        Array.from({ length: n }, (_, i) => solid(12, 10, i === 0 ? { r: 255, g: 0, b: 0 } : { r: 0, g: (i * 53) & 255, b: (i * 97) & 255 }).png().toBuffer()),
      );
      const anim = await sharp(frames, { join: { animated: true } })[format]().toBuffer();
      const img = await loadImage(anim);
      const pages = (await sharp(anim).metadata()).pages;
      expect(pages).toBeGreaterThanOrEqual(n / 2); // encoders may still merge look-alike frames
      expect(img.frames).toBe(pages);
      expect([img.width, img.height]).toEqual([12, 10]);
      expect(img.data.length).toBe(12 * 10 * 3);
      expectNear(pixel(img, 6, 5), { r: 255, g: 0, b: 0 }, 16);
    });
  }
});

describe('loadImage: refusals', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  function loggedCodes(): string[] {
    return lines.map((l) => JSON.parse(l) as { msg: string; code: string }).filter((l) => l.msg === 'image refused').map((l) => l.code);
  }

  it('refuses an empty file', async () => {
    const err = await refusal(loadImage(new Uint8Array(0)));
    expect(err.code).toBe('EMPTY_FILE');
    expect(loggedCodes()).toEqual(['EMPTY_FILE']);
  });

  it('refuses text and other non-images', async () => {
    for (const bytes of [Buffer.from('hello, this is a caption\n'), Buffer.from('%PDF-1.7\n...'), Buffer.from([0x1f, 0x8b, 8, 0, 0])]) {
      const err = await refusal(loadImage(bytes));
      expect(err.code).toBe('NOT_AN_IMAGE');
    }
    expect(loggedCodes()).toEqual(['NOT_AN_IMAGE', 'NOT_AN_IMAGE', 'NOT_AN_IMAGE']);
  });

  it('refuses SVG by content (plain, with XML prolog and BOM, with doctype)', async () => {
    const svgs = [
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
      '\uFEFF<?xml version="1.0"?>\n<!-- a comment -->\n<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x/y.png"/></svg>',
      '  <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg></svg>',
    ];
    for (const s of svgs) {
      const bytes = Buffer.from(s, 'utf8');
      // sharp itself would render it: the refusal must come from us
      expect((await sharp(Buffer.from(svgs[0]!)).metadata()).format).toBe('svg');
      const err = await refusal(loadImage(bytes));
      expect(err.code).toBe('UNSUPPORTED_IMAGE');
      expect(err.message).toMatch(/SVG/);
    }
    expect(loggedCodes()).toEqual(['UNSUPPORTED_IMAGE', 'UNSUPPORTED_IMAGE', 'UNSUPPORTED_IMAGE']);
  });

  it('refuses BMP (no decoder) with UNSUPPORTED_IMAGE', async () => {
    expect(sniffImage(tinyBmp())).toEqual({ format: 'bmp', width: 2, height: 2 });
    const err = await refusal(loadImage(tinyBmp()));
    expect(err.code).toBe('UNSUPPORTED_IMAGE');
  });

  it('refuses a 21 MB file from its length, before decoding', async () => {
    const bytes = Buffer.alloc(21 * 1024 * 1024, 0x41);
    bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const err = await refusal(loadImage(bytes));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toMatch(/21\.0 MB.*20 MB/);
  });

  it('honours a smaller byte limit', async () => {
    const png = await solid(8, 8, ORANGE).png().toBuffer();
    const err = await refusal(loadImage(png, { maxBytes: 10 }));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
  });

  it('refuses a PNG header claiming 100000×100000 from the header, without decoding', async () => {
    const bomb = blackBitPng(100_000, 100_000, 1);
    expect(bomb.length).toBeLessThan(1000);
    expect(sniffImage(bomb)).toEqual({ format: 'png', width: 100_000, height: 100_000 });
    const before = process.memoryUsage().rss;
    const err = await refusal(loadImage(bomb));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toContain('100000×100000');
    // 10 gigapixels would need >= 30 GB decoded; nothing of the sort was allocated
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('refuses a real, decodable 56-megapixel PNG from its header', async () => {
    const png = blackBitPng(8000, 7000);
    // it is a genuine image: sharp reads its header without complaint
    const meta = await sharp(png, { limitInputPixels: false }).metadata();
    expect([meta.width, meta.height]).toEqual([8000, 7000]);
    const err = await refusal(loadImage(png));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
    expect(err.message).toMatch(/8000×7000 \(56 megapixels\).*50 megapixel/);
  });

  it('refuses a JPEG whose SOF claims 65000×65000', async () => {
    const jpeg = patchJpegSize(await solid(16, 16, ORANGE).jpeg().toBuffer(), 65000, 65000);
    expect(sniffImage(jpeg)).toEqual({ format: 'jpeg', width: 65000, height: 65000 });
    const err = await refusal(loadImage(jpeg));
    expect(err.code).toBe('IMAGE_TOO_LARGE');
  });

  it('refuses GIF and WebP headers claiming huge canvases', async () => {
    const gif = Buffer.from(await solid(8, 8, ORANGE).gif().toBuffer());
    gif.writeUInt16LE(65535, 6);
    gif.writeUInt16LE(65535, 8);
    expect(sniffImage(gif)).toEqual({ format: 'gif', width: 65535, height: 65535 });
    expect((await refusal(loadImage(gif))).code).toBe('IMAGE_TOO_LARGE');

    const frames = await Promise.all([0, 255].map((r) => solid(8, 8, { r, g: 0, b: 0 }).png().toBuffer()));
    const webp = Buffer.from(await sharp(frames, { join: { animated: true } }).webp().toBuffer());
    expect(webp.toString('ascii', 12, 16)).toBe('VP8X');
    webp.writeUIntLE(16383, 24, 3); // canvas width - 1
    webp.writeUIntLE(16383, 27, 3);
    expect(sniffImage(webp)).toEqual({ format: 'webp', width: 16384, height: 16384 });
    expect((await refusal(loadImage(webp))).code).toBe('IMAGE_TOO_LARGE');
    // and the dimensions of an untouched WebP are read right
    expect(sniffImage(await solid(37, 21, ORANGE).webp().toBuffer())).toEqual({ format: 'webp', width: 37, height: 21 });
    expect(sniffImage(await solid(37, 21, ORANGE).webp({ lossless: true }).toBuffer())).toEqual({ format: 'webp', width: 37, height: 21 });
  });

  it('checks pixels with sharp metadata where the header is not parsed (AVIF, TIFF)', async () => {
    for (const bytes of [await solid(100, 100, ORANGE).avif().toBuffer(), await solid(100, 100, ORANGE).tiff().toBuffer()]) {
      expect(sniffImage(bytes).width).toBeUndefined();
      const err = await refusal(loadImage(bytes, { maxPixels: 5000 }));
      expect(err.code).toBe('IMAGE_TOO_LARGE');
      expect(err.message).toContain('100×100');
    }
  });

  it('refuses zero-size headers as corrupt', async () => {
    const err = await refusal(loadImage(blackBitPng(0, 10)));
    expect(err.code).toBe('CORRUPT_IMAGE');
  });

  const truncatable: Record<string, (s: Sharp) => Sharp> = {
    png: (s) => s.png(),
    jpeg: (s) => s.jpeg(),
    webp: (s) => s.webp(),
    gif: (s) => s.gif(),
  };
  for (const [format, encode] of Object.entries(truncatable)) {
    it(`refuses a truncated ${format} as CORRUPT_IMAGE (never a silently grey image)`, async () => {
      const whole = await encode(fromRaw(noise(120, 90), 120, 90)).toBuffer();
      for (const frac of [0.5, 0.9]) {
        const cut = whole.subarray(0, Math.floor(whole.length * frac));
        const err = await refusal(loadImage(cut));
        expect(err.code).toBe('CORRUPT_IMAGE');
        expect(err.message).toContain(format.toUpperCase());
      }
      expect(loggedCodes()).toEqual(['CORRUPT_IMAGE', 'CORRUPT_IMAGE']);
    });
  }

  it('refuses a PNG signature followed by garbage as CORRUPT_IMAGE', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage garbage garbage')]);
    const err = await refusal(loadImage(bytes));
    expect(err.code).toBe('CORRUPT_IMAGE');
  });

  it('logs refusals without the image bytes, with the sha256', async () => {
    await refusal(loadImage(Buffer.from('not an image')));
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'warn', msg: 'image refused', code: 'NOT_AN_IMAGE', bytes: 12 });
    expect(line.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
