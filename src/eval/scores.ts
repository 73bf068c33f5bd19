import { seedSum, weightedMean } from '../inference/fusion.js';
import type { Heads } from '../inference/heads/apply.js';
import type { PackJson } from '../inference/pack/schema.js';
import type { Features } from '../inference/types.js';

/**
 * Per-item scores of every model an evaluation reports: each modality alone, the built-in fusions and each
 * learned fusion of the heads file. Encoder modalities are scored from their embeddings with the *current*
 * heads (so cached features stay valid after retraining); classifier modalities use the model's own score.
 */
export interface ScoringContext {
  pack: PackJson;
  heads?: Heads;
}

/** p(hateful) of each modality for one item (null: the modality cannot score it). */
export function modalityScores(f: Features, ctx: ScoringContext): { text: number | null; image: number | null } {
  const one = (m: 'text' | 'image'): number | null => {
    const cfg = ctx.pack[m];
    const feat = f[m];
    if (!cfg || !feat) return null;
    if (cfg.kind === 'classifier') return feat.score;
    const head = ctx.heads?.[m];
    if (!head || !feat.embedding || feat.embedding.length !== head.dim) return null;
    return head.score(feat.embedding);
  };
  return { text: one('text'), image: one('image') };
}

/** The model names (rows) this pack can report, in table order. */
export function scoreNames(ctx: ScoringContext): string[] {
  const can = (m: 'text' | 'image') => {
    const cfg = ctx.pack[m];
    return !!cfg && (cfg.kind === 'classifier' || !!ctx.heads?.[m]);
  };
  const names: string[] = [];
  if (can('text')) names.push('text');
  if (can('image')) names.push('image');
  if (can('text') && can('image')) {
    names.push('seed-sum');
    if (ctx.pack.fusion.weights) names.push('weighted-mean');
  }
  for (const name of ctx.heads?.fusions.keys() ?? []) if (!names.includes(name)) names.push(name);
  return names;
}

/**
 * Scores of one item under every name of scoreNames; a modality that cannot score this item (e.g. no caption)
 * counts as 0.5 (no evidence) in the fusions, and a score that cannot be computed at all is null.
 */
export function itemScores(f: Features, ctx: ScoringContext, names: string[]): Record<string, number | null> {
  const m = modalityScores(f, ctx);
  const pt = m.text ?? 0.5;
  const pi = m.image ?? 0.5;
  const out: Record<string, number | null> = {};
  for (const name of names) {
    if (name === 'text') out[name] = m.text;
    else if (name === 'image') out[name] = m.image;
    else if (name === 'seed-sum') out[name] = m.text === null && m.image === null ? null : seedSum(pt, pi);
    else if (name === 'weighted-mean') out[name] = ctx.pack.fusion.weights ? weightedMean(pt, pi, ctx.pack.fusion.weights) : null;
    else {
      const fusion = ctx.heads?.fusions.get(name);
      out[name] = fusion
        ? fusion({ pText: pt, pImage: pi, textEmbedding: f.text?.embedding, imageEmbedding: f.image?.embedding })
        : null;
    }
  }
  return out;
}
