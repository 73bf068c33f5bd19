import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage } from '../../../src/inference/image/load.js';
import { dilateSquare, labelComponents } from '../../../src/inference/ocr/components.js';
import { bandsOf, DEFAULT_PREPROCESS, findCaption, renderCaption, toWorkingGrey } from '../../../src/inference/ocr/preprocess.js';
import { renderBackground } from '../../../src/synth/backgrounds.js';
import { renderMeme } from '../../../src/synth/memes.js';

async function working(png: Buffer) {
  return toWorkingGrey(await loadImage(png));
}

describe('components', () => {
  it('labels 8-connected components and counts boundary pixels near a mask', () => {
    // 6x5 mask: a 2x2 square at (1,1) and a diagonal pair at (4,3),(5,4)
    const w = 6;
    const h = 5;
    const mask = new Uint8Array(w * h);
    for (const [x, y] of [
      [1, 1],
      [2, 1],
      [1, 2],
      [2, 2],
      [4, 3],
      [5, 4],
    ]) mask[y * w + x] = 1;
    const near = new Uint8Array(w * h).fill(1);
    const { components } = labelComponents(mask, w, h, near);
    expect(components).toHaveLength(2);
    expect(components[0]).toMatchObject({ area: 4, x0: 1, y0: 1, x1: 2, y1: 2, boundary: 8, boundaryNear: 8 });
    expect(components[1].area).toBe(2);
    const grown = dilateSquare(mask, w, h, 1);
    expect(grown[0]).toBe(1);
    expect(grown[5]).toBe(0);
  });
});

describe('caption finding', () => {
  it('finds outlined light letters of a classic meme in two bands, top and bottom, and no dark text', async () => {
    const g = await working(await renderMeme({ caption: { top: 'TOP LINE', bottom: 'BOTTOM WORDS' }, style: 'classic', width: 600, height: 500, seed: 8 }));
    const light = findCaption(g, 'light-text');
    expect(light.letterCount).toBe('TOPLINE'.length + 'BOTTOMWORDS'.length);
    const bands = bandsOf(light.lines);
    expect(bands).toHaveLength(2);
    expect(bands[0].y1).toBeLessThan(g.height * 0.3);
    expect(bands[1].y0).toBeGreaterThan(g.height * 0.7);
    expect(findCaption(g, 'dark-text').letterCount).toBeLessThan(light.letterCount / 3);
  });

  it('finds the dark text of a modern band and follows a rotated plain line', async () => {
    const modern = await working(await renderMeme({ caption: 'when the band is white', style: 'modern', width: 600, height: 600, seed: 9 }));
    const dark = findCaption(modern, 'dark-text');
    expect(dark.letterCount).toBeGreaterThanOrEqual('whenthebandiswhite'.length - 3); // i dots are marks, not letters
    expect(dark.lines.every((l) => l.y1 < modern.height * 0.25)).toBe(true);
    const tilted = await working(await renderMeme({ caption: 'one long line that is slightly rotated', style: 'plain', width: 900, height: 300, rotateDeg: 2, seed: 3, font: 'oswald' }));
    const t = findCaption(tilted, 'dark-text');
    expect(t.lines).toHaveLength(1);
  });

  it('finds no caption in pictures without text', async () => {
    for (const seed of [1, 2, 3]) {
      const g = await working(await renderBackground('photo', 600, 500, seed));
      expect(findCaption(g, 'light-text').letterCount).toBeLessThan(3);
      expect(findCaption(g, 'dark-text').letterCount).toBeLessThan(3);
    }
  });

  it('redraws the caption as dark letters on white with a white border at the target letter height', async () => {
    const g = await working(await renderMeme({ caption: { top: 'HELLO THERE' }, style: 'classic', width: 800, height: 600, seed: 4 }));
    const found = findCaption(g, 'light-text');
    const out = await renderCaption(g, found, DEFAULT_PREPROCESS);
    const { data, info } = await sharp(out.png).raw().toBuffer({ resolveWithObject: true });
    const ch = info.channels;
    const at = (x: number, y: number) => data[(y * info.width + x) * ch];
    for (let x = 0; x < info.width; x++) expect(at(x, 0)).toBe(255);
    let dark = 0;
    for (let i = 0; i < info.width * info.height; i++) if (data[i * ch] < 128) dark++;
    expect(dark / (info.width * info.height)).toBeGreaterThan(0.05);
    // One band of letters scaled to ~36 px: the picture is a strip, not the whole meme.
    expect(info.height).toBeLessThan(36 * 3);
  });
});
