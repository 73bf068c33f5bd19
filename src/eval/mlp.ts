import { sigmoid } from '../inference/heads/apply.js';
import { balancedWeights, type Matrix } from './matrix.js';
import { auroc } from './metrics.js';
import { Rng } from './rng.js';

/**
 * A one-hidden-layer MLP (ReLU) with a logistic output, trained with Adam on the class-weighted log loss plus
 * L2 weight decay, with early stopping on a held-out set (the weights of the best held-out epoch are kept).
 * Inputs are expected standardised. Deterministic for a seed.
 */
export interface MlpModel {
  inDim: number;
  hidden: number;
  /** [inDim, hidden] row-major. */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden]. */
  w2: Float32Array;
  b2: number;
}

export interface MlpFitOptions {
  hidden?: number;
  learningRate?: number;
  weightDecay?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Stop after this many epochs without a better held-out score. */
  patience?: number;
  /**
   * What "better on the held-out set" means: a higher AUROC (ties: a lower log loss) — robust on small held-out
   * sets, where the loss rises with confidence while the ranking still improves — or a lower log loss.
   */
  stopOn?: 'auroc' | 'loss';
  seed?: number;
  onEpoch?: (e: { epoch: number; trainLoss: number; heldOutLoss: number; heldOutAuroc: number | null }) => void;
}

export interface MlpFitResult {
  model: MlpModel;
  bestEpoch: number;
  epochs: number;
  heldOutLoss: number;
  heldOutAuroc: number | null;
}

export function mlpLogit(m: MlpModel, x: Float32Array, o: number, hiddenOut?: Float32Array): number {
  const h = hiddenOut ?? new Float32Array(m.hidden);
  for (let k = 0; k < m.hidden; k++) h[k] = m.b1[k];
  for (let j = 0; j < m.inDim; j++) {
    const v = x[o + j];
    if (v === 0) continue;
    const row = j * m.hidden;
    for (let k = 0; k < m.hidden; k++) h[k] += v * m.w1[row + k];
  }
  let z = m.b2;
  for (let k = 0; k < m.hidden; k++) {
    if (h[k] < 0) h[k] = 0;
    z += h[k] * m.w2[k];
  }
  return z;
}

export function predictMlp(m: MlpModel, X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  const h = new Float32Array(m.hidden);
  for (let i = 0; i < X.rows; i++) out[i] = sigmoid(mlpLogit(m, X.data, i * X.cols, h));
  return out;
}

function weightedLogLoss(m: MlpModel, X: Matrix, y: ArrayLike<number>, c: Float64Array): number {
  const h = new Float32Array(m.hidden);
  let loss = 0;
  for (let i = 0; i < X.rows; i++) {
    const z = mlpLogit(m, X.data, i * X.cols, h);
    const sp = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
    loss += c[i] * (sp - y[i] * z);
  }
  return loss / Math.max(1, X.rows);
}

function cloneModel(m: MlpModel): MlpModel {
  return { ...m, w1: m.w1.slice(), b1: m.b1.slice(), w2: m.w2.slice() };
}

class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  constructor(
    private readonly params: Float32Array,
    private readonly lr: number,
  ) {
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
  }
  step(grad: Float32Array, t: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < this.params.length; i++) {
      this.m[i] = b1 * this.m[i] + (1 - b1) * grad[i];
      this.v[i] = b2 * this.v[i] + (1 - b2) * grad[i] * grad[i];
      this.params[i] -= (this.lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + 1e-8);
    }
  }
}

