import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';

/**
 * Micro-batching: concurrent requests for one model are gathered until `maxSize` items wait or the oldest has
 * waited `maxWaitMs`, then run as ONE call of `runBatch`. One batch runs at a time per batcher (a CPU has no spare
 * cores for two); items that arrive meanwhile form the next batch.
 *
 * If a batch fails, its items are retried one by one, so a bad item fails alone and the others still get answers.
 */

export interface BatchOptions {
  /** Largest batch (1 disables batching). */
  maxSize: number;
  /** How long the first item of a batch may wait for company. */
  maxWaitMs: number;
}

export const DEFAULT_BATCH: BatchOptions = { maxSize: 8, maxWaitMs: 5 };

function envInt(name: string, min: number, max: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new MemeguardError('USAGE', `${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Options from the caller, else MEMEGUARD_BATCH_SIZE / MEMEGUARD_BATCH_WAIT_MS, else the defaults. */
export function resolveBatchOptions(opts?: Partial<BatchOptions>): BatchOptions {
  const maxSize = opts?.maxSize ?? envInt('MEMEGUARD_BATCH_SIZE', 1, 1024) ?? DEFAULT_BATCH.maxSize;
  const maxWaitMs = opts?.maxWaitMs ?? envInt('MEMEGUARD_BATCH_WAIT_MS', 0, 60_000) ?? DEFAULT_BATCH.maxWaitMs;
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new MemeguardError('USAGE', `batch maxSize must be a whole number >= 1, got ${maxSize}`);
  if (!(maxWaitMs >= 0)) throw new MemeguardError('USAGE', `batch maxWaitMs must be >= 0, got ${maxWaitMs}`);
  return { maxSize, maxWaitMs };
}

interface Pending<I, O> {
  item: I;
  enqueued: number;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export interface BatcherStats {
  /**
   * Sizes of the most recent batches (up to STATS_KEPT), oldest first; retries of a failed batch's items are not
   * counted. Bounded so that a long-running bot does not grow it forever.
   */
  batchSizes: number[];
  /** Batches and items run since start (not bounded). */
  batches: number;
  items: number;
}

export const STATS_KEPT = 10_000;

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private closed = false;
  readonly stats: BatcherStats = { batchSizes: [], batches: 0, items: 0 };

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly opts: BatchOptions,
    private readonly name = 'batch',
  ) {}

  submit(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new MemeguardError('CANCELLED', `${this.name}: the engine is closed`));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, enqueued: Date.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Reject everything still waiting; later submits are refused. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const left = this.queue.splice(0);
    for (const p of left) p.reject(new MemeguardError('CANCELLED', `${this.name}: the engine is closed`));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = Date.now() - this.queue[0].enqueued;
    if (this.queue.length >= this.opts.maxSize || waited >= this.opts.maxWaitMs && this.opts.maxWaitMs > 0) {
      this.flush();
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.opts.maxWaitMs - waited);
    // maxWaitMs 0 still lets the callers of the same tick join: the timer fires after the current microtasks.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.opts.maxSize);
    this.running = true;
    this.stats.batchSizes.push(batch.length);
    if (this.stats.batchSizes.length > STATS_KEPT) this.stats.batchSizes.splice(0, this.stats.batchSizes.length - STATS_KEPT);
    this.stats.batches++;
    this.stats.items += batch.length;
    this.execute(batch).finally(() => {
      this.running = false;
      this.schedule();
    });
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    try {
      const out = await this.runBatch(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`${this.name}: ${out.length} results for ${batch.length} items`);
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (e) {
      if (batch.length === 1) {
        batch[0].reject(e);
        return;
      }
      logger.warn('batch failed; retrying its items one by one', { batch: this.name, size: batch.length, error: (e as Error)?.message });
      for (const p of batch) {
        try {
          const [o] = await this.runBatch([p.item]);
          p.resolve(o);
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }
}
