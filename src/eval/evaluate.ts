import path from 'node:path';
import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';
import type { Heads } from '../inference/heads/apply.js';
import { readHeads } from '../inference/heads/load.js';
import { readPack } from '../inference/pack/load.js';
import type { Engine } from '../inference/types.js';
import { defaultCacheDir } from './cache.js';
import { labelsOf, readDataset } from './dataset.js';
import { cancelled, computeFeatures, type DatasetRunOptions } from './features.js';
import { featureFingerprint } from './fingerprint.js';
import { auroc, bestThreshold, metricsAt, type Confusion } from './metrics.js';
import { itemScores, scoreNames, type ScoringContext } from './scores.js';

/**
 * `memeguard evaluate` and the chat `/evaluate`: metrics of each modality alone, each built-in fusion and each
 * learned fusion on a labelled split, at the pack's threshold, plus the accuracy-maximising threshold.
 */
export interface EvaluationRow {
  model: string;
  accuracy: number;
  /** null when the split has one class only (AUROC undefined). */
  auroc: number | null;
  precision: number;
  recall: number;
  f1: number;
  /** The pack's threshold (hateful iff score > threshold). */
  threshold: number;
  confusion: Confusion;
  best_threshold: number;
  best_accuracy: number;
  /** Items this model could not score (e.g. no caption), counted as 0.5. */
  missing: number;
}

export interface EvaluationPrediction {
  id: string | number;
  /** null only when scoring an unlabelled split (allowUnlabeled). */
  label: 0 | 1 | null;
  /** Per model name; null when that model could not score the item. */
  scores: Record<string, number | null>;
}

export interface EvaluationReport {
  split: string;
  n: number;
  data: string;
  layout: string;
  pack: { dir: string; name: string; fingerprint: string };
  threshold: number;
  rows: EvaluationRow[];
  predictions: EvaluationPrediction[];
  warnings: string[];
  features: { cached: number; computed: number };
  durationS: number;
}

export interface RunEvaluationOptions extends DatasetRunOptions {
  /** Feature cache folder; default defaultCacheDir(); null disables the cache. */
  cacheDir?: string | null;
  /**
   * Score a split whose items have no labels at all (the test splits): predictions only, no rows.
   * A split with some labels missing is still refused. Default false: an unlabelled item is an error.
   */
  allowUnlabeled?: boolean;
}

async function scoringContext(engine: Engine): Promise<{ ctx: ScoringContext; fingerprint: string; dir: string; name: string }> {
  const pack = await readPack(engine.info.packDir);
  let heads: Heads | undefined;
  if (pack.json.heads) heads = await readHeads(path.resolve(pack.dir, pack.json.heads));
  return { ctx: { pack: pack.json, heads }, fingerprint: await featureFingerprint(pack), dir: pack.dir, name: pack.json.name };
}

