/**
 * Benchmark inputs: seeded memes of realistic sizes (500–1200 px wide, PNG and JPEG, captions of 5–25 words) made
 * with the project's meme renderer (src/synth/memes.ts), so OCR has real text to read.
 */
import { rng } from '../synth/backgrounds.js';
import { renderMeme, type MemeStyle } from '../synth/memes.js';
import { makeCaption } from './captions.js';

export interface BenchMeme {
  id: string;
  image: Buffer;
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  style: MemeStyle;
  /** The caption as rendered (what OCR should read). */
  caption: string;
  words: number;
}

export interface BenchMemeOptions {
  count: number;
  seed?: number;
  /** Width range in px (default 500–1200). */
  minWidth?: number;
  maxWidth?: number;
  /** Caption length range in words (default 5–25). */
  minWords?: number;
  maxWords?: number;
}

/** `count` distinct memes; half PNG, half JPEG; mostly classic image macros, some modern (caption band) ones. */
export async function generateBenchMemes(opts: BenchMemeOptions): Promise<BenchMeme[]> {
  const seed = opts.seed ?? 11;
  const minW = opts.minWidth ?? 500;
  const maxW = opts.maxWidth ?? 1200;
  const minWords = opts.minWords ?? 5;
  const maxWords = opts.maxWords ?? 25;
  const out: BenchMeme[] = [];
  for (let i = 0; i < opts.count; i++) {
    const memeSeed = seed * 7919 + i;
    const rand = rng(memeSeed);
    const width = Math.round(minW + rand() * (maxW - minW));
    const style: MemeStyle = rand() < 0.7 ? 'classic' : 'modern';
    const height = Math.round(width * (style === 'classic' ? 0.75 + rand() * 0.5 : 0.9 + rand() * 0.4));
    const words = minWords + Math.floor(rand() * (maxWords - minWords + 1));
    const cap = makeCaption(rand, words);
    const format = i % 2 === 0 ? 'png' : 'jpeg';
    const upper = style === 'classic';
    const image = await renderMeme({
      caption:
        style === 'classic'
          ? { top: cap.top.toUpperCase(), bottom: cap.bottom?.toUpperCase() }
          : cap.text.charAt(0).toUpperCase() + cap.text.slice(1),
      style,
      width,
      height,
      format,
      jpegQuality: 85,
      background: 'photo',
      seed: memeSeed,
    });
    out.push({ id: `meme-${i}`, image, format, width, height, style, caption: upper ? cap.text.toUpperCase() : cap.text, words });
  }
  return out;
}
