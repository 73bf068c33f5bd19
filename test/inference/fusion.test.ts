import { describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { fuse, isHateful, type LearnedFusion, seedSum, seedSumDecision, weightedMean } from '../../src/inference/fusion.js';
import { mulberry32 } from '../../src/util/random.js';

describe('seed-sum', () => {
  // (p_text, p_image, hateful?) — the seed's rule: hateful iff the two hateful probabilities outweigh the two "not".
  const table: [number, number, boolean][] = [
    [0, 0, false],
    [1, 1, true],
    [1, 0, false], // mean exactly 0.5: not hateful
    [0, 1, false],
    [0.5, 0.5, false], // the exact boundary
    [0.25, 0.75, false], // sum exactly 1
    [0.75, 0.25, false],
    [0.5, 0.5000001, true],
    [0.9, 0.2, true],
    [0.2, 0.9, true],
    [0.6, 0.3, false],
    [0.3, 0.6, false],
    [0.51, 0.5, true],
    [0.49, 0.5, false],
  ];
  it.each(table)('p_text=%s p_image=%s -> hateful=%s', (t, i, expected) => {
    expect(isHateful(seedSum(t, i), 0.5)).toBe(expected);
    expect(seedSumDecision(t, i)).toBe(expected);
    expect(fuse('seed-sum', { pText: t, pImage: i }).score).toBe((t + i) / 2);
  });

  it('the mean form equals the sum-of-class-probabilities form away from the rounding boundary', () => {
    const r = mulberry32(7);
    let checked = 0;
    for (let k = 0; k < 100_000; k++) {
      const t = r();
      const i = r();
      if (Math.abs(t + i - 1) < 1e-12) continue; // at the boundary only rounding differs (see the dyadic cases above)
      expect(isHateful(seedSum(t, i), 0.5)).toBe(seedSumDecision(t, i));
      checked++;
    }
    expect(checked).toBeGreaterThan(99_000);
  });

  it('the score is the mean, symmetric in its inputs', () => {
    expect(seedSum(0.2, 0.6)).toBeCloseTo(0.4, 12);
    expect(seedSum(0.6, 0.2)).toBe(seedSum(0.2, 0.6));
  });
});

describe('weighted-mean', () => {
  it('weights the two probabilities', () => {
    expect(weightedMean(0.8, 0.2, { text: 3, image: 1 })).toBeCloseTo(0.65, 12);
    expect(fuse('weighted-mean', { pText: 0.8, pImage: 0.2 }, { weights: { text: 3, image: 1 } }).score).toBeCloseTo(0.65, 12);
    // default: equal weights = seed-sum's score
    expect(fuse('weighted-mean', { pText: 0.8, pImage: 0.2 }).score).toBeCloseTo(0.5, 12);
  });
  it('refuses weights that sum to zero', () => {
    expect(() => weightedMean(0.5, 0.5, { text: 0, image: 0 })).toThrow(/positive weight/);
  });
});

describe('fuse', () => {
  it('uses the other modality when one is missing, and says so', () => {
    const a = fuse('seed-sum', { pText: null, pImage: 0.8 });
    expect(a).toMatchObject({ score: 0.8, rule: 'image-only' });
    expect(a.note).toMatch(/image alone/);
    const b = fuse('weighted-mean', { pText: 0.3, pImage: null });
    expect(b).toMatchObject({ score: 0.3, rule: 'text-only' });
  });
  it('refuses nothing to fuse with NO_HEADS', () => {
    expect(() => fuse('seed-sum', { pText: null, pImage: null })).toThrow(MemeguardError);
    try {
      fuse('seed-sum', { pText: null, pImage: null });
    } catch (e) {
      expect((e as MemeguardError).code).toBe('NO_HEADS');
      expect((e as MemeguardError).exitCode).toBe(2);
    }
  });
  it('calls a learned fusion by name, and falls back to seed-sum when it lacks an input', () => {
    const learned = new Map<string, LearnedFusion>([
      ['stack', ({ pText, pImage }) => pText * pImage],
      ['needs-emb', ({ textEmbedding }) => (textEmbedding ? 0.99 : null)],
    ]);
    expect(fuse('stack', { pText: 0.5, pImage: 0.4 }, { learned }).score).toBeCloseTo(0.2, 12);
    expect(fuse('needs-emb', { pText: 0.5, pImage: 0.4, textEmbedding: [1] }, { learned }).score).toBe(0.99);
    const fb = fuse('needs-emb', { pText: 0.5, pImage: 0.4 }, { learned });
    expect(fb).toMatchObject({ score: 0.45, rule: 'seed-sum' });
  });
  it('names the known rules when the rule is unknown', () => {
    expect(() => fuse('nope', { pText: 0.5, pImage: 0.5 })).toThrow(/unknown fusion rule "nope"/);
    try {
      fuse('nope', { pText: 0.5, pImage: 0.5 });
    } catch (e) {
      expect((e as MemeguardError).hint).toMatch(/seed-sum, weighted-mean/);
    }
  });
  it('a caller threshold moves the decision', () => {
    const s = fuse('seed-sum', { pText: 0.6, pImage: 0.6 }).score;
    expect(isHateful(s, 0.5)).toBe(true);
    expect(isHateful(s, 0.7)).toBe(false);
  });
});