export async function runEvaluation(opts: RunEvaluationOptions): Promise<EvaluationReport> {
  const started = Date.now();
  if (opts.signal?.aborted) throw cancelled();
  const { ctx, fingerprint, dir, name } = await scoringContext(opts.engine);
  const names = scoreNames(ctx);
  if (names.length === 0) {
    throw new MemeguardError('NO_HEADS', `the pack at ${dir} cannot score anything: it has encoders but no trained heads`, {
      hint: 'run `memeguard train --data DIR`',
    });
  }
  const ds = await readDataset(opts.dataDir, {
    split: opts.split,
    purpose: 'evaluate',
    limit: opts.limit,
    sample: opts.sample,
    seed: opts.seed ?? 0,
    requireLabels: !opts.allowUnlabeled,
  });
  const unlabeled = opts.allowUnlabeled === true && ds.items.every((it) => it.label === undefined);
  const labels: (0 | 1)[] = unlabeled ? [] : labelsOf(ds.items);
  const { rows: feats, stats } = await computeFeatures({
    engine: opts.engine,
    items: ds.items,
    cacheDir: opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir,
    fingerprint,
    concurrency: opts.concurrency,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  if (opts.signal?.aborted) throw cancelled();

  const predictions: EvaluationPrediction[] = feats.map((r, i) => ({
    id: r.item.id,
    label: unlabeled ? null : labels[i],
    scores: itemScores(r.features, ctx, names),
  }));
  const threshold = ctx.pack.fusion.threshold;
  const warnings: string[] = [];
  if (unlabeled) warnings.push(`split "${ds.split}" has no labels: scores only, no metrics`);
  const rows: EvaluationRow[] = (unlabeled ? [] : names).map((model) => {
    let missing = 0;
    const scores = predictions.map((p) => {
      const s = p.scores[model];
      if (s === null || s === undefined) {
        missing++;
        return 0.5;
      }
      return s;
    });
    if (missing > 0) warnings.push(`${model}: ${missing} of ${scores.length} items could not be scored and count as 0.5`);
    const m = metricsAt(scores, labels, threshold);
    const best = bestThreshold(scores, labels);
    return {
      model,
      accuracy: m.accuracy,
      auroc: auroc(scores, labels),
      precision: m.precision,
      recall: m.recall,
      f1: m.f1,
      threshold,
      confusion: m.confusion,
      best_threshold: best.threshold,
      best_accuracy: best.accuracy,
      missing,
    };
  });
  if (!unlabeled && labels.every((l) => l === labels[0])) warnings.push('every item has the same label: AUROC is undefined (null)');
  for (const w of warnings) logger.warn('evaluate', { split: ds.split, warning: w });
  return {
    split: ds.split,
    n: ds.items.length,
    data: ds.dir,
    layout: ds.layout,
    pack: { dir, name, fingerprint: opts.engine.info.fingerprint },
    threshold,
    rows,
    predictions,
    warnings,
    features: stats,
    durationS: (Date.now() - started) / 1000,
  };
}

/** The `--json` object: {"split","n","rows":[...]} (plus where the numbers came from). */
export function reportJson(report: EvaluationReport): Record<string, unknown> {
  return {
    split: report.split,
    n: report.n,
    data: report.data,
    pack: report.pack.name,
    threshold: report.threshold,
    rows: report.rows,
  };
}

/** The `--predictions` file: one JSON line per item. */
export function predictionsJsonl(report: EvaluationReport): string {
  return report.predictions.map((p) => JSON.stringify({ id: p.id, label: p.label, scores: p.scores })).join('\n') + '\n';
}

const fmt = (x: number | null, digits = 3) => (x === null ? 'n/a' : x.toFixed(digits));

/** A readable table, one row per model, as the seed reported BERT / ResNet-152 / fused. */
export function formatReportTable(report: EvaluationReport): string {
  const header = ['model', 'accuracy', 'AUROC', 'precision', 'recall', 'F1', 'TP', 'FP', 'TN', 'FN', 'best thr', 'best acc'];
  const body = report.rows.map((r) => [
    r.model,
    fmt(r.accuracy),
    fmt(r.auroc),
    fmt(r.precision),
    fmt(r.recall),
    fmt(r.f1),
    String(r.confusion.tp),
    String(r.confusion.fp),
    String(r.confusion.tn),
    String(r.confusion.fn),
    fmt(r.best_threshold),
    fmt(r.best_accuracy),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const pos = report.predictions.filter((p) => p.label === 1).length;
  const labelled = report.predictions.some((p) => p.label !== null);
  const out = [
    `split ${report.split} of ${report.data}: ${report.n} items (${labelled ? `${pos} hateful` : 'no labels'}), pack ${report.pack.name}, threshold ${report.threshold}`,
  ];
  // An unlabelled split (evaluate --predictions on a test split) has no rows: no empty table under the header.
  if (report.rows.length > 0) out.push('', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line));
  for (const w of report.warnings) out.push(`note: ${w}`);
  return out.join('\n');
}
