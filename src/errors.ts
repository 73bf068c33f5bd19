/**
 * Errors that cross a boundary carry a stable code, a one-line message meant for a person,
 * and the CLI exit code that reports them (1: bad input or usage, 2: model/pack problem).
 */
export type ErrorCode =
  | 'BAD_INPUT' // generic unusable input
  | 'EMPTY_FILE'
  | 'NOT_AN_IMAGE'
  | 'UNSUPPORTED_IMAGE' // SVG, unknown formats
  | 'IMAGE_TOO_LARGE' // bytes or pixels over the limit
  | 'CORRUPT_IMAGE'
  | 'USAGE'
  | 'PACK_MISSING'
  | 'PACK_INVALID'
  | 'MODEL_INVALID'
  | 'NO_HEADS'
  | 'DOWNLOAD_FAILED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'DATASET_INVALID'
  | 'PERMISSION_DENIED'
  | 'INTERNAL';

const PACK_CODES: ReadonlySet<ErrorCode> = new Set(['PACK_MISSING', 'PACK_INVALID', 'MODEL_INVALID', 'NO_HEADS']);

export class MemeguardError extends Error {
  readonly code: ErrorCode;
  /** What a person can do about it, e.g. the command that fixes it. */
  readonly hint?: string;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'MemeguardError';
    this.code = code;
    this.hint = options.hint;
    this.cause = options.cause;
  }

  /** CLI exit code: 2 for model/pack problems, 1 for everything else. */
  get exitCode(): 1 | 2 {
    return PACK_CODES.has(this.code) ? 2 : 1;
  }

  /** One line for a person: the message, then the hint. */
  toLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function isMemeguardError(e: unknown): e is MemeguardError {
  return e instanceof MemeguardError;
}

/** Any thrown value as a MemeguardError (unknown errors become INTERNAL, message kept). */
export function asMemeguardError(e: unknown): MemeguardError {
  if (e instanceof MemeguardError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new MemeguardError('INTERNAL', message, { cause: e });
}
