import { MemeguardError } from '../errors.js';

/**
 * Binary classification metrics on scores (p(hateful)) and labels (0/1).
 *
 * AUROC follows scikit-learn's roc_auc_score exactly: the trapezoid area under the ROC curve built over the
 * distinct score thresholds, which equals the Mann–Whitney U statistic with ties between a positive and a
 * negative counted 1/2. When every label is the same class the AUROC is undefined: `auroc` returns null
 * (and `aurocOrThrow` throws DATASET_INVALID) — scikit-learn raises in that case too.
 */

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ThresholdMetrics {
  accuracy: number;
  /** tp / (tp + fp); 0 when nothing is predicted hateful (scikit-learn's zero_division=0). */
  precision: number;
  /** tp / (tp + fn); 0 when there are no positives. */
  recall: number;
  /** 2PR / (P + R); 0 when P + R = 0. */
  f1: number;
  confusion: Confusion;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new MemeguardError('INTERNAL', `metrics: ${scores.length} scores for ${labels.length} labels`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new MemeguardError('INTERNAL', `metrics: label ${labels[i]} is not 0/1`);
    if (!Number.isFinite(scores[i])) throw new MemeguardError('INTERNAL', `metrics: score ${scores[i]} is not finite`);
  }
}

/** Predicted hateful iff score > threshold (strict, as the seed's rule: see fusion.ts isHateful). */
export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): Confusion {
  checkInputs(scores, labels);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] > threshold;
    if (labels[i] === 1) predicted ? c.tp++ : c.fn++;
    else predicted ? c.fp++ : c.tn++;
  }
  return c;
}

export function metricsFromConfusion(c: Confusion): ThresholdMetrics {
  const n = c.tp + c.fp + c.tn + c.fn;
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { accuracy: n > 0 ? (c.tp + c.tn) / n : 0, precision, recall, f1, confusion: c };
}

export function metricsAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ThresholdMetrics {
  return metricsFromConfusion(confusionAt(scores, labels, threshold));
}

export interface RocPoint {
  fpr: number;
  tpr: number;
  /** Predicted hateful iff score >= threshold at this point (the first point has threshold +Infinity). */
  threshold: number;
}

/** Items sorted by descending score, grouped by distinct score. */
function groupsByScore(scores: ArrayLike<number>, labels: ArrayLike<number>): { score: number; pos: number; neg: number }[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const groups: { score: number; pos: number; neg: number }[] = [];
  for (const i of order) {
    const last = groups[groups.length - 1];
    const g = last && last.score === scores[i] ? last : (groups.push({ score: scores[i], pos: 0, neg: 0 }), groups[groups.length - 1]);
    if (labels[i] === 1) g.pos++;
    else g.neg++;
  }
  return groups;
}

function countClasses(labels: ArrayLike<number>): { pos: number; neg: number } {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] === 1 ? 1 : 0;
  return { pos, neg: labels.length - pos };
}

/**
 * The ROC curve over distinct thresholds, from (0,0) to (1,1), one point per distinct score
 * (like scikit-learn's roc_curve with drop_intermediate=False). Null when only one class is present.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] | null {
  checkInputs(scores, labels);
  const { pos, neg } = countClasses(labels);
  if (pos === 0 || neg === 0) return null;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (const g of groupsByScore(scores, labels)) {
    tp += g.pos;
    fp += g.neg;
    points.push({ fpr: fp / neg, tpr: tp / pos, threshold: g.score });
  }
  return points;
}

/** Area under the ROC curve (trapezoids over distinct thresholds); null when only one class is present. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const curve = rocCurve(scores, labels);
  if (!curve) return null;
  let area = 0;
  for (let k = 1; k < curve.length; k++) {
    area += ((curve[k].fpr - curve[k - 1].fpr) * (curve[k].tpr + curve[k - 1].tpr)) / 2;
  }
  return area;
}

export function aurocOrThrow(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const a = auroc(scores, labels);
  if (a === null) {
    throw new MemeguardError('DATASET_INVALID', 'AUROC is undefined: every item has the same label', {
      hint: 'evaluate on a split that has both hateful and not-hateful items',
    });
  }
  return a;
}

/**
 * The threshold that maximises accuracy under the rule "hateful iff score > threshold".
 * Candidates are "below every score" and each distinct score; the chosen threshold is the midpoint between the
 * candidate score and the next lower distinct score (so it is robust to rounding), ties broken towards the
 * threshold closest to 0.5.
 */
export function bestThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): { threshold: number; accuracy: number } {
  checkInputs(scores, labels);
  const n = scores.length;
  if (n === 0) return { threshold: 0.5, accuracy: 0 };
  const { neg } = countClasses(labels);
  const groups = groupsByScore(scores, labels);
  // Threshold above the top score: everything predicted not hateful -> accuracy = neg / n.
  const above = (x: number) => (x < 1 ? (x + 1) / 2 : x + 1e-6);
  const below = (x: number) => (x > 0 ? x / 2 : x - 1e-6);
  let correct = neg;
  let best = { threshold: above(groups[0].score), accuracy: correct / n };
  for (let k = 0; k < groups.length; k++) {
    // Lower the threshold below group k: its positives become correct, its negatives wrong.
    correct += groups[k].pos - groups[k].neg;
    const threshold = k + 1 < groups.length ? (groups[k].score + groups[k + 1].score) / 2 : below(groups[k].score);
    const accuracy = correct / n;
    const better = accuracy > best.accuracy + 1e-12;
    const tie = Math.abs(accuracy - best.accuracy) <= 1e-12 && Math.abs(threshold - 0.5) < Math.abs(best.threshold - 0.5);
    if (better || tie) best = { threshold, accuracy };
  }
  return best;
}
