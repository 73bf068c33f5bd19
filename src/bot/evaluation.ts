import type { Engine } from '../inference/types.js';
import { formatReportTable, runEvaluation } from '../eval/evaluate.js';
import { renderRocPng } from '../eval/plot.js';

/**
 * What `/evaluate` needs from src/eval, as one function the moderator is given: run the evaluation of a labelled
 * split with progress and cancellation, and return the printable table and the ROC plot.
 */
export interface EvaluationRequest {
  dataDir: string;
  /** undefined: the data set's default evaluation split (dev_seen, or dev). */
  split?: string;
  limit?: number;
  onProgress: (done: number, total: number) => void;
  signal: AbortSignal;
}

export interface EvaluationResult {
  /** The split that was evaluated. */
  split: string;
  /** Monospace table: each modality and fusion rule, accuracy and AUROC. */
  table: string;
  /** ROC curves as PNG. */
  rocPng?: Uint8Array;
  /** Metrics to record with the run (JSON-serialisable). */
  summary: unknown;
}

export type EvaluationRunner = (request: EvaluationRequest) => Promise<EvaluationResult>;

/** The real runner: src/eval's runEvaluation on the process's engine, its table and its ROC plot. */
export function engineEvaluationRunner(engine: Engine, options: { cacheDir?: string | null } = {}): EvaluationRunner {
  return async ({ dataDir, split, limit, onProgress, signal }) => {
    const report = await runEvaluation({
      engine,
      dataDir,
      split,
      limit,
      cacheDir: options.cacheDir,
      onProgress: (p) => onProgress(p.done, p.total),
      signal,
    });
    const { predictions: _predictions, ...summary } = report;
    return { split: report.split, table: formatReportTable(report), rocPng: new Uint8Array(await renderRocPng(report)), summary };
  };
}
