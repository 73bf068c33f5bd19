import { describe, expect, it } from 'vitest';
import { cer, editDistance, errorCounts, normalizeForScoring, wer } from '../../../src/inference/ocr/metrics.js';

describe('OCR metrics', () => {
  it('normalizes to lowercase letters, digits and single spaces', () => {
    expect(normalizeForScoring("  WHEN You\nsee IT!!  it's 100%  ")).toBe('when you see it its 100');
  });

  it('computes edit distances over characters and words', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance(['a', 'b', 'c'], ['a', 'c'])).toBe(1);
  });

  it('CER and WER count substitutions, insertions (junk) and deletions', () => {
    expect(cer('ON THE FIRST TRY', 'on the first try')).toBe(0);
    expect(cer('need', 'heed')).toBeCloseTo(0.25);
    expect(wer('me and my dog', 'me and my hog')).toBeCloseTo(0.25);
    // Junk from a photo can push CER over 100%, as raw tesseract does on memes.
    expect(cer('hi', 'hi ~~ xq zzr wvv')).toBeGreaterThan(1);
    expect(errorCounts('a b', '')).toEqual({ charErrors: 3, chars: 3, wordErrors: 2, words: 2 });
    expect(cer('', '')).toBe(0);
    expect(cer('', 'junk')).toBe(1);
  });
});
