import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/inference/engine.js';
import type { Engine } from '../../../src/inference/types.js';
import { createTesseractWorker } from '../../../src/inference/ocr/tesseract.js';
import { renderMeme } from '../../../src/synth/memes.js';
import { removeTempDirs, tinyPack } from './fixtures.js';

process.env.MEMEGUARD_LOG = 'silent';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine({ packDir: await tinyPack({ seed: 61 }), ocr: { workers: 1 } });
});
afterAll(async () => {
  await engine?.close();
  await removeTempDirs();
});

const words = (s: string) => s.toLowerCase().match(/[a-z]+/g) ?? [];

describe('engine OCR path', () => {
  it('reads the caption of a generated meme when none is given', async () => {
    const caption = 'WHEN THE CODE FINALLY WORKS';
    const image = await renderMeme({ caption, style: 'modern', seed: 3 });
    const v = await engine.analyze({ image });
    expect(v.caption.source).toBe('ocr');
    expect(words(v.caption.text)).toEqual(words(caption));
    expect(v.text.score).not.toBeNull();
    expect(v.timings_ms.ocr).toBeGreaterThan(0);
    expect(v.explanation.words.map((w) => w.word.toLowerCase()).sort()).toEqual(words(caption).sort());
    // the same text given as a caption scores the same
    const given = await engine.analyze({ image, caption: v.caption.text, explain: false });
    expect(given.caption.source).toBe('given');
    expect(given.text.score).toBeCloseTo(v.text.score!, 6);
    expect(given.timings_ms.ocr).toBeUndefined();
  });

  it('a classic meme (white outlined letters, top and bottom) too', async () => {
    const caption = { top: 'ONE DOES NOT SIMPLY', bottom: 'WALK INTO MORDOR' };
    const image = await renderMeme({ caption, style: 'classic', seed: 4 });
    const f = await engine.features({ image });
    expect(f.caption.source).toBe('ocr');
    expect(words(f.caption.text)).toEqual(words('ONE DOES NOT SIMPLY WALK INTO MORDOR'));
  });

  it('no text on the image: the text is not scored, "no caption found", the image decides', async () => {
    const image = await sharp({ create: { width: 200, height: 150, channels: 3, background: { r: 90, g: 140, b: 200 } } }).png().toBuffer();
    const v = await engine.analyze({ image });
    expect(v.caption).toEqual({ text: '', source: 'ocr' });
    expect(v.text).toEqual({ score: null, reason: 'no caption found' });
    expect(v.score).toBe(v.image.score);
    expect(v.explanation.summary).toMatch(/the caption was not: no caption found/);
  });

  it('engine.ocr is the same reader', async () => {
    const r = await engine.ocr(await renderMeme({ caption: 'GOOD MORNING', style: 'plain', seed: 5 }));
    expect(words(r.text)).toEqual(['good', 'morning']);
    expect(r.lines.length).toBeGreaterThan(0);
  });

  it('an OCR failure (here a real per-job timeout) does not fail the meme: the image is still judged', async () => {
    const pack = await tinyPack({ seed: 62 });
    const slow = await createEngine({ packDir: pack, ocr: { workers: 1, timeoutMs: 1 } });
    try {
      const v = await slow.analyze({ image: await renderMeme({ caption: 'HELLO THERE FRIEND', style: 'modern', seed: 6 }) });
      expect(v.text.score).toBeNull();
      expect(v.text.reason).toMatch(/^the caption could not be read: /);
      expect(v.score).toBe(v.image.score);
    } finally {
      await slow.close();
    }
  });

  it('concurrent first calls share one OCR pool, and close() ends its workers', async () => {
    let started = 0;
    const e = await createEngine({
      packDir: await tinyPack({ seed: 63 }),
      ocr: {
        workers: 1,
        createWorker: (o) => {
          started++;
          return createTesseractWorker(o);
        },
      },
    });
    const [a, b] = await Promise.all([
      e.analyze({ image: await renderMeme({ caption: 'GOOD MORNING', style: 'plain', seed: 7 }), explain: false }),
      e.analyze({ image: await renderMeme({ caption: 'GOOD NIGHT', style: 'plain', seed: 8 }), explain: false }),
    ]);
    expect(words(a.caption.text)).toEqual(['good', 'morning']);
    expect(words(b.caption.text)).toEqual(['good', 'night']);
    expect(started).toBe(1);
    await e.close();
    await expect(e.analyze({ image: await renderMeme({ caption: 'X', style: 'plain' }) })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
