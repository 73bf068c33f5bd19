import type { ErrorCode } from '../../errors.js';
import type { ReviewDecision, WorkspaceRef, WorkspaceSettings } from '../types.js';

/**
 * The moderation store behind a repository interface (DESIGN.md: it may move to Postgres), so every method is
 * async even though the SQLite implementation is synchronous underneath. No image bytes are ever stored.
 */

export interface NewJudgement extends WorkspaceRef {
  channelId: string;
  messageId: string;
  authorId: string;
  imageSha256: string;
  /** 64-bit perceptual hash (hex), null when the image could not be decoded. */
  phash: string | null;
  /** The engine's pack fingerprint: cached verdicts are only reused for the same pack. */
  packFingerprint: string;
  caption: string | null;
  captionSource: 'ocr' | 'given' | null;
  textScore: number | null;
  imageScore: number | null;
  score: number | null;
  threshold: number | null;
  fusion: string | null;
  verdict: 'hateful' | 'not_hateful' | null;
  /** JSON of the explanation (summary and word effects). */
  explanation: string | null;
  /** The judgement this one reused (repeat image), or null when the models ran. */
  cachedFrom: number | null;
  /** Why the image could not be judged. */
  errorCode: ErrorCode | null;
  actionTaken: string;
}

export interface JudgementRecord extends NewJudgement {
  id: number;
  createdAt: string;
}

export interface NewReview extends WorkspaceRef {
  judgementId: number;
  reviewerId: string;
  decision: ReviewDecision;
}

export interface ReviewRecord extends NewReview {
  id: number;
  createdAt: string;
}

export interface ReviewCounts {
  /** Judgements with a hateful verdict. */
  flagged: number;
  /** Flags whose latest review is confirm or delete. */
  confirmed: number;
  /** Flags whose latest review is not_hateful. */
  overturned: number;
}

export interface NewEvaluationRun extends WorkspaceRef {
  requesterId: string;
  dataDir: string;
  split: string;
  limit: number | null;
}

export interface EvaluationRunRecord extends NewEvaluationRun {
  id: number;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  /** JSON summary (metrics) or the error line. */
  result: string | null;
}

export interface ModerationStore {
  getSettings(ref: WorkspaceRef): Promise<WorkspaceSettings | null>;
  saveSettings(ref: WorkspaceRef, settings: WorkspaceSettings): Promise<void>;

  recordJudgement(j: NewJudgement): Promise<number>;
  getJudgement(id: number): Promise<JudgementRecord | null>;
  setJudgementAction(id: number, actionTaken: string): Promise<void>;
  /** The earliest model-run judgement of this image in this workspace with this pack (the repeat-image cache). */
  findVerdictBySha(ref: WorkspaceRef, imageSha256: string, packFingerprint: string): Promise<JudgementRecord | null>;
  /** Whether this image of this message was already judged (edits re-send unchanged images). */
  hasJudgementForMessage(ref: WorkspaceRef, messageId: string, imageSha256: string): Promise<boolean>;
  countJudgements(ref: WorkspaceRef): Promise<number>;
  listJudgements(ref: WorkspaceRef, options?: { limit?: number }): Promise<JudgementRecord[]>;

  recordReview(r: NewReview): Promise<number>;
  listReviews(judgementId: number): Promise<ReviewRecord[]>;
  reviewCounts(ref: WorkspaceRef): Promise<ReviewCounts>;

  startEvaluationRun(run: NewEvaluationRun): Promise<number>;
  finishEvaluationRun(id: number, status: EvaluationRunRecord['status'], result: string | null): Promise<void>;
  getEvaluationRun(id: number): Promise<EvaluationRunRecord | null>;

  close(): Promise<void>;
}
