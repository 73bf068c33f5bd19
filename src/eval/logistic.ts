import { sigmoid } from '../inference/heads/apply.js';
import { minimiseLbfgs } from './lbfgs.js';
import { balancedWeights, type Matrix } from './matrix.js';

/**
 * L2-regularised, class-weighted logistic regression on (already standardised) features:
 *   minimise (1/n) Σ c_i · logloss(y_i, σ(w·x_i + b)) + (λ/2) ‖w‖²     (the bias is not penalised)
 * with balanced class weights c_i = n / (2 n_class(y_i)) by default. Solved with L-BFGS.
 */
export interface LogisticModel {
  weights: Float64Array;
  bias: number;
}

export interface LogisticFitOptions {
  lambda: number;
  /** Per-item weights; default balanced class weights. */
  sampleWeights?: Float64Array;
  maxIterations?: number;
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** The objective and its gradient (exported for tests: the gradient at the optimum is ~0). */
export function logisticObjective(
  X: Matrix,
  y: ArrayLike<number>,
  c: Float64Array,
  lambda: number,
): (theta: Float64Array, grad: Float64Array) => number {
  const { rows: n, cols: d, data } = X;
  return (theta, grad) => {
    grad.fill(0);
    const b = theta[d];
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const o = i * d;
      let z = b;
      for (let j = 0; j < d; j++) z += theta[j] * data[o + j];
      // logloss = softplus(z) - y z
      loss += c[i] * (softplus(z) - y[i] * z);
      const r = (c[i] * (sigmoid(z) - y[i])) / n;
      for (let j = 0; j < d; j++) grad[j] += r * data[o + j];
      grad[d] += r;
    }
    loss /= n;
    let reg = 0;
    for (let j = 0; j < d; j++) {
      reg += theta[j] * theta[j];
      grad[j] += lambda * theta[j];
    }
    return loss + (lambda / 2) * reg;
  };
}

export function fitLogistic(X: Matrix, y: ArrayLike<number>, opts: LogisticFitOptions): LogisticModel {
  const c = opts.sampleWeights ?? balancedWeights(y);
  const f = logisticObjective(X, y, c, opts.lambda);
  const res = minimiseLbfgs(f, new Float64Array(X.cols + 1), { maxIterations: opts.maxIterations ?? 300, gradientTolerance: 1e-7 });
  return { weights: res.x.slice(0, X.cols), bias: res.x[X.cols] };
}

export function predictLogistic(model: LogisticModel, X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let z = model.bias;
    const o = i * X.cols;
    for (let j = 0; j < X.cols; j++) z += model.weights[j] * X.data[o + j];
    out[i] = sigmoid(z);
  }
  return out;
}
