import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findInstalledPhotos, renderBackground } from '../../src/synth/backgrounds.js';
import { availableFonts, getFont } from '../../src/synth/fonts.js';
import { captionText, renderMeme } from '../../src/synth/memes.js';

async function grey(png: Buffer) {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const ch = info.channels;
  const px = new Uint8Array(info.width * info.height);
  for (let i = 0; i < px.length; i++) px[i] = data[i * ch];
  return { px, width: info.width, height: info.height };
}

/** Share of pixels in rows [y0, y1) that satisfy pred. */
function share(g: { px: Uint8Array; width: number }, y0: number, y1: number, pred: (v: number) => boolean): number {
  let n = 0;
  for (let i = y0 * g.width; i < y1 * g.width; i++) if (pred(g.px[i])) n++;
  return n / ((y1 - y0) * g.width);
}

describe('fonts', () => {
  it('ships the npm meme fonts as .ttf files', () => {
    const ids = availableFonts().map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['anton', 'oswald', 'archivo-black']));
    for (const f of availableFonts()) expect(f.file).toMatch(/\.ttf$/);
    expect(() => getFont('comic-sans')).toThrow(/not available/);
  });
});

describe('renderMeme', () => {
  it('is deterministic for a seed and differs between seeds', async () => {
    const opts = { caption: { top: 'SAME SEED', bottom: 'SAME MEME' }, style: 'classic' as const, width: 320, height: 280 };
    const a = await renderMeme({ ...opts, seed: 5 });
    const b = await renderMeme({ ...opts, seed: 5 });
    const c = await renderMeme({ ...opts, seed: 6 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('classic: white letters with a black outline in the top and bottom bands over a busy picture', async () => {
    const png = await renderMeme({ caption: { top: 'TOP WORDS HERE', bottom: 'BOTTOM WORDS' }, style: 'classic', width: 500, height: 400, seed: 3 });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 500, 400]);
    const g = await grey(png);
    for (const [y0, y1] of [
      [0, 90],
      [310, 400],
    ]) {
      expect(share(g, y0, y1, (v) => v >= 250)).toBeGreaterThan(0.04);
      expect(share(g, y0, y1, (v) => v <= 20)).toBeGreaterThan(0.04);
    }
    // The middle is picture, not text: few pure white/black pixels.
    expect(share(g, 150, 250, (v) => v >= 250 || v <= 20)).toBeLessThan(0.1);
  });

  it('modern: dark text on a white band above the picture; plain: dark text on light paper', async () => {
    const modern = await grey(await renderMeme({ caption: 'a caption on a white band', style: 'modern', width: 400, height: 400, seed: 2 }));
    expect(share(modern, 0, 10, (v) => v === 255)).toBe(1);
    expect(share(modern, 0, 60, (v) => v < 60)).toBeGreaterThan(0.03);
    const plain = await grey(await renderMeme({ caption: 'plain dark text', style: 'plain', width: 400, seed: 2 }));
    expect(plain.height).toBe(200);
    expect(share(plain, 0, plain.height, (v) => v >= 220)).toBeGreaterThan(0.7);
    expect(share(plain, 0, plain.height, (v) => v <= 80)).toBeGreaterThan(0.01);
  });

  it('writes JPEG at the requested quality, rotates without changing size, takes a picture as background', async () => {
    const bg = await renderBackground('noise', 64, 64, 1);
    const lo = await renderMeme({ caption: 'Q', style: 'classic', width: 300, height: 300, format: 'jpeg', jpegQuality: 50, seed: 1, background: bg });
    const hi = await renderMeme({ caption: 'Q', style: 'classic', width: 300, height: 300, format: 'jpeg', jpegQuality: 90, seed: 1, background: bg });
    expect((await sharp(lo).metadata()).format).toBe('jpeg');
    expect(lo.length).toBeLessThan(hi.length);
    const rotated = await renderMeme({ caption: 'TILT', style: 'classic', width: 300, height: 240, rotateDeg: 2, seed: 1, background: 'flat' });
    const m = await sharp(rotated).metadata();
    expect([m.width, m.height]).toEqual([300, 240]);
    await expect(renderMeme({ caption: 'x', style: 'plain', width: 10 })).rejects.toThrow(/out of range/);
  });

  it('captionText reads top then bottom with single spaces', () => {
    expect(captionText({ top: ' WHEN  YOU ', bottom: 'SEE IT' })).toBe('WHEN YOU SEE IT');
    expect(captionText({ bottom: 'only bottom' })).toBe('only bottom');
    expect(captionText('one\nline')).toBe('one line');
  });

  it('finds installed photographs when there are some, and none in an empty place', () => {
    expect(findInstalledPhotos(['/nonexistent-folder'])).toEqual([]);
    const found = findInstalledPhotos();
    if (found.length === 0) console.log('no wallpaper/photo packages installed: real-photo backgrounds are skipped');
    for (const f of found) expect(f).toMatch(/\.(jpe?g|png)$/i);
  });
});
