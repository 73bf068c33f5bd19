import { loadImage, type ImageLimits } from '../image/load.js';
import type { OcrLine, OcrResult } from '../types.js';
import { cleanPage, credibility, DEFAULT_CLEAN, joinLines, type CleanOptions } from './clean.js';
import {
  DEFAULT_PREPROCESS,
  findCaption,
  renderCaption,
  toWorkingGrey,
  type FoundCaption,
  type PreprocessParams,
} from './preprocess.js';
import type { OcrPage, PageSegMode } from './tesseract.js';

/** Something that runs tesseract on a prepared PNG (the pool, or one worker in a benchmark). */
export interface PageReader {
  readPage(png: Buffer, psm: PageSegMode): Promise<OcrPage>;
}

export interface ReadCaptionOptions {
  preprocess?: Partial<PreprocessParams>;
  clean?: Partial<CleanOptions>;
  psm?: PageSegMode;
  /** Image limits for decoding (see loadImage). */
  limits?: Partial<ImageLimits>;
  /**
   * Read the second polarity too when it found at least this share of the first one's letters (default 0.35),
   * keeping the more credible reading.
   */
  secondVariantShare?: number;
}

export interface CaptionReading extends OcrResult {
  /** Which preprocessing variant gave the text ('none' when no caption-like letters were found). */
  variant: 'light-text' | 'dark-text' | 'none';
  credibility: number;
}

/**
 * Reads a meme's caption: decode (bad input refused by loadImage), greyscale at a bounded working size, find
 * caption letters (light outlined letters, dark letters on light), redraw them clean, OCR, drop junk.
 * Returns quickly with empty text when nothing caption-like is in the picture.
 */
export async function readCaption(image: Uint8Array, reader: PageReader, opts: ReadCaptionOptions = {}): Promise<CaptionReading> {
  const started = performance.now();
  const params: PreprocessParams = { ...DEFAULT_PREPROCESS, ...opts.preprocess };
  const cleanOpts: CleanOptions = { ...DEFAULT_CLEAN, ...opts.clean };
  const psm = opts.psm ?? 6;
  const share = opts.secondVariantShare ?? 0.35;

  const decoded = await loadImage(image, opts.limits);
  const grey = await toWorkingGrey(decoded, params);
  const candidates: FoundCaption[] = (['light-text', 'dark-text'] as const)
    .map((p) => findCaption(grey, p, params))
    // Fast exit: fewer than three caption-like letters is no caption; tesseract is not run at all.
    .filter((f) => f.letterCount >= 3)
    .sort((a, b) => b.letterCount * b.cleanliness - a.letterCount * a.cleanliness);

  let best: { lines: OcrLine[]; variant: CaptionReading['variant']; credibility: number } = {
    lines: [],
    variant: 'none',
    credibility: 0,
  };
  for (let i = 0; i < candidates.length; i++) {
    const found = candidates[i];
    if (i > 0 && found.letterCount < share * candidates[0].letterCount) break;
    const prepared = await renderCaption(grey, found, params);
    const page = await reader.readPage(prepared.png, psm);
    const lines = cleanPage(page, cleanOpts);
    const cred = credibility(lines);
    if (cred > best.credibility) best = { lines, variant: found.polarity, credibility: cred };
    // A clean, confident reading needs no second opinion.
    if (cred >= 0.8) break;
  }
  return {
    text: joinLines(best.lines),
    lines: best.lines,
    ms: Math.round(performance.now() - started),
    variant: best.variant,
    credibility: Math.round(best.credibility * 1000) / 1000,
  };
}

/**
 * The baseline: tesseract.js on the image as given (automatic page segmentation), no preprocessing or cleaning.
 * The bytes are still checked by the image loader first, so bad input is refused the same way.
 */
export async function readRaw(image: Uint8Array, reader: PageReader, limits?: Partial<ImageLimits>): Promise<OcrResult> {
  const started = performance.now();
  await loadImage(image, limits);
  const page = await reader.readPage(Buffer.from(image.buffer, image.byteOffset, image.byteLength), 3);
  const lines = page.lines
    .map((l) => ({ text: l.text.trim(), confidence: Math.round(l.confidence * 10) / 10 }))
    .filter((l) => l.text.length > 0);
  return { text: page.text.replace(/\s+/g, ' ').trim(), lines, ms: Math.round(performance.now() - started) };
}
