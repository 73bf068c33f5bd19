import type { Explanation, Modality, ModalityVerdict, WordEffect } from './types.js';

/**
 * Explanations: which modality drove a verdict, a sentence that says so, and leave-one-word-out word effects
 * (text score with the word minus text score without it).
 */

/** At most this many caption words are explained (one extra text batch of this size). */
export const MAX_EXPLAINED_WORDS = 32;

/** The caption's words, in order, at most `max` of them. */
export function captionWords(caption: string, max = MAX_EXPLAINED_WORDS): string[] {
  const words: string[] = [];
  for (const m of caption.matchAll(/\S+/g)) {
    words.push(m[0]);
    if (words.length >= max) break;
  }
  return words;
}

/**
 * The texts to score for the word effects: for each of the first `max` words, the caption without it
 * (the rest of the caption, including words past `max`, is kept).
 */
export function leaveOneOutTexts(caption: string, max = MAX_EXPLAINED_WORDS): { words: string[]; texts: string[] } {
  const all = caption.match(/\S+/g) ?? [];
  const words = all.slice(0, max);
  const texts = words.map((_, i) => [...all.slice(0, i), ...all.slice(i + 1)].join(' '));
  return { words, texts };
}

/** Word effects sorted by |effect|, largest first (ties keep caption order). */
export function wordEffects(words: string[], fullScore: number, scoresWithout: number[]): WordEffect[] {
  if (scoresWithout.length !== words.length) throw new Error(`${scoresWithout.length} scores for ${words.length} words`);
  return words
    .map((word, i) => ({ word, effect: fullScore - scoresWithout[i], i }))
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect) || a.i - b.i)
    .map(({ word, effect }) => ({ word, effect }));
}

/** Two modalities this close in their push towards the verdict both drove it. */
export const BOTH_MARGIN = 0.05;

/**
 * Which modality drove the decision: the one further from 0.5 in the direction of the verdict; 'both' when both
 * push that way by nearly the same amount; 'none' when no scored modality points the verdict's way.
 */
export function decisionDriver(hateful: boolean, pText: number | null, pImage: number | null): Explanation['driver'] {
  const sign = hateful ? 1 : -1;
  const push = (p: number | null) => (p === null ? null : (p - 0.5) * sign);
  const t = push(pText);
  const i = push(pImage);
  const tAgrees = t !== null && t > 0;
  const iAgrees = i !== null && i > 0;
  if (tAgrees && iAgrees) {
    if (Math.abs(t - i) <= BOTH_MARGIN) return 'both';
    return t > i ? 'text' : 'image';
  }
  if (tAgrees) return 'text';
  if (iAgrees) return 'image';
  return 'none';
}

const NAME: Record<Modality, string> = { text: 'caption', image: 'image' };

function fmt(p: number): string {
  return p.toFixed(2);
}

export interface SummaryInput {
  hateful: boolean;
  score: number;
  threshold: number;
  rule: string;
  text: ModalityVerdict;
  image: ModalityVerdict;
  driver: Explanation['driver'];
  /** The strongest word effect, if any. */
  topWord?: WordEffect;
  /** Set when the fusion rule asked for could not be applied (one modality missing). */
  fusionNote?: string;
}

/** One or two sentences a moderator can read. */
export function summarize(s: SummaryInput): string {
  const verdict = s.hateful ? 'Hateful' : 'Not hateful';
  const cmp = s.hateful ? '>' : '<=';
  const parts: string[] = [`${verdict}: score ${fmt(s.score)} ${cmp} threshold ${fmt(s.threshold)} (${s.rule}).`];
  const scored = (['text', 'image'] as const).filter((m) => s[m].score !== null);
  const missing = (['text', 'image'] as const).filter((m) => s[m].score === null);
  if (scored.length === 1) {
    const m = scored[0];
    const other = missing[0];
    parts.push(
      `Only the ${NAME[m]} was scored (${fmt(s[m].score!)}); the ${NAME[other]} was not: ${s[other].reason ?? 'unavailable'}.`,
    );
  } else if (scored.length === 2) {
    const t = fmt(s.text.score!);
    const i = fmt(s.image.score!);
    if (s.driver === 'both') parts.push(`Caption (${t}) and image (${i}) both drove it.`);
    else if (s.driver === 'text') parts.push(`Driven by the caption (${t}) more than the image (${i}).`);
    else if (s.driver === 'image') parts.push(`Driven by the image (${i}) more than the caption (${t}).`);
    else parts.push(`Neither the caption (${t}) nor the image (${i}) alone points this way; the fusion rule decided.`);
    if (s.fusionNote) parts.push(`(${s.fusionNote}.)`);
  } else {
    parts.push(
      `Nothing could be scored: caption: ${s.text.reason ?? 'unavailable'}; image: ${s.image.reason ?? 'unavailable'}.`,
    );
  }
  if (s.topWord && s.topWord.effect !== 0) {
    const dir = s.topWord.effect > 0 ? 'towards' : 'away from';
    parts.push(`The word "${s.topWord.word}" moved the caption score most (${s.topWord.effect > 0 ? '+' : ''}${s.topWord.effect.toFixed(3)}, ${dir} hateful).`);
  }
  return parts.join(' ');
}
