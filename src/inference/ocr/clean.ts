import type { OcrLine } from '../types.js';
import type { OcrPage, OcrWord } from './tesseract.js';

/**
 * Turning tesseract's page into a caption: junk removed (low-confidence fragments, stray symbols), "|" read for
 * "I", lines kept top to bottom. Also the "credibility" used to choose between preprocessing variants.
 */

const KEEP_CHARS = /[^A-Za-z0-9'".,!?%$&@#:;()\-/+*=]/g;
const HAS_ALNUM = /[A-Za-z0-9]/;

/** One word as tesseract read it -> the word as we keep it ('' when it is junk). */
export function cleanWord(raw: string): string {
  let w = raw.normalize('NFKC');
  w = w.replace(/[‘’`´]/g, "'").replace(/[“”„]/g, '"').replace(/[—–]/g, '-');
  // A vertical bar in text is almost always a capital I (or l) that lost its serifs.
  w = w.replace(/\|/g, 'I');
  w = w.replace(KEEP_CHARS, '');
  // Leading/trailing marks that are not punctuation people write at the ends of words.
  w = w.replace(/^[.,:;!?%)\-/+*=]+(?=[A-Za-z0-9"'$#@(])/, '').replace(/(?<=[A-Za-z0-9.!?"'%)])[(/+*=\-]+$/, '');
  if (!HAS_ALNUM.test(w)) return /^[!?]+$/.test(w) ? w : '';
  return w;
}

/** Looks like a word of a language (letters with a vowel, a number, or a short common shape), not noise. */
export function isWordLike(word: string): boolean {
  const core = word.replace(/^["'(]+|[.,!?:;"')%]+$/g, '');
  if (core.length === 0) return false;
  if (/^\d+([.,:]\d+)*$/.test(core)) return true;
  if (/^[$#@]?\d+[%kKmM]?$/.test(core)) return true;
  if (!/^[A-Za-z]+(['-][A-Za-z]+)*$/.test(core)) return false;
  if (core.length === 1) return /^[AaIiOoUuYy]$/.test(core) || /^[A-Z]$/.test(core);
  if (!/[aeiouyAEIOUY]/.test(core)) return /^(mr|mrs|ms|dr|st|tv|pc|ok|lmao|brb|smh|tbh|wtf|pls|thx|hmm+|shh+|psst|nth|ny|nyc|dc|la|uk|usa?)$/i.test(core);
  // Mixed case inside a word (eXaMple) and long consonant runs are typical of misreads.
  if (/[a-z][A-Z]/.test(core) && !/^(Mc|Mac|O')/.test(core)) return false;
  if (/[bcdfghjklmnpqrstvwxz]{5,}/i.test(core)) return false;
  return true;
}

export interface CleanOptions {
  /** Words under this confidence are dropped unless they look like words (default 45). */
  minConfidence: number;
  /** Words under this confidence are dropped whatever they look like (default 20). */
  hardMinConfidence: number;
}

export const DEFAULT_CLEAN: Readonly<CleanOptions> = Object.freeze({ minConfidence: 45, hardMinConfidence: 20 });

function keepWord(w: OcrWord, cleaned: string, opts: CleanOptions): boolean {
  if (!cleaned) return false;
  if (w.confidence < opts.hardMinConfidence) return false;
  if (w.confidence < opts.minConfidence && !isWordLike(cleaned)) return false;
  return true;
}

/** The page's lines, top to bottom, with junk words removed; empty lines dropped. */
export function cleanPage(page: OcrPage, opts: CleanOptions = DEFAULT_CLEAN): OcrLine[] {
  const lines = [...page.lines].sort((a, b) => a.bbox.y0 - b.bbox.y0 || a.bbox.x0 - b.bbox.x0);
  const out: OcrLine[] = [];
  for (const line of lines) {
    const words: Array<{ text: string; confidence: number }> = [];
    for (const w of [...line.words].sort((a, b) => a.bbox.x0 - b.bbox.x0)) {
      const cleaned = cleanWord(w.text);
      if (keepWord(w, cleaned, opts)) words.push({ text: cleaned, confidence: w.confidence });
    }
    // A line made only of one- or two-character fragments with no real word is noise from the picture.
    if (words.length === 0) continue;
    if (words.every((w) => w.text.replace(/[^A-Za-z0-9]/g, '').length <= 1) && words.length < 3) {
      if (!words.some((w) => /^[AI0-9]$/.test(w.text.replace(/[^A-Za-z0-9]/g, '')) && w.confidence >= 80)) continue;
    }
    const confidence = words.reduce((s, w) => s + w.confidence, 0) / words.length;
    out.push({ text: words.map((w) => w.text).join(' '), confidence: Math.round(confidence * 10) / 10 });
  }
  return out;
}

/** The caption: lines top to bottom, single spaces. */
export function joinLines(lines: OcrLine[]): string {
  return lines
    .map((l) => l.text)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * How believable a reading is, 0..1: mean word confidence times the share of characters in word-like words.
 * Used to keep the best of several preprocessing variants.
 */
export function credibility(lines: OcrLine[]): number {
  const words = lines.flatMap((l) => l.text.split(' ').map((w) => ({ w, c: l.confidence })));
  if (words.length === 0) return 0;
  let chars = 0;
  let good = 0;
  let conf = 0;
  for (const { w, c } of words) {
    chars += w.length;
    if (isWordLike(w)) good += w.length;
    conf += c * w.length;
  }
  return chars === 0 ? 0 : (conf / chars / 100) * (good / chars);
}
