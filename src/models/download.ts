import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';
import { hashFileInto } from './hash.js';
import {
  hubHttpError,
  isRetryableStatus,
  lfsSha256,
  parseContentRange,
  sizeHeader,
  USER_AGENT,
  type FileRef,
} from './hub.js';
import type { FileProgress } from './progress.js';

/**
 * One file from the hub to disk: redirects followed by hand (so the token stays with the hub), retries with
 * backoff, resume with `Range` into `<dest>.part`, sha256 checked when the hub gives it, renamed when complete.
 */

/** Where bytes go. A seam: tests inject a writer that fails with ENOSPC. */
export interface WritableFile {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
/** Open `file` for writing: 'w' truncates, 'a' appends. */
export type OpenFile = (file: string, mode: 'w' | 'a') => Promise<WritableFile>;

export const openFileOnDisk: OpenFile = async (file, mode) => {
  const handle = await open(file, mode);
  return {
    async write(chunk) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    },
    close: () => handle.close(),
  };
};

export interface DownloadOptions {
  /** The hub's resolve URL of the file. */
  url: string;
  /** What the file is, for messages. */
  ref: FileRef;
  /** Final path on disk; the transfer goes to `${dest}.part`. */
  dest: string;
  /** Bearer token for the hub's origin only. */
  token?: string;
  /** Tries after the first (default 4). */
  retries?: number;
  /** First backoff in ms, doubled each retry up to 30 s (default 1000). */
  backoffMs?: number;
  /** Time allowed for the response headers (default 30 s). */
  timeoutMs?: number;
  /** Time allowed without a byte of body (default 60 s). */
  idleTimeoutMs?: number;
  openFile?: OpenFile;
  progress?: FileProgress;
  /** Label of the file in messages (default: the destination path). */
  label?: string;
  /** Stops the transfer (Ctrl-C): CANCELLED, the partial file kept for the next run. */
  signal?: AbortSignal;
}

export interface DownloadResult {
  size: number;
  sha256: string;
  /** True when the hub gave the sha256 (an LFS file) and it matched. */
  verifiedByHub: boolean;
  /** X-Repo-Commit: the commit the revision resolved to, when the hub says. */
  commit?: string;
  /** Number of requests that continued a partial file with Range. */
  resumed: number;
  attempts: number;
}

type FailureKind = 'unreachable' | 'dropped' | 'timeout' | 'status';

/** A failure worth another try; what is left after the last try decides the message. */
class RetryableFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Tries before a host that cannot be reached at all is given up on (usually offline, not flaky). */
const UNREACHABLE_TRIES = 3;
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The most specific words about a failure: an error code, else the innermost cause's message. */
function describeCause(e: unknown): string {
  const code = errorCode(e);
  if (code) return code;
  let cur: unknown = e;
  let message = e instanceof Error ? e.message : String(e);
  for (let i = 0; i < 5 && cur instanceof Error && cur.cause !== undefined; i++) {
    cur = cur.cause;
    if (cur instanceof Error && cur.message) message = cur.message;
  }
  return message;
}

