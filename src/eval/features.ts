import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { asMemeguardError, MemeguardError } from '../errors.js';
import { logger } from '../log.js';
import type { Engine, Features } from '../inference/types.js';
import { FeatureCache, featureKey } from './cache.js';
import type { DatasetItem } from './dataset.js';
import { ProgressClock, type ProgressCallback } from './progress.js';

/**
 * Features of every item of a data set through the Engine, with the on-disk cache: items already cached for this
 * pack fingerprint never reach the models. Calls run concurrently (the engine micro-batches them).
 */
export interface ComputeFeaturesOptions {
  engine: Engine;
  items: DatasetItem[];
  /** Cache folder; null disables the cache. */
  cacheDir: string | null;
  /** The cache's key for this pack (featureFingerprint); default engine.info.fingerprint. */
  fingerprint?: string;
  /** Items in flight at once (default 16). */
  concurrency?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** What `runEvaluation` and `runTraining` share: which items of which data set, and how their features are computed. */
export interface DatasetRunOptions {
  engine: Engine;
  dataDir: string;
  /** The split to read (evaluation: dev_seen or dev; training: train; "all" for a folder-per-class data set). */
  split?: string;
  limit?: number;
  sample?: number;
  /** Seed of --sample (default 0). */
  seed?: number;
  concurrency?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface ItemFeatures {
  item: DatasetItem;
  features: Features;
}

export interface FeatureRunStats {
  /** Items answered by the cache. */
  cached: number;
  /** Items sent through the engine. */
  computed: number;
}

export function cancelled(): MemeguardError {
  return new MemeguardError('CANCELLED', 'cancelled');
}

export async function computeFeatures(opts: ComputeFeaturesOptions): Promise<{ rows: ItemFeatures[]; stats: FeatureRunStats }> {
  const { engine, items, signal } = opts;
  const cache = opts.cacheDir === null ? null : FeatureCache.open(opts.cacheDir, opts.fingerprint ?? engine.info.fingerprint);
  const clock = new ProgressClock(items.length);
  const out: (Features | undefined)[] = new Array(items.length);
  const stats: FeatureRunStats = { cached: 0, computed: 0 };
  let done = 0;
  let next = 0;
  let failure: unknown = null;
  const report = () => opts.onProgress?.(clock.at(done));

  const one = async (i: number): Promise<void> => {
    const item = items[i];
    let bytes: Buffer;
    try {
      bytes = await readFile(item.imagePath);
    } catch (e) {
      throw new MemeguardError('DATASET_INVALID', `${item.where}: cannot read image ${item.imagePath}: ${(e as Error).message}`);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    const key = featureKey(sha, item.text);
    const hit = cache?.get(key);
    if (hit) {
      out[i] = hit;
      stats.cached++;
      return;
    }
    let f: Features;
    try {
      f = await engine.features({ image: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), caption: item.text });
    } catch (e) {
      const err = asMemeguardError(e);
      if (err.code === 'CANCELLED') throw err;
      logger.warn('item could not be scored', { where: item.where, code: err.code, error: err.message });
      throw new MemeguardError('DATASET_INVALID', `${item.where}: ${err.message}`, { hint: `error code ${err.code}`, cause: e });
    }
    cache?.put(key, f);
    out[i] = f;
    stats.computed++;
  };

  const worker = async (): Promise<void> => {
    while (failure === null) {
      if (signal?.aborted) throw cancelled();
      const i = next++;
      if (i >= items.length) return;
      await one(i);
      done++;
      report();
    }
  };

  try {
    report();
    const n = Math.max(1, Math.min(opts.concurrency ?? 16, items.length));
    const results = await Promise.allSettled(Array.from({ length: n }, () => worker().catch((e) => ((failure ??= e), Promise.reject(e)))));
    if (failure !== null) throw failure;
    for (const r of results) if (r.status === 'rejected') throw r.reason;
    if (signal?.aborted) throw cancelled();
  } finally {
    cache?.close();
  }
  return { rows: items.map((item, i) => ({ item, features: out[i] as Features })), stats };
}
