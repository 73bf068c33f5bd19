import { describe, expect, it } from 'vitest';
import { auroc, aurocOrThrow, bestThreshold, confusionAt, metricsAt, rocCurve } from '../../src/eval/metrics.js';
import { Rng } from '../../src/eval/rng.js';

/** Mann–Whitney U / (P·N) with ties counted 1/2, by brute force over all pairs. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let s = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      s += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return s / pairs;
}

describe('auroc', () => {
  it('matches a hand-worked example (scikit-learn gives 0.75)', () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
  });
  it('counts a positive–negative tie as one half', () => {
    // pairs: 0.9>0.2, 0.9>0.5, 0.5>0.2, 0.5=0.5 -> (1+1+1+0.5)/4
    expect(auroc([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1])).toBeCloseTo(0.875, 12);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
  });
  it('is 1 for a perfect ranking and 0 for an inverted one', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });
  it('is undefined (null) when only one class is present, and aurocOrThrow says why', () => {
    expect(auroc([0.1, 0.9], [1, 1])).toBeNull();
    expect(auroc([0.1, 0.9], [0, 0])).toBeNull();
    expect(rocCurve([0.3], [0])).toBeNull();
    expect(() => aurocOrThrow([0.1, 0.9], [1, 1])).toThrow(/same label/);
  });
  it('equals the pairwise Mann–Whitney statistic on random scores with many ties', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + rng.int(60);
      const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : rng.int(2)));
      const scores = labels.map(() => rng.int(6) / 5); // coarse scores -> ties
      expect(auroc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
    }
  });
  it('builds the ROC curve over distinct thresholds from (0,0) to (1,1)', () => {
    const c = rocCurve([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1])!;
    expect(c.map((p) => [p.fpr, p.tpr])).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
  });
});

describe('threshold metrics', () => {
  it('counts the confusion matrix with the strict rule score > threshold', () => {
    expect(confusionAt([0.5, 0.6, 0.4, 0.7], [1, 1, 0, 0], 0.5)).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
  });
  it('derives accuracy, precision, recall and F1', () => {
    // tp=2 (0.9, 0.8), fp=1 (0.7), fn=1 (0.3), tn=2
    const m = metricsAt([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [1, 1, 0, 1, 0, 0], 0.5);
    expect(m.confusion).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
  });
  it('gives 0 precision and F1 when nothing is predicted hateful', () => {
    const m = metricsAt([0.1, 0.2], [1, 0], 0.5);
    expect(m).toMatchObject({ precision: 0, recall: 0, f1: 0, accuracy: 0.5 });
  });
  it('finds the accuracy-maximising threshold (ties -> closest to 0.5)', () => {
    // accuracies: above all 2/4, <0.8: 3/4 (t=0.6), <0.4: 2/4, <0.35: 3/4 (t=0.225), <0.1: 2/4
    const b = bestThreshold([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(b.accuracy).toBeCloseTo(0.75, 12);
    expect(b.threshold).toBeCloseTo(0.6, 12);
    expect(metricsAt([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], b.threshold).accuracy).toBeCloseTo(0.75, 12);
  });
  it('reaches accuracy 1 on a perfect ranking, and handles an all-one-class split', () => {
    const b = bestThreshold([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
    expect(b).toEqual({ threshold: 0.5, accuracy: 1 });
    const one = bestThreshold([0.3, 0.7], [1, 1]);
    expect(one.accuracy).toBe(1);
    expect(metricsAt([0.3, 0.7], [1, 1], one.threshold).accuracy).toBe(1);
  });
});
