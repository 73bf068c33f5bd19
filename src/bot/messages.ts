import type { ErrorCode } from '../errors.js';
import { asMemeguardError } from '../errors.js';
import type { Verdict } from '../inference/types.js';
import type { JudgementRecord } from './store/types.js';
import type { ModLogEntry, NeutralReply, ReviewStats, VerdictSummary, WorkspaceSettings } from './types.js';
import { describeSettings } from './settings.js';

/** The neutral message model: what a verdict, a report, an error or a progress update says, as plain text too. */

const pct = (p: number | null) => (p === null ? 'n/a' : `${(p * 100).toFixed(1)}%`);

export function summarizeVerdict(v: Verdict, cached = false): VerdictSummary {
  const topWords = v.explanation.words
    .filter((w) => w.effect > 0)
    .sort((a, b) => b.effect - a.effect)
    .slice(0, 5)
    .map((w) => ({ word: w.word, effect: w.effect }));
  return {
    verdict: v.verdict,
    score: v.score,
    threshold: v.threshold,
    fusion: v.fusion,
    caption: v.caption.text,
    captionSource: v.caption.source,
    textScore: v.text.score,
    imageScore: v.image.score,
    explanation: v.explanation.summary,
    topWords,
    cached,
    imageSha256: v.imageSha256,
  };
}

/**
 * The summary of a recorded judgement, re-decided against `threshold` (the workspace's threshold may have changed
 * since the image was first judged; the scores are what is reused).
 */
export function summarizeRecord(r: JudgementRecord, threshold: number | null): VerdictSummary {
  const score = r.score ?? 0;
  const t = threshold ?? r.threshold ?? 0.5;
  let explanation = '';
  let topWords: VerdictSummary['topWords'] = [];
  if (r.explanation) {
    try {
      const e = JSON.parse(r.explanation) as { summary?: string; topWords?: VerdictSummary['topWords'] };
      explanation = e.summary ?? '';
      topWords = Array.isArray(e.topWords) ? e.topWords : [];
    } catch {
      /* an unreadable explanation only loses the sentence */
    }
  }
  return {
    verdict: score > t ? 'hateful' : 'not_hateful',
    score,
    threshold: t,
    fusion: r.fusion ?? 'unknown',
    caption: r.caption ?? '',
    captionSource: r.captionSource ?? 'ocr',
    textScore: r.textScore,
    imageScore: r.imageScore,
    explanation,
    topWords,
    cached: true,
    imageSha256: r.imageSha256,
  };
}

export function verdictLines(v: VerdictSummary): string[] {
  const lines = [
    `${v.verdict === 'hateful' ? 'Hateful' : 'Not hateful'} — score ${pct(v.score)} (threshold ${pct(v.threshold)}, ${v.fusion})`,
    `caption (${v.captionSource}): ${v.caption ? `"${v.caption}"` : '(none read)'}`,
    `text ${pct(v.textScore)} · image ${pct(v.imageScore)}`,
  ];
  if (v.explanation) lines.push(v.explanation);
  if (v.topWords.length) lines.push(`words: ${v.topWords.map((w) => `${w.word} (+${w.effect.toFixed(2)})`).join(', ')}`);
  if (v.cached) lines.push('(same image judged before: recorded verdict reused)');
  return lines;
}

export function verdictReply(v: VerdictSummary, title = 'memeguard check'): NeutralReply {
  return { kind: 'verdict', title, verdict: v, text: verdictLines(v).join('\n') };
}

/** What a poster or channel is told when a meme is flagged. */
export function flagReply(v: VerdictSummary, deleted: boolean, detailed = true): NeutralReply {
  const head = deleted
    ? '⚠️ Your image was removed: memeguard judged it a hateful meme.'
    : '⚠️ memeguard flagged this image as a possibly hateful meme; moderators will review it.';
  return { kind: 'verdict', title: 'Flagged by memeguard', verdict: v, text: detailed ? [head, ...verdictLines(v)].join('\n') : head };
}

export function errorReply(e: unknown): NeutralReply & { kind: 'error' } {
  const err = asMemeguardError(e);
  const text = err.code === 'INTERNAL' ? 'memeguard hit an internal error; it was logged.' : err.toLine().replace(/\s*\n\s*/g, ' ');
  return { kind: 'error', code: err.code as ErrorCode, text };
}

export function infoReply(text: string): NeutralReply {
  return { kind: 'info', text };
}

export function configReply(settings: WorkspaceSettings, changed?: string, stats?: ReviewStats): NeutralReply {
  const head = changed ? `Updated ${changed}. Settings now:` : 'memeguard settings:';
  const lines = [head, describeSettings(settings)];
  if (stats) {
    const fpr = stats.falsePositiveRate === null ? 'n/a' : `${(stats.falsePositiveRate * 100).toFixed(1)}%`;
    lines.push(`flags: ${stats.flagged} · reviewed: ${stats.confirmed} confirmed, ${stats.overturned} overturned · false-positive rate: ${fpr}`);
  }
  return { kind: 'config', settings, text: lines.join('\n') };
}

export function progressReply(done: number, total: number, what = 'Evaluating'): NeutralReply {
  const p = total > 0 ? Math.floor((done / total) * 100) : 0;
  return { kind: 'progress', done, total, cancellable: true, text: `${what}: ${done}/${total} (${p}%)` };
}

export function modLogText(e: Omit<ModLogEntry, 'text'>): string {
  return [
    `${e.title} — judgement #${e.judgementId}`,
    `message ${e.link ?? e.messageId} in <#${e.channelId}> by <@${e.authorId}>`,
    ...verdictLines(e.verdict),
    `action: ${e.actionTaken}`,
  ].join('\n');
}
