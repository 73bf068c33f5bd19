/**
 * The contract between the inference core and everything that uses it (bot, adapters, eval, CLI).
 * Keep it small: DESIGN.md promises that the Engine can move behind a job queue without callers noticing.
 */

export type Modality = 'text' | 'image';
export type DeviceName = 'cpu' | 'cuda';

export interface AnalyzeInput {
  /** Encoded image bytes (PNG, JPEG, WebP, GIF, AVIF ...). */
  image: Uint8Array;
  /** The caption; when absent, OCR reads it from the image. */
  caption?: string;
  /** Overrides the pack's threshold. */
  threshold?: number;
  /**
   * Compute the leave-one-word-out word effects (one extra text-model batch): true (default), false, or 'hateful'
   * to compute them only for a hateful verdict (the bot: explanations are shown for flags, and they cost more than
   * the verdict on a CPU).
   */
  explain?: boolean | 'hateful';
}

export interface ModalityVerdict {
  /** p(hateful) from this modality, or null when it cannot be scored. */
  score: number | null;
  /** Why score is null (no model, no head, empty caption ...). */
  reason?: string;
}

export interface WordEffect {
  word: string;
  /** text score with the word minus text score without it: > 0 means the word pushed towards hateful. */
  effect: number;
}

export interface Explanation {
  summary: string;
  /** Which modality drove the decision. */
  driver: Modality | 'both' | 'none';
  words: WordEffect[];
}

export interface Verdict {
  verdict: 'hateful' | 'not_hateful';
  /** The fused score compared with the threshold. */
  score: number;
  threshold: number;
  /** The fusion rule used (e.g. 'seed-sum'). */
  fusion: string;
  caption: { text: string; source: 'ocr' | 'given' };
  text: ModalityVerdict;
  image: ModalityVerdict;
  explanation: Explanation;
  /** Per-stage milliseconds: decode, ocr, tokenize, text, image, fusion, explain, total. */
  timings_ms: Record<string, number>;
  device: DeviceName;
  /** sha256 (hex) of the image bytes as given. */
  imageSha256: string;
}

/** What the encoders produce before any head (`memeguard embed`, training features). */
export interface Embeddings {
  text?: { input_ids: number[]; pooling: 'cls' | 'mean'; embedding: number[] };
  image?: { embedding: number[] };
}

/**
 * Per-item features for training and evaluation: each modality's embedding (encoders) and its score when the
 * pack can score it (classifier kinds, or encoders with a trained head).
 */
export interface Features {
  caption: { text: string; source: 'ocr' | 'given' };
  text?: { embedding?: Float32Array; score: number | null };
  image?: { embedding?: Float32Array; score: number | null };
}

export interface OcrLine {
  text: string;
  confidence: number;
}

export interface OcrResult {
  text: string;
  lines: OcrLine[];
  ms: number;
}

export interface EngineInfo {
  packDir: string;
  packName: string;
  device: DeviceName;
  text: { kind: 'encoder' | 'classifier'; hiddenSize?: number } | null;
  image: { kind: 'encoder' | 'classifier'; hiddenSize?: number } | null;
  /** Fusion rules this pack can compute: 'seed-sum', 'weighted-mean' and learned ones from the heads. */
  fusions: string[];
  /** A stable fingerprint of the pack's files (model files, heads), for caches. */
  fingerprint: string;
  /** Why a modality cannot be scored, e.g. "no heads: run memeguard train". */
  warnings: string[];
  /** Set when the pack can score neither modality (analyze throws NO_HEADS): why, e.g. "text and image: pack has no heads". */
  cannotScore?: string;
}

export interface Engine {
  readonly info: EngineInfo;
  analyze(input: AnalyzeInput): Promise<Verdict>;
  embed(input: { image: Uint8Array; caption?: string }): Promise<Embeddings>;
  features(input: { image: Uint8Array; caption?: string }): Promise<Features>;
  ocr(image: Uint8Array): Promise<OcrResult>;
  close(): Promise<void>;
}
