import { encodeTensor, type FusionHead, type HeadsFile, type LogisticHead, type MlpFusion } from '../inference/heads/format.js';
import type { PackJson } from '../inference/pack/schema.js';
import type { Features } from '../inference/types.js';
import { seedSum } from '../inference/fusion.js';
import { fitLogistic, predictLogistic, type LogisticModel } from './logistic.js';
import { fitStandardiser, hconcat, selectRows, standardise, type Matrix, type Standardiser } from './matrix.js';
import { auroc, metricsAt } from './metrics.js';
import { fitMlp, predictMlp, type MlpModel } from './mlp.js';
import { stratifiedSplit } from './rng.js';

/**
 * Training of the heads on frozen features (pure: no files, no engine).
 *
 * - A held-out part of the training items (stratified, seeded) chooses the L2 strength of each logistic head
 *   (best held-out AUROC) and stops the MLP early; the logistic heads are then refitted on every item.
 * - `text` / `image`: class-weighted L2 logistic regression on the standardised embedding (encoder modalities).
 * - `stacking`: class-weighted logistic regression on [p_text, p_image], fitted on the held-out probabilities of
 *   heads fitted without those items (its own held-out metrics come from a 5-fold cross-fit on them).
 * - `concat-mlp`: a one-hidden-layer MLP on the standardised [text embedding, image embedding].
 */

export interface TrainSettings {
  seed: number;
  heldOutFraction: number;
  /** Candidate L2 strengths of the logistic heads. */
  lambdas: number[];
  /** L2 strength of the stacking logistic regression. */
  stackingLambda: number;
  mlp: { hidden: number; learningRate: number; weightDecay: number; batchSize: number; maxEpochs: number; patience: number; stopOn: 'auroc' | 'loss' };
}

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  seed: 0,
  heldOutFraction: 0.2,
  lambdas: [1e-4, 1e-3, 1e-2, 1e-1, 1, 10],
  stackingLambda: 1e-3,
  mlp: { hidden: 64, learningRate: 1e-3, weightDecay: 1e-3, batchSize: 32, maxEpochs: 200, patience: 20, stopOn: 'auroc' },
};

export interface HeldOutMetrics {
  n: number;
  auroc: number | null;
  accuracy: number;
}

export interface TrainResult {
  heads: HeadsFile;
  /** Held-out metrics of every model trained or derived (text, image, seed-sum, stacking, concat-mlp). */
  heldOut: Record<string, HeldOutMetrics>;
  chosen: { textLambda?: number; imageLambda?: number; mlpBestEpoch?: number; mlpEpochs?: number };
  sizes: { fit: number; heldOut: number };
  /** Items whose embedding was missing (e.g. no caption) and was filled with the training mean. */
  missing: { text: number; image: number };
}

export type StageCallback = (message: string) => void;

function heldOutMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>): HeldOutMetrics {
  return { n: labels.length, auroc: auroc(scores, labels), accuracy: metricsAt(scores, labels, 0.5).accuracy };
}

/** Embeddings of one modality as a matrix; missing ones are filled with the mean of the present ones. */
export function embeddingMatrix(features: Features[], m: 'text' | 'image'): { X: Matrix; missing: number } | null {
  const dim = features.find((f) => f[m]?.embedding)?.[m]?.embedding?.length;
  if (dim === undefined) return null;
  const mean = new Float64Array(dim);
  let present = 0;
  for (const f of features) {
    const e = f[m]?.embedding;
    if (e && e.length === dim) {
      present++;
      for (let j = 0; j < dim; j++) mean[j] += e[j];
    }
  }
  for (let j = 0; j < dim; j++) mean[j] /= present;
  const data = new Float32Array(features.length * dim);
  let missing = 0;
  features.forEach((f, i) => {
    const e = f[m]?.embedding;
    if (e && e.length === dim) data.set(e, i * dim);
    else {
      missing++;
      data.set(mean, i * dim);
    }
  });
  return { X: { rows: features.length, cols: dim, data }, missing };
}

function logisticHeadJson(model: LogisticModel, s: Standardiser): LogisticHead {
  const dim = model.weights.length;
  return {
    type: 'logistic',
    dim,
    mean: encodeTensor(s.mean, [dim]),
    std: encodeTensor(s.std, [dim]),
    weights: encodeTensor(model.weights, [dim]),
    bias: model.bias,
  };
}

function mlpFusionJson(name: string, model: MlpModel, s: Standardiser, textDim: number, imageDim: number): MlpFusion {
  return {
    name,
    type: 'mlp',
    input: 'concat',
    textDim,
    imageDim,
    mean: encodeTensor(s.mean, [s.mean.length]),
    std: encodeTensor(s.std, [s.std.length]),
    layers: [
      { weights: encodeTensor(model.w1, [model.inDim, model.hidden]), bias: encodeTensor(model.b1, [model.hidden]), activation: 'relu' },
      { weights: encodeTensor(model.w2, [model.hidden, 1]), bias: encodeTensor([model.b2], [1]), activation: 'none' },
    ],
  };
}

/** Pick the L2 strength with the best held-out AUROC (ties: the stronger penalty). */
function chooseLambda(Xfit: Matrix, yFit: number[], Xho: Matrix, yHo: number[], lambdas: number[]) {
  let best: { lambda: number; auc: number; probs: Float64Array } | null = null;
  for (const lambda of [...lambdas].sort((a, b) => b - a)) {
    const model = fitLogistic(Xfit, yFit, { lambda });
    const probs = predictLogistic(model, Xho);
    const auc = auroc(probs, yHo) ?? 0.5;
    if (!best || auc > best.auc + 1e-9) best = { lambda, auc, probs };
  }
  return best!;
}