export function fitMlp(
  Xtr: Matrix,
  ytr: ArrayLike<number>,
  Xho: Matrix,
  yho: ArrayLike<number>,
  opts: MlpFitOptions = {},
): MlpFitResult {
  const hidden = opts.hidden ?? 64;
  const lr = opts.learningRate ?? 1e-3;
  const wd = opts.weightDecay ?? 1e-3;
  const batch = opts.batchSize ?? 32;
  const maxEpochs = opts.maxEpochs ?? 200;
  const patience = opts.patience ?? 20;
  const rng = new Rng(opts.seed ?? 0);
  const d = Xtr.cols;
  const model: MlpModel = {
    inDim: d,
    hidden,
    w1: new Float32Array(d * hidden).map(() => rng.normal() * Math.sqrt(2 / d)),
    b1: new Float32Array(hidden),
    w2: new Float32Array(hidden).map(() => rng.normal() * Math.sqrt(1 / hidden)),
    b2: 0,
  };
  const b2Box = new Float32Array(1);
  const opt = {
    w1: new Adam(model.w1, lr),
    b1: new Adam(model.b1, lr),
    w2: new Adam(model.w2, lr),
    b2: new Adam(b2Box, lr),
  };
  const ctr = balancedWeights(ytr);
  const cho = balancedWeights(yho);
  const g = { w1: new Float32Array(d * hidden), b1: new Float32Array(hidden), w2: new Float32Array(hidden), b2: new Float32Array(1) };
  const h = new Float32Array(hidden);
  const order = Array.from({ length: Xtr.rows }, (_, i) => i);
  const stopOn = opts.stopOn ?? 'auroc';
  const heldOutAuroc = () => auroc(predictMlp(model, Xho), yho);
  let best = { loss: weightedLogLoss(model, Xho, yho, cho), auc: heldOutAuroc(), model: cloneModel(model), epoch: 0 };
  let t = 0;
  let epoch = 0;
  for (epoch = 1; epoch <= maxEpochs; epoch++) {
    rng.shuffle(order);
    let trainLoss = 0;
    for (let start = 0; start < order.length; start += batch) {
      const end = Math.min(order.length, start + batch);
      g.w1.fill(0);
      g.b1.fill(0);
      g.w2.fill(0);
      g.b2[0] = 0;
      for (let bi = start; bi < end; bi++) {
        const i = order[bi];
        const o = i * d;
        const z = mlpLogit(model, Xtr.data, o, h);
        const sp = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
        trainLoss += ctr[i] * (sp - ytr[i] * z);
        const r = (ctr[i] * (sigmoid(z) - ytr[i])) / (end - start);
        g.b2[0] += r;
        for (let k = 0; k < hidden; k++) {
          g.w2[k] += r * h[k];
          // Backprop through ReLU: h[k] > 0 iff the pre-activation was positive.
          const dk = h[k] > 0 ? r * model.w2[k] : 0;
          h[k] = dk;
          g.b1[k] += dk;
        }
        for (let j = 0; j < d; j++) {
          const v = Xtr.data[o + j];
          if (v === 0) continue;
          const row = j * hidden;
          for (let k = 0; k < hidden; k++) g.w1[row + k] += v * h[k];
        }
      }
      for (let q = 0; q < g.w1.length; q++) g.w1[q] += wd * model.w1[q];
      for (let k = 0; k < hidden; k++) g.w2[k] += wd * model.w2[k];
      t++;
      opt.w1.step(g.w1, t);
      opt.b1.step(g.b1, t);
      opt.w2.step(g.w2, t);
      b2Box[0] = model.b2;
      opt.b2.step(g.b2, t);
      model.b2 = b2Box[0];
    }
    const heldOutLoss = weightedLogLoss(model, Xho, yho, cho);
    const auc = heldOutAuroc();
    opts.onEpoch?.({ epoch, trainLoss: trainLoss / Math.max(1, Xtr.rows), heldOutLoss, heldOutAuroc: auc });
    const better =
      stopOn === 'loss' || auc === null || best.auc === null
        ? heldOutLoss < best.loss - 1e-6
        : auc > best.auc + 1e-9 || (Math.abs(auc - best.auc) <= 1e-9 && heldOutLoss < best.loss - 1e-6);
    if (better) best = { loss: heldOutLoss, auc, model: cloneModel(model), epoch };
    else if (epoch - best.epoch >= patience) break;
  }
  return { model: best.model, bestEpoch: best.epoch, epochs: Math.min(epoch, maxEpochs), heldOutLoss: best.loss, heldOutAuroc: best.auc };
}
