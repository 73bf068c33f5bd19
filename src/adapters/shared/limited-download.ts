/**
 * A platform-neutral streaming HTTP download with a byte limit and a timeout, for the adapters' image downloads.
 * Each adapter keeps its own host allow-list, request headers and wording: it checks the URL before calling this,
 * and passes how each failure is worded.
 */
import { MemeguardError } from '../../errors.js';

/** What went wrong, for the adapter to word as its own error. */
export type DownloadFailure =
  | { kind: 'too-large'; bytes: number; declared: boolean }
  | { kind: 'status'; response: Response }
  | { kind: 'failed'; stage: 'request' | 'read'; error: unknown; timedOut: boolean; cancelled: boolean };

export interface LimitedDownloadOptions {
  maxBytes: number;
  timeoutMs: number;
  /** The caller's signal (cancel). */
  signal?: AbortSignal;
  /** Request headers (e.g. a bearer token: only ever sent to a URL the adapter allowed). */
  headers?: Record<string, string>;
  /** 'error' refuses redirects; 'follow' follows them. */
  redirect: 'error' | 'follow';
  /** A check of a successful (2xx) response before its body is read; returns the error to throw, if any. */
  checkResponse?: (response: Response) => MemeguardError | undefined;
  /** The adapter's error for each failure. */
  errorFor: (failure: DownloadFailure) => MemeguardError;
}

/**
 * GET `url` and return its body. Refuses a non-2xx status, a Content-Length over `maxBytes`, and stops reading the
 * stream as soon as it passes `maxBytes`, so a huge file is never held in memory; gives up after `timeoutMs`.
 */
export async function downloadWithLimit(url: string | URL, options: LimitedDownloadOptions): Promise<Uint8Array> {
  const { maxBytes, errorFor } = options;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const failed = (stage: 'request' | 'read', error: unknown) =>
    errorFor({ kind: 'failed', stage, error, timedOut: timeout.aborted, cancelled: options.signal?.aborted === true });
  let response: Response;
  try {
    response = await fetch(url, { headers: options.headers, redirect: options.redirect, signal });
  } catch (e) {
    throw failed('request', e);
  }
  const body = response.body;
  const refuse = async (err: MemeguardError): Promise<never> => {
    await body?.cancel().catch(() => undefined);
    throw err;
  };
  if (!response.ok) await refuse(errorFor({ kind: 'status', response }));
  const problem = options.checkResponse?.(response);
  if (problem) await refuse(problem);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) await refuse(errorFor({ kind: 'too-large', bytes: declared, declared: true }));
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw errorFor({ kind: 'too-large', bytes: total, declared: false });
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof MemeguardError) throw e;
    throw failed('read', e);
  }
  return concatBytes(chunks, total);
}

function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