/** Train every head the features allow. Labels must contain both classes. */
export function trainHeads(
  features: Features[],
  labels: (0 | 1)[],
  pack: PackJson,
  settings: TrainSettings = DEFAULT_TRAIN_SETTINGS,
  onStage: StageCallback = () => {},
): TrainResult {
  const { fit, heldOut: ho } = stratifiedSplit(labels, settings.heldOutFraction, settings.seed);
  const yFit = fit.map((i) => labels[i]);
  const yHo = ho.map((i) => labels[i]);
  const heads: HeadsFile = { format: 'memeguard-heads', version: 1, fusions: [] };
  const heldOut: Record<string, HeldOutMetrics> = {};
  const chosen: TrainResult['chosen'] = {};
  const missing = { text: 0, image: 0 };
  const hoProbs: { text?: ArrayLike<number>; image?: ArrayLike<number> } = {};
  const matrices: { text?: Matrix; image?: Matrix } = {};

  for (const m of ['text', 'image'] as const) {
    const cfg = pack[m];
    if (!cfg) continue;
    if (cfg.kind === 'classifier') {
      // The model scores by itself: nothing to train, but its scores feed the stacking fusion.
      hoProbs[m] = ho.map((i) => features[i][m]?.score ?? 0.5);
      heldOut[m] = heldOutMetrics(hoProbs[m]!, yHo);
      continue;
    }
    const emb = embeddingMatrix(features, m);
    if (!emb) {
      onStage(`${m}: no embeddings in the features, no ${m} head`);
      continue;
    }
    missing[m] = emb.missing;
    matrices[m] = emb.X;
    onStage(`${m}: choosing the L2 strength on ${ho.length} held-out items (dim ${emb.X.cols})`);
    const Xfit = selectRows(emb.X, fit);
    const sFit = fitStandardiser(Xfit);
    const best = chooseLambda(standardise(Xfit, sFit), yFit, standardise(selectRows(emb.X, ho), sFit), yHo, settings.lambdas);
    hoProbs[m] = best.probs;
    heldOut[m] = heldOutMetrics(best.probs, yHo);
    chosen[m === 'text' ? 'textLambda' : 'imageLambda'] = best.lambda;
    onStage(`${m}: lambda ${best.lambda}, held-out AUROC ${best.auc.toFixed(3)}; refitting on all ${labels.length} items`);
    const sAll = fitStandardiser(emb.X);
    heads[m] = logisticHeadJson(fitLogistic(standardise(emb.X, sAll), labels, { lambda: best.lambda }), sAll);
  }

  if (hoProbs.text && hoProbs.image) {
    const pt = hoProbs.text;
    const pi = hoProbs.image;
    heldOut['seed-sum'] = heldOutMetrics(Array.from(pt, (p, k) => seedSum(p, pi[k])), yHo);
    const P: Matrix = { rows: ho.length, cols: 2, data: Float32Array.from(ho.flatMap((_, k) => [pt[k], pi[k]])) };
    onStage(`stacking: logistic regression on [p_text, p_image] of ${ho.length} held-out items`);
    // Honest held-out estimate: 5-fold cross-fit on the held-out probabilities.
    const folds = 5;
    const cross = new Float64Array(ho.length);
    for (let f = 0; f < folds; f++) {
      const trainIdx = ho.map((_, k) => k).filter((k) => k % folds !== f);
      const testIdx = ho.map((_, k) => k).filter((k) => k % folds === f);
      if (testIdx.length === 0 || new Set(trainIdx.map((k) => yHo[k])).size < 2) continue;
      const model = fitLogistic(selectRows(P, trainIdx), trainIdx.map((k) => yHo[k]), { lambda: settings.stackingLambda });
      const pr = predictLogistic(model, selectRows(P, testIdx));
      testIdx.forEach((k, q) => (cross[k] = pr[q]));
    }
    heldOut.stacking = heldOutMetrics(cross, yHo);
    const stack = fitLogistic(P, yHo, { lambda: settings.stackingLambda });
    const fusion: FusionHead = { name: 'stacking', type: 'stacking', weights: [stack.weights[0], stack.weights[1]], bias: stack.bias };
    heads.fusions.push(fusion);
  }

  if (matrices.text && matrices.image) {
    const both = hconcat(matrices.text, matrices.image);
    const Xfit = selectRows(both, fit);
    const s = fitStandardiser(Xfit);
    onStage(`concat-mlp: ${both.cols} inputs, ${settings.mlp.hidden} hidden units, early stopping on ${ho.length} held-out items`);
    const res = fitMlp(standardise(Xfit, s), yFit, standardise(selectRows(both, ho), s), yHo, {
      ...settings.mlp,
      seed: settings.seed,
      onEpoch: (e) => {
        if (e.epoch % 10 === 0) onStage(`concat-mlp: epoch ${e.epoch} train loss ${e.trainLoss.toFixed(4)} held-out loss ${e.heldOutLoss.toFixed(4)} AUROC ${e.heldOutAuroc?.toFixed(3) ?? 'n/a'}`);
      },
    });
    chosen.mlpBestEpoch = res.bestEpoch;
    chosen.mlpEpochs = res.epochs;
    heldOut['concat-mlp'] = heldOutMetrics(predictMlp(res.model, standardise(selectRows(both, ho), s)), yHo);
    heads.fusions.push(mlpFusionJson('concat-mlp', res.model, s, matrices.text.cols, matrices.image.cols));
  }
  return { heads, heldOut, chosen, sizes: { fit: fit.length, heldOut: ho.length }, missing };
}
