import { availableParallelism } from 'node:os';
import { MemeguardError, isMemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import type { OcrResult } from '../types.js';
import { readCaption, readRaw, type CaptionReading, type PageReader, type ReadCaptionOptions } from './pipeline.js';
import { createTesseractWorker, type OcrPage, type PageSegMode, type TesseractWorkerLike } from './tesseract.js';

/**
 * A pool of tesseract.js workers for a long-running process:
 * - sized to the machine (one worker per core, at most 4), workers started on demand;
 * - each worker retired after `recycleAfter` jobs (tesseract.js memory only grows) and a fresh one started;
 * - a per-job timeout: a stuck worker is terminated and the job fails with TIMEOUT;
 * - a crashed or terminated worker is replaced and its job tried once more on a fresh worker.
 * `recognize` runs the meme caption pipeline (see pipeline.ts); `recognizeRaw` is plain tesseract (baseline).
 */
export interface OcrPoolOptions {
  /** Number of workers (default: cores, at most 4). */
  workers?: number;
  /** Jobs a worker does before it is replaced (default 100). */
  recycleAfter?: number;
  /** Per-job limit in ms (default 15000). */
  timeoutMs?: number;
  /** Limit for starting a worker (loading the model), in ms (default 60000). */
  startTimeoutMs?: number;
  /** Folder with eng.traineddata.gz (default: @tesseract.js-data/eng 4.0.0_best_int). */
  langPath?: string;
  /** Pipeline options (preprocessing, cleaning, image limits). */
  pipeline?: ReadCaptionOptions;
  /** Starts a worker; the default starts a real tesseract.js worker. Tests wrap it to reach the workers. */
  createWorker?: (opts: { langPath?: string }) => Promise<TesseractWorkerLike>;
}

export interface OcrPoolStats {
  /** Workers started so far. */
  started: number;
  /** Workers retired after recycleAfter jobs. */
  recycled: number;
  /** Workers replaced because they crashed, were terminated or timed out. */
  replaced: number;
  /** Jobs (tesseract calls) completed. */
  jobs: number;
  /** Workers alive now. */
  alive: number;
}

interface Slot {
  id: number;
  ready: Promise<TesseractWorkerLike>;
  jobs: number;
  busy: boolean;
}

export class OcrPool implements PageReader {
  readonly size: number;
  readonly recycleAfter: number;
  readonly timeoutMs: number;
  readonly startTimeoutMs: number;
  private readonly langPath?: string;
  private readonly pipeline: ReadCaptionOptions;
  private readonly createWorker: (opts: { langPath?: string }) => Promise<TesseractWorkerLike>;
  private slots: Slot[] = [];
  private waiting: Array<{ resolve: (slot: Slot) => void; reject: (e: Error) => void }> = [];
  private nextId = 1;
  private closed = false;
  private counters = { started: 0, recycled: 0, replaced: 0, jobs: 0 };

  constructor(opts: OcrPoolOptions = {}) {
    const cores = typeof availableParallelism === 'function' ? availableParallelism() : 1;
    this.size = Math.max(1, Math.floor(opts.workers ?? Math.min(4, cores)));
    this.recycleAfter = Math.max(1, Math.floor(opts.recycleAfter ?? 100));
    this.timeoutMs = Math.max(1, opts.timeoutMs ?? 15_000);
    this.startTimeoutMs = Math.max(1, opts.startTimeoutMs ?? 60_000);
    this.langPath = opts.langPath;
    this.pipeline = opts.pipeline ?? {};
    this.createWorker = opts.createWorker ?? ((o) => createTesseractWorker(o));
  }

  /** Reads a meme's caption (the pipeline). Bad images are refused with MemeguardError (from loadImage). */
  async recognize(image: Uint8Array, opts: { timeoutMs?: number } = {}): Promise<OcrResult> {
    const reading = await this.recognizeDetailed(image, opts);
    return { text: reading.text, lines: reading.lines, ms: reading.ms };
  }

  /** Like recognize, with the variant chosen and its credibility (for benchmarks and debugging). */
  async recognizeDetailed(image: Uint8Array, opts: { timeoutMs?: number } = {}): Promise<CaptionReading> {
    const reader: PageReader = { readPage: (png, psm) => this.readPage(png, psm, opts.timeoutMs) };
    return readCaption(image, reader, this.pipeline);
  }

  /** Plain tesseract.js on the image as given: the baseline the pipeline is measured against. */
  async recognizeRaw(image: Uint8Array, opts: { timeoutMs?: number } = {}): Promise<OcrResult> {
    return readRaw(image, { readPage: (png, psm) => this.readPage(png, psm, opts.timeoutMs) }, this.pipeline.limits);
  }

  stats(): OcrPoolStats {
    return { ...this.counters, alive: this.slots.length };
  }

  /** One tesseract call on a free worker, with the timeout and crash handling. */
  async readPage(png: Buffer, psm: PageSegMode, timeoutMs = this.timeoutMs): Promise<OcrPage> {
    for (let attempt = 0; ; attempt++) {
      const slot = await this.acquire();
      let timer: NodeJS.Timeout | undefined;
      try {
        const worker = await this.started(slot);
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new MemeguardError('TIMEOUT', `OCR took longer than ${timeoutMs} ms and was stopped`)),
            timeoutMs,
          );
        });
        const page = await Promise.race([worker.recognize(png, psm), timeout]);
        slot.jobs++;
        this.counters.jobs++;
        this.release(slot, 'ok');
        return page;
      } catch (e) {
        this.release(slot, 'broken');
        if (isMemeguardError(e)) {
          logger.warn('ocr job failed', { code: e.code, reason: e.message, worker: slot.id });
          throw e;
        }
        const reason = e instanceof Error ? e.message : String(e);
        logger.warn('ocr worker failed; replacing it', { worker: slot.id, reason, attempt });
        if (this.closed) throw new MemeguardError('CANCELLED', 'the OCR pool was closed during the job', { cause: e });
        if (attempt >= 1) throw new MemeguardError('INTERNAL', `OCR failed: ${reason}`, { cause: e });
      } finally {
        if (timer) clearTimeout(timer);
      }
    }
  }

  /** The slot's worker, once started; a start that hangs fails with TIMEOUT after startTimeoutMs. */
  private async started(slot: Slot): Promise<TesseractWorkerLike> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new MemeguardError('TIMEOUT', `the OCR worker did not start within ${this.startTimeoutMs} ms`)),
        this.startTimeoutMs,
      );
    });
    try {
      return await Promise.race([slot.ready, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private startSlot(): Slot {
    const id = this.nextId++;
    this.counters.started++;
    const ready = this.createWorker({ langPath: this.langPath }).catch((e: unknown) => {
      const reason = e instanceof Error ? e.message : String(e);
      throw new MemeguardError('MODEL_INVALID', `the OCR model could not be loaded: ${reason}`, {
        hint: 'reinstall @tesseract.js-data/eng (npm ci) or check langPath',
        cause: e,
      });
    });
    ready.catch(() => {}); // observed by whoever awaits it
    const slot: Slot = { id, ready, jobs: 0, busy: true };
    this.slots.push(slot);
    logger.debug('ocr worker started', { worker: id });
    return slot;
  }

  private acquire(): Promise<Slot> {
    if (this.closed) return Promise.reject(new MemeguardError('CANCELLED', 'the OCR pool is closed'));
    const idle = this.slots.find((s) => !s.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.slots.length < this.size) return Promise.resolve(this.startSlot());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private retire(slot: Slot): void {
    this.slots = this.slots.filter((s) => s !== slot);
    slot.ready.then((w) => w.terminate()).catch(() => {});
  }

  private release(slot: Slot, outcome: 'ok' | 'broken'): void {
    if (outcome === 'broken') {
      this.counters.replaced++;
      this.retire(slot);
    } else if (slot.jobs >= this.recycleAfter) {
      this.counters.recycled++;
      logger.debug('ocr worker recycled', { worker: slot.id, jobs: slot.jobs });
      this.retire(slot);
    } else {
      slot.busy = false;
    }
    const next = this.waiting.shift();
    if (!next) return;
    if (this.closed) return;
    const idle = this.slots.find((s) => !s.busy);
    if (idle) {
      idle.busy = true;
      next.resolve(idle);
    } else next.resolve(this.startSlot());
  }

  /** Terminates every worker; pending and later jobs fail with CANCELLED. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots;
    this.slots = [];
    for (const w of this.waiting.splice(0)) w.reject(new MemeguardError('CANCELLED', 'the OCR pool is closed'));
    // A worker still starting is terminated when it is ready; close() does not wait longer than the start limit.
    const ended = Promise.all(slots.map((s) => s.ready.then((w) => w.terminate()).catch(() => {})));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.startTimeoutMs);
      timer.unref();
    });
    await Promise.race([ended, limit]);
    clearTimeout(timer);
  }
}