function isDiskFull(e: unknown): boolean {
  const code = errorCode(e);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** Wait, or less when the signal fires. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface Answer {
  response: Response;
  /** Headers of every response in the redirect chain, hub first. */
  chain: Headers[];
  /** The URL that gave the final answer. */
  url: string;
}

export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const retries = options.retries ?? 4;
  const backoff = options.backoffMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const openFile = options.openFile ?? openFileOnDisk;
  const label = options.label ?? options.dest;
  const part = `${options.dest}.part`;
  const hubOrigin = new URL(options.url).origin;
  await mkdir(path.dirname(options.dest), { recursive: true });

  let resumed = 0;
  let lastFailure: RetryableFailure | undefined;
  /** A partial left by an earlier run may belong to another upload of the file: on a mismatch, start over once. */
  let restartedAfterMismatch = false;
  /** Restarts that are not the network's fault (a stale partial, a wrong range) do not use up tries, twice. */
  let freeRestarts = 2;
  let unreachable = 0;
  let triesMade = 0;

  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) {
      const wait = Math.min(30_000, lastFailure?.retryAfterMs ?? backoff * 2 ** (attempt - 1));
      // An unreachable host gets three tries in all (see below), so say "of 2" retries then, not "of 4".
      const planned = lastFailure?.kind === 'unreachable' ? Math.min(retries, UNREACHABLE_TRIES - 1) : retries;
      options.progress?.note(`${lastFailure?.message ?? 'failed'}; retry ${Math.min(attempt, planned)}/${planned} in ${(wait / 1000).toFixed(1)}s`);
      logger.warn('download retry', { file: label, attempt, reason: lastFailure?.message });
      await sleep(wait, options.signal);
    }
    triesMade++;
    const offset = await fileSize(part);
    // Hash the partial before asking: once the answer arrives its body must be read at once (a stream that errors
    // drops the chunks it had queued).
    const prefixHash = createHash('sha256');
    if (offset > 0) await hashFileInto(part, prefixHash);
    if (options.signal?.aborted) throw cancelled(label);
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, ms);
    };
    let gotResponse = false;
    try {
      arm(timeoutMs);
      const { response, chain, url: finalUrl } = await request(options.url, hubOrigin, offset, options.token, controller.signal);
      gotResponse = true;
      const first = (name: string) => chain.map((h) => h.get(name)).find((v) => v !== null && v !== undefined);
      const hubSha = lfsSha256(first('x-linked-etag')) ?? lfsSha256(chain[0].get('etag')) ?? lfsSha256(response.headers.get('etag'));
      const commit = first('x-repo-commit') ?? undefined;
      let total = sizeHeader(first('x-linked-size'));

      if (response.status === 416 && offset > 0) {
        // The partial is as long as (or longer than) the file: check it as it is, else start over.
        await response.body?.cancel();
        const unsatisfied = /^bytes\s+\*\/(\d+)$/i.exec(response.headers.get('content-range') ?? '');
        const whole = total ?? (unsatisfied ? Number(unsatisfied[1]) : undefined);
        if (whole !== undefined && whole === offset) {
          clearTimeout(timer);
          return await finish(part, options, label, hubSha, commit, resumed, attempt);
        }
        await rm(part, { force: true });
        lastFailure = new RetryableFailure('status', 'the saved partial file did not fit the server copy; starting over');
        if (freeRestarts-- > 0) attempt--; // not the network's fault: does not use up a try
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel();
        if (isRetryableStatus(response.status)) {
          const ra = sizeHeader(response.headers.get('retry-after'));
          throw new RetryableFailure('status', `the hub answered ${response.status}`, ra !== undefined ? ra * 1000 : undefined);
        }
        if (new URL(finalUrl).origin !== hubOrigin && (response.status === 401 || response.status === 403)) {
          // A CDN refusing its pre-signed link (expired while we retried): the next try asks the hub for a new one.
          throw new RetryableFailure('status', `the download server answered ${response.status}`);
        }
        throw hubHttpError(options.ref, response.status, response.headers, options.token !== undefined);
      }

      let mode: 'w' | 'a' = 'w';
      let start = 0;
      if (response.status === 206) {
        const cr = parseContentRange(response.headers.get('content-range'));
        if (!cr || cr.start !== offset) {
          // A range we did not ask for: do not splice it in, start over without Range.
          await response.body?.cancel();
          await rm(part, { force: true });
          options.progress?.note('the server sent an unexpected range; starting over');
          lastFailure = new RetryableFailure('status', 'unexpected Content-Range');
          if (freeRestarts-- > 0) attempt--;
          continue;
        }
        total = cr.total ?? total;
        mode = 'a';
        start = offset;
        resumed++;
      } else {
        if (offset > 0) options.progress?.note('the server ignored the byte range; downloading the whole file again');
        total = total ?? sizeHeader(response.headers.get('content-length'));
      }

      const hash = mode === 'a' ? prefixHash : createHash('sha256');
      options.progress?.start(total, start);
      let written = start;
      // Read the body eagerly into a bounded queue, apart from the disk writes: when a connection is cut, the body
      // stream throws away whatever it still held, and every byte already taken off it is one not fetched again.
      const body = startBodyPump(response.body, () => arm(idleTimeoutMs));
      arm(idleTimeoutMs);
      try {
        const out = await openFile(part, mode);
        try {
          for (;;) {
            const chunk = await body.next();
            if (!chunk) break;
            await out.write(chunk);
            hash.update(chunk);
            written += chunk.length;
            options.progress?.advance(chunk.length);
          }
        } finally {
          await out.close();
        }
        if (body.error() !== undefined) {
          const e = body.error();
          if (timedOut) throw new RetryableFailure('timeout', `no data for ${Math.round(idleTimeoutMs / 1000)}s`);
          throw new RetryableFailure('dropped', `connection dropped at ${written} of ${total ?? '?'} bytes (${describeCause(e)})`);
        }
      } finally {
        clearTimeout(timer);
        await body.cancel();
      }
      if (total !== undefined && written < total) {
        throw new RetryableFailure('dropped', `connection dropped at ${written} of ${total} bytes`);
      }
      if (total !== undefined && written > total) {
        await rm(part, { force: true });
        throw new MemeguardError('DOWNLOAD_FAILED', `${label}: got ${written} bytes, the hub announced ${total}; the bad file was removed`);
      }
      const got = hash.digest('hex');
      if (hubSha && got !== hubSha) {
        await rm(part, { force: true });
        if (start > 0 && !restartedAfterMismatch) {
          restartedAfterMismatch = true;
          options.progress?.note('checksum mismatch after resuming; downloading the whole file again');
          attempt--;
          continue;
        }
        throw new MemeguardError(
          'DOWNLOAD_FAILED',
          `checksum mismatch for ${label} (${options.ref.repo}@${options.ref.revision}: ${options.ref.file}): expected sha256 ${hubSha}, got ${got}; the bad file was removed`,
          { hint: 'run the pull again; if it repeats, the hub or a proxy is serving a corrupt copy' },
        );
      }
      await rename(part, options.dest);
      options.progress?.done();
      return { size: written, sha256: got, verifiedByHub: hubSha !== undefined, commit, resumed, attempts: attempt + 1 };
    } catch (e) {
      clearTimeout(timer);
      if (options.signal?.aborted) throw cancelled(label);
      if (e instanceof MemeguardError) throw e;
      if (isDiskFull(e)) {
        throw new MemeguardError('DOWNLOAD_FAILED', `disk full while writing ${label} (${errorCode(e)}) in ${path.dirname(options.dest)}`, {
          hint: 'free some space (or pull into another --dir) and run the pull again: it resumes where it stopped',
          cause: e,
        });
      }
      if (e instanceof RetryableFailure) {
        lastFailure = e;
      } else if (timedOut) {
        lastFailure = new RetryableFailure('timeout', `no answer within ${Math.round(timeoutMs / 1000)}s`);
      } else if (!gotResponse) {
        const code = errorCode(e);
        const kind: FailureKind = code === undefined || CONNECT_CODES.has(code) ? 'unreachable' : 'dropped';
        lastFailure = new RetryableFailure(kind, `cannot connect (${describeCause(e)})`);
        // A host that cannot be reached at all is usually offline, not flaky: give up after three tries.
        if (kind === 'unreachable' && ++unreachable >= UNREACHABLE_TRIES) break;
      } else {
        lastFailure = new RetryableFailure('dropped', `${(e as Error).message}`);
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
  throw finalFailure(lastFailure, options, label, hubOrigin, triesMade);
}

/** A partial that is already whole (a 416 answer): hash it, then rename. */
async function finish(
  part: string,
  options: DownloadOptions,
  label: string,
  hubSha: string | undefined,
  commit: string | undefined,
  resumed: number,
  attempt: number,
): Promise<DownloadResult> {
  const hash = createHash('sha256');
  const size = await hashFileInto(part, hash);
  const got = hash.digest('hex');
  if (hubSha && got !== hubSha) {
    await rm(part, { force: true });
    throw new MemeguardError(
      'DOWNLOAD_FAILED',
      `checksum mismatch for ${label}: expected sha256 ${hubSha}, got ${got}; the bad file was removed`,
      { hint: 'run the pull again' },
    );
  }
  await rename(part, options.dest);
  options.progress?.done();
  return { size, sha256: got, verifiedByHub: hubSha !== undefined, commit, resumed, attempts: attempt + 1 };
}

function cancelled(label: string): MemeguardError {
  return new MemeguardError('CANCELLED', `download of ${label} interrupted`, {
    hint: 'run the pull again: it resumes from the partial file',
  });
}

function finalFailure(
  failure: RetryableFailure | undefined,
  options: DownloadOptions,
  label: string,
  hubOrigin: string,
  triesMade: number,
): MemeguardError {
  const tries = `${triesMade} ${triesMade === 1 ? 'try' : 'tries'}`;
  switch (failure?.kind) {
    case 'unreachable':
      return new MemeguardError(
        'DOWNLOAD_FAILED',
        `cannot reach the hub at ${options.ref.endpoint} — ${failure.message} after ${tries}; are you offline?`,
        { hint: 'check the network, or set HF_ENDPOINT (or --endpoint) to a reachable mirror; to try memeguard offline, `memeguard models demo` writes a tiny random-weight pack' },
      );
    case 'timeout':
      return new MemeguardError('DOWNLOAD_FAILED', `download of ${label} timed out (${failure.message}) after ${tries}`, {
        hint: 'run the pull again: it resumes where it stopped',
      });
    case 'status':
      return new MemeguardError('DOWNLOAD_FAILED', `${failure.message} for ${label} after ${tries} (${hubOrigin})`, {
        hint: 'the hub is having trouble; try again later',
      });
    default:
      return new MemeguardError('DOWNLOAD_FAILED', `${failure?.message ?? 'connection dropped'} while downloading ${label}, after ${tries}`, {
        hint: 'run the pull again: it resumes from the partial file',
      });
  }
}

/** Most bytes held in memory between the network and the disk. */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;

interface BodyPump {
  /** The next chunk, or undefined at the end (or after an error: see error()). */
  next(): Promise<Uint8Array | undefined>;
  error(): unknown;
  cancel(): Promise<void>;
}

/** Pull a body stream as fast as it delivers (up to MAX_QUEUED_BYTES ahead of the consumer). */
function startBodyPump(stream: ReadableStream<Uint8Array> | null, onData: () => void): BodyPump {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = stream === null;
  let cancelled = false;
  let failure: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const reader = stream?.getReader();
  const pump = (async () => {
    if (!reader) return;
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        onData();
        queue.push(r.value);
        queued += r.value.length;
        wakeConsumer?.();
        while (queued > MAX_QUEUED_BYTES && !cancelled) await new Promise<void>((resolve) => (wakeProducer = resolve));
        if (cancelled) break;
      }
    } catch (e) {
      failure = e ?? new Error('body stream failed');
    } finally {
      ended = true;
      wakeConsumer?.();
    }
  })();
  return {
    async next() {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queued -= chunk.length;
          wakeProducer?.();
          return chunk;
        }
        if (ended) return undefined;
        await new Promise<void>((resolve) => (wakeConsumer = resolve));
      }
    },
    error: () => failure,
    async cancel() {
      cancelled = true;
      ended = true;
      wakeProducer?.();
      await reader?.cancel().catch(() => undefined);
      await pump;
    },
  };
}

/**
 * GET with redirects followed by hand. The Authorization header goes to the hub's origin only: a redirect to a CDN
 * (another host) gets a pre-signed URL that needs no token, and forwarding the token there would hand the user's
 * credential to a third party (and some CDNs reject requests that carry both a signature and a bearer token).
 */
async function request(url: string, hubOrigin: string, offset: number, token: string | undefined, signal: AbortSignal): Promise<Answer> {
  const chain: Headers[] = [];
  let current = url;
  for (let hop = 0; hop <= 10; hop++) {
    const headers: Record<string, string> = {
      'User-Agent': USER_AGENT,
      // Byte offsets and Content-Length must refer to the file itself, not a compressed stream.
      'Accept-Encoding': 'identity',
    };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    if (token && new URL(current).origin === hubOrigin) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(current, { headers, redirect: 'manual', signal });
    chain.push(response.headers);
    if (!REDIRECTS.has(response.status)) return { response, chain, url: current };
    const location = response.headers.get('location');
    await response.body?.cancel();
    if (!location) throw new RetryableFailure('status', `redirect ${response.status} without a Location`);
    current = new URL(location, current).toString();
  }
  throw new RetryableFailure('status', 'too many redirects');
}
