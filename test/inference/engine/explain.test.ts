import { describe, expect, it } from 'vitest';
import { captionWords, decisionDriver, leaveOneOutTexts, summarize, wordEffects } from '../../../src/inference/explain.js';

describe('leave-one-word-out texts', () => {
  it('drops each word once, keeping the rest in order', () => {
    expect(leaveOneOutTexts('  a  b\tc ')).toEqual({ words: ['a', 'b', 'c'], texts: ['b c', 'a c', 'a b'] });
    expect(leaveOneOutTexts('')).toEqual({ words: [], texts: [] });
  });
  it('explains at most `max` words and keeps the words past it in every text', () => {
    const r = leaveOneOutTexts('w1 w2 w3 w4', 2);
    expect(r.words).toEqual(['w1', 'w2']);
    expect(r.texts).toEqual(['w2 w3 w4', 'w1 w3 w4']);
    expect(captionWords('x '.repeat(100)).length).toBe(32);
  });
});

describe('word effects', () => {
  it('are full score minus score without the word, sorted by |effect|', () => {
    const e = wordEffects(['a', 'b', 'c'], 0.6, [0.5, 0.9, 0.6]);
    expect(e.map((x) => x.word)).toEqual(['b', 'a', 'c']);
    expect(e[0].effect).toBeCloseTo(-0.3, 12);
    expect(e[1].effect).toBeCloseTo(0.1, 12);
    expect(e[2].effect).toBe(0);
  });
});

describe('decision driver', () => {
  it('is the modality further from 0.5 in the direction of the verdict', () => {
    expect(decisionDriver(true, 0.9, 0.6)).toBe('text');
    expect(decisionDriver(true, 0.6, 0.9)).toBe('image');
    expect(decisionDriver(true, 0.9, 0.3)).toBe('text');
    expect(decisionDriver(false, 0.1, 0.45)).toBe('text');
    expect(decisionDriver(false, 0.6, 0.1)).toBe('image');
  });
  it("is 'both' when both push the same way about equally, 'none' when none does", () => {
    expect(decisionDriver(true, 0.8, 0.78)).toBe('both');
    expect(decisionDriver(false, 0.2, 0.22)).toBe('both');
    expect(decisionDriver(true, 0.4, 0.45)).toBe('none');
  });
  it('with one modality missing it is the other (when it agrees)', () => {
    expect(decisionDriver(true, null, 0.8)).toBe('image');
    expect(decisionDriver(false, 0.3, null)).toBe('text');
    expect(decisionDriver(false, null, null)).toBe('none');
  });
});

describe('summary', () => {
  it('says the verdict, the score against the threshold and what drove it', () => {
    const s = summarize({
      hateful: true,
      score: 0.7,
      threshold: 0.5,
      rule: 'seed-sum',
      text: { score: 0.9 },
      image: { score: 0.5 },
      driver: 'text',
      topWord: { word: 'vermin', effect: 0.25 },
    });
    expect(s).toMatch(/^Hateful: score 0\.70 > threshold 0\.50 \(seed-sum\)\./);
    expect(s).toMatch(/Driven by the caption \(0\.90\)/);
    expect(s).toMatch(/"vermin"/);
  });
  it('says when only one modality was scored, and why the other was not', () => {
    const s = summarize({
      hateful: false,
      score: 0.2,
      threshold: 0.5,
      rule: 'image-only',
      text: { score: null, reason: 'no caption found' },
      image: { score: 0.2 },
      driver: 'image',
    });
    expect(s).toMatch(/Only the image was scored \(0\.20\); the caption was not: no caption found\./);
  });
});
