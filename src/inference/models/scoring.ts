/**
 * From a classifier's logits to p(hateful): sigmoid per label (multi_label) or softmax over labels
 * (single_label), then the pack's hateful labels combined by their largest probability or their sum.
 */
import { MemeguardError } from '../../errors.js';

export type ProblemType = 'multi_label' | 'single_label';
export type Combine = 'max' | 'sum';

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export function probabilities(logits: ArrayLike<number>, problem: ProblemType): Float64Array {
  return problem === 'single_label' ? softmax(logits) : Float64Array.from(Array.from(logits, sigmoid));
}

/** Indices of the hateful labels; a label the model does not have is a PACK_INVALID error. */
export function hatefulIndices(labels: string[], hateful: string[], where: string): number[] {
  return hateful.map((h) => {
    const i = labels.indexOf(h);
    if (i < 0) {
      throw new MemeguardError('PACK_INVALID', `pack.json ${where}.hatefulLabels names "${h}", which ${where} model does not have`, {
        hint: `its labels are: ${labels.slice(0, 12).join(', ')}${labels.length > 12 ? ', ...' : ''}`,
      });
    }
    return i;
  });
}

/** p(hateful) from one item's logits. A sum is capped at 1 (sigmoids of several labels can add up past it). */
export function hatefulScore(logits: ArrayLike<number>, problem: ProblemType, indices: number[], combine: Combine): number {
  const p = probabilities(logits, problem);
  if (combine === 'max') return Math.max(...indices.map((i) => p[i]));
  return Math.min(1, indices.reduce((s, i) => s + p[i], 0));
}
