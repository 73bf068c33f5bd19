/**
 * What `/evaluate` needs from src/eval, as one function the moderator is given: run the evaluation of a labelled
 * split with progress and cancellation, and return the printable table and the ROC plot.
 */
export interface EvaluationRequest {
  dataDir: string;
  split: string;
  limit?: number;
  onProgress: (done: number, total: number) => void;
  signal: AbortSignal;
}

export interface EvaluationResult {
  /** Monospace table: each modality and fusion rule, accuracy and AUROC. */
  table: string;
  /** ROC curves as PNG. */
  rocPng?: Uint8Array;
  /** Metrics to record with the run (JSON-serialisable). */
  summary: unknown;
}

export type EvaluationRunner = (request: EvaluationRequest) => Promise<EvaluationResult>;
