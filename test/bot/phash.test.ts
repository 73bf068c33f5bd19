import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dHash, hammingDistance, sha256Hex } from '../../src/bot/phash.js';
import { parseReviewId, reviewButtons, reviewId } from '../../src/bot/review-ids.js';

async function gradient(width: number, flip = false): Promise<Buffer> {
  const h = 48;
  const raw = Buffer.alloc(width * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < width; x++) raw[y * width + x] = Math.round(((flip ? width - 1 - x : x) / (width - 1)) * 255 * ((y % 16) / 15 + 0.2) / 1.2);
  return sharp(raw, { raw: { width, height: h, channels: 1 } }).png().toBuffer();
}

describe('image hashes', () => {
  it('sha256 is the hex digest of the bytes', () => {
    expect(sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('dHash is 64 bits of hex, stable across re-encoding and resizing, far for a different picture', async () => {
    const a = await gradient(64);
    const h = await dHash(a);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    const resizedJpeg = await sharp(a).resize(130, 97).jpeg({ quality: 70 }).toBuffer();
    expect(hammingDistance(h, await dHash(resizedJpeg))).toBeLessThanOrEqual(6);
    expect(hammingDistance(h, await dHash(await gradient(64, true)))).toBeGreaterThan(20);
  });

  it('rejects bytes that are not an image', async () => {
    await expect(dHash(new Uint8Array([1, 2, 3]))).rejects.toThrow();
  });
});

describe('review button ids', () => {
  it('round-trips decision and judgement id and refuses anything else', () => {
    expect(parseReviewId(reviewId('not_hateful', 42))).toEqual({ decision: 'not_hateful', judgementId: 42 });
    expect(reviewButtons(7).map((b) => parseReviewId(b.customId)?.decision)).toEqual(['confirm', 'not_hateful', 'delete']);
    for (const bad of ['mg:review:ban:1', 'mg:review:confirm:', 'mg:review:confirm:0', 'mg:review:confirm:1x', 'other']) {
      expect(parseReviewId(bad)).toBeNull();
    }
  });
});
