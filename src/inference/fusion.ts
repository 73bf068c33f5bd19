import { MemeguardError } from '../errors.js';
import type { FusionInputs } from './heads/apply.js';

/**
 * Fusion rules on two probabilities (DESIGN.md, "Fusion").
 *
 * seed-sum, the seed's rule: hateful iff p_text + p_image > (1 - p_text) + (1 - p_image),
 * i.e. the mean of the two probabilities exceeds 0.5. Its score is that mean.
 */

export function seedSum(pText: number, pImage: number): number {
  return (pText + pImage) / 2;
}

/** The seed's decision, written the way the seed wrote it (sum of class probabilities). */
export function seedSumDecision(pText: number, pImage: number): boolean {
  return pText + pImage > 1 - pText + (1 - pImage);
}

export function weightedMean(pText: number, pImage: number, weights: { text: number; image: number }): number {
  const total = weights.text + weights.image;
  if (!(total > 0)) throw new Error('weighted-mean needs a positive weight');
  return (weights.text * pText + weights.image * pImage) / total;
}

/** hateful iff score > threshold (strictly, as the seed's rule at 0.5). */
export function isHateful(score: number, threshold: number): boolean {
  return score > threshold;
}

/** A learned fusion from the heads file: null when it lacks an input it needs (e.g. an embedding). */
export type LearnedFusion = (x: FusionInputs) => number | null;

export interface FuseRequest {
  pText: number | null;
  pImage: number | null;
  textEmbedding?: ArrayLike<number>;
  imageEmbedding?: ArrayLike<number>;
}

export interface FuseContext {
  /** Weights of 'weighted-mean' (default equal). */
  weights?: { text: number; image: number };
  /** Learned fusions by name (Heads.fusions). */
  learned?: ReadonlyMap<string, LearnedFusion>;
}

export interface FuseResult {
  score: number;
  /** The rule that produced the score: the one asked for, or 'text-only' / 'image-only' when one modality is missing. */
  rule: string;
  /** Set when the rule asked for could not be applied as such (one modality missing). */
  note?: string;
}

export function knownFusions(ctx: FuseContext = {}): string[] {
  return ['seed-sum', 'weighted-mean', ...(ctx.learned ? [...ctx.learned.keys()] : [])];
}

/**
 * Fuse the two modalities with the named rule. With one modality missing, every rule degrades to that
 * modality's probability (and says so in `note`); with both missing there is nothing to fuse (NO_HEADS).
 */
export function fuse(rule: string, x: FuseRequest, ctx: FuseContext = {}): FuseResult {
  const { pText, pImage } = x;
  if (rule !== 'seed-sum' && rule !== 'weighted-mean' && !ctx.learned?.has(rule)) {
    throw new MemeguardError('PACK_INVALID', `unknown fusion rule "${rule}"`, {
      hint: `pack.json fusion.rule must be one of: ${knownFusions(ctx).join(', ')}`,
    });
  }
  if (pText === null && pImage === null) {
    throw new MemeguardError('NO_HEADS', 'neither the caption nor the image could be scored');
  }
  if (pText === null) return { score: pImage as number, rule: 'image-only', note: `${rule} needs both modalities; used the image alone` };
  if (pImage === null) return { score: pText, rule: 'text-only', note: `${rule} needs both modalities; used the caption alone` };
  if (rule === 'seed-sum') return { score: seedSum(pText, pImage), rule };
  if (rule === 'weighted-mean') return { score: weightedMean(pText, pImage, ctx.weights ?? { text: 1, image: 1 }), rule };
  const learned = ctx.learned!.get(rule)!;
  const score = learned({ pText, pImage, textEmbedding: x.textEmbedding, imageEmbedding: x.imageEmbedding });
  if (score === null) {
    return { score: seedSum(pText, pImage), rule: 'seed-sum', note: `${rule} needs both embeddings; used seed-sum` };
  }
  return { score, rule };
}
