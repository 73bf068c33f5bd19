import { describe, expect, it } from 'vitest';
import { cleanPage, cleanWord, credibility, isWordLike, joinLines } from '../../../src/inference/ocr/clean.js';
import type { OcrPage, OcrRawLine } from '../../../src/inference/ocr/tesseract.js';

function line(y: number, words: Array<[string, number]>): OcrRawLine {
  return {
    text: words.map((w) => w[0]).join(' '),
    confidence: 90,
    bbox: { x0: 0, y0: y, x1: 100, y1: y + 10 },
    words: words.map(([text, confidence], i) => ({ text, confidence, bbox: { x0: i * 20, y0: y, x1: i * 20 + 15, y1: y + 10 } })),
  };
}

describe('caption cleaning', () => {
  it('reads "|" as I and drops stray symbols', () => {
    expect(cleanWord('|')).toBe('I');
    expect(cleanWord('|T’S')).toBe("IT'S");
    expect(cleanWord('~~')).toBe('');
    expect(cleanWord('—')).toBe('');
    expect(cleanWord('WHAT?!')).toBe('WHAT?!');
    expect(cleanWord('»hello«')).toBe('hello');
  });

  it('tells words from misreads', () => {
    for (const w of ['hello', "don't", 'I', 'a', '2024', '100%', 'WHY?', 'Mom,']) expect(isWordLike(w)).toBe(true);
    for (const w of ['xkcdq', 'rs:', 'tHiS', 'Bzzrt', '=+=', 'q']) expect(isWordLike(w)).toBe(false);
  });

  it('keeps confident words and word-like ones, drops low-confidence junk, orders lines top to bottom', () => {
    const page: OcrPage = {
      text: '',
      confidence: 80,
      lines: [
        line(200, [
          ['ON', 96],
          ['THE', 95],
          ['FIRST', 93],
          ['TRY', 40],
          ['rs:', 30],
        ]),
        line(10, [
          ['WHEN', 96],
          ['|', 88],
          ['COMPILE', 91],
        ]),
        line(100, [
          ['~', 20],
          ['Zq', 35],
        ]),
      ],
    };
    const lines = cleanPage(page);
    expect(lines.map((l) => l.text)).toEqual(['WHEN I COMPILE', 'ON THE FIRST TRY']);
    expect(joinLines(lines)).toBe('WHEN I COMPILE ON THE FIRST TRY');
    expect(lines[0].confidence).toBeCloseTo((96 + 88 + 91) / 3, 1);
  });

  it('scores credibility by confidence and word-likeness', () => {
    const good = credibility([{ text: 'one does not simply', confidence: 95 }]);
    const junk = credibility([{ text: 'xq zzrt vbnm', confidence: 95 }]);
    const unsure = credibility([{ text: 'one does not simply', confidence: 40 }]);
    expect(good).toBeGreaterThan(0.9);
    expect(junk).toBe(0);
    expect(unsure).toBeLessThan(good);
    expect(credibility([])).toBe(0);
  });
});
