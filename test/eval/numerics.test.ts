import { describe, expect, it } from 'vitest';
import { balancedWeights, fitStandardiser, matrixFromRows, standardise } from '../../src/eval/matrix.js';
import { fitLogistic, logisticObjective, predictLogistic } from '../../src/eval/logistic.js';
import { minimiseLbfgs } from '../../src/eval/lbfgs.js';
import { fitMlp, predictMlp } from '../../src/eval/mlp.js';
import { auroc } from '../../src/eval/metrics.js';
import { Rng, stratifiedSplit } from '../../src/eval/rng.js';

function gaussianData(n: number, d: number, seed: number, signal: (x: number[]) => number) {
  const rng = new Rng(seed);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => rng.normal());
    rows.push(x);
    y.push(signal(x) + 0.3 * rng.normal() > 0 ? 1 : 0);
  }
  return { X: matrixFromRows(rows), y };
}

describe('L-BFGS', () => {
  it('minimises a convex quadratic to its known optimum', () => {
    // f = Σ a_i (x_i - c_i)^2
    const a = [1, 10, 100];
    const c = [3, -2, 0.5];
    const res = minimiseLbfgs((x, g) => {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        f += a[i] * (x[i] - c[i]) ** 2;
        g[i] = 2 * a[i] * (x[i] - c[i]);
      }
      return f;
    }, new Float64Array(3));
    res.x.forEach((v, i) => expect(v).toBeCloseTo(c[i], 5));
  });
});

describe('logistic regression', () => {
  it('reaches the optimum of its objective (gradient ~ 0) and ranks a linear signal well', () => {
    const { X, y } = gaussianData(300, 5, 1, (x) => 2 * x[0] - x[1]);
    const model = fitLogistic(X, y, { lambda: 0.01 });
    const grad = new Float64Array(6);
    logisticObjective(X, y, balancedWeights(y), 0.01)(Float64Array.from([...model.weights, model.bias]), grad);
    for (const g of grad) expect(Math.abs(g)).toBeLessThan(1e-5);
    expect(model.weights[0]).toBeGreaterThan(0);
    expect(model.weights[1]).toBeLessThan(0);
    expect(auroc(Array.from(predictLogistic(model, X)), y)!).toBeGreaterThan(0.95);
  });
  it('shrinks the weights as the L2 penalty grows', () => {
    const { X, y } = gaussianData(200, 4, 2, (x) => x[0]);
    const norm = (l: number) => Math.hypot(...fitLogistic(X, y, { lambda: l }).weights);
    expect(norm(10)).toBeLessThan(norm(0.1));
    expect(norm(0.1)).toBeLessThan(norm(0.001));
  });
  it('balances the classes: on pure noise with 20% positives the mean prediction is ~0.5', () => {
    const rng = new Rng(3);
    const rows = Array.from({ length: 400 }, () => [rng.normal()]);
    const y = rows.map((_, i) => (i % 5 === 0 ? 1 : 0));
    const m = fitLogistic(matrixFromRows(rows), y, { lambda: 1 });
    const p = predictLogistic(m, matrixFromRows(rows));
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('standardiser and splits', () => {
  it('standardises columns to mean 0 and std 1, leaving constant columns finite', () => {
    const m = matrixFromRows([
      [1, 5],
      [3, 5],
    ]);
    const s = fitStandardiser(m);
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.std)).toEqual([1, 1]);
    expect(Array.from(standardise(m, s).data)).toEqual([-1, 0, 1, 0]);
  });
  it('splits each class in proportion, deterministically for a seed', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
    const a = stratifiedSplit(labels, 0.2, 5);
    expect(a).toEqual(stratifiedSplit(labels, 0.2, 5));
    expect(a.heldOut.filter((i) => labels[i] === 1)).toHaveLength(6);
    expect(a.heldOut).toHaveLength(20);
    expect(new Set([...a.fit, ...a.heldOut]).size).toBe(100);
  });
});

describe('MLP', () => {
  const xor = (seed: number, n: number) => gaussianData(n, 4, seed, (x) => x[0] * x[1]);
  it('learns an interaction (XOR of two features) that a linear model cannot', () => {
    const tr = xor(10, 600);
    const ho = xor(11, 200);
    const te = xor(12, 300);
    const res = fitMlp(tr.X, tr.y, ho.X, ho.y, { hidden: 16, learningRate: 0.01, maxEpochs: 60, patience: 10, seed: 1 });
    const mlpAuc = auroc(Array.from(predictMlp(res.model, te.X)), te.y)!;
    const lin = fitLogistic(tr.X, tr.y, { lambda: 0.01 });
    const linAuc = auroc(Array.from(predictLogistic(lin, te.X)), te.y)!;
    expect(mlpAuc).toBeGreaterThan(0.9);
    expect(linAuc).toBeLessThan(0.65);
    expect(res.bestEpoch).toBeGreaterThan(0);
  });
  it('is deterministic for a seed', () => {
    const tr = xor(20, 100);
    const ho = xor(21, 40);
    const a = fitMlp(tr.X, tr.y, ho.X, ho.y, { hidden: 8, maxEpochs: 5, seed: 9 });
    const b = fitMlp(tr.X, tr.y, ho.X, ho.y, { hidden: 8, maxEpochs: 5, seed: 9 });
    const c = fitMlp(tr.X, tr.y, ho.X, ho.y, { hidden: 8, maxEpochs: 5, seed: 10 });
    expect(Array.from(a.model.w1)).toEqual(Array.from(b.model.w1));
    expect(Array.from(a.model.w1)).not.toEqual(Array.from(c.model.w1));
  });
});
