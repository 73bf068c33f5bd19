/** The Engine's OCR: a pool given by the caller, or its own OcrPool made on first use. */
import type { OcrPoolOptions } from './ocr/pool.js';
import type { OcrResult } from './types.js';

export interface OcrLike {
  recognize(image: Uint8Array): Promise<OcrResult>;
  close(): Promise<void>;
}

export type OcrOptions = OcrPoolOptions;

function isOcrLike(x: unknown): x is OcrLike {
  return typeof (x as OcrLike | undefined)?.recognize === 'function';
}

/** `owned`: whether the engine made the pool (and so closes it). */
export async function createOcr(opt: OcrLike | OcrOptions | undefined): Promise<{ pool: OcrLike; owned: boolean }> {
  if (isOcrLike(opt)) return { pool: opt, owned: false };
  const { OcrPool } = await import('./ocr/pool.js');
  return { pool: new OcrPool(opt), owned: true };
}
