import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';
import type { Features } from '../inference/types.js';

/**
 * On-disk cache of per-item features, one append-only JSONL file per pack fingerprint:
 * `<cacheDir>/<fingerprint>.jsonl`, one record a line keyed by sha256(image sha256 + caption).
 *
 * Each record is written with one write(2) of one whole line, so an interrupted run leaves at worst a partial
 * last line; it is ignored (and cut off) on the next open, and the run resumes from the records before it.
 */

export function defaultCacheDir(): string {
  if (process.env.MEMEGUARD_CACHE_DIR) return path.resolve(process.env.MEMEGUARD_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'memeguard', 'features');
}

/** The cache key of one item: its image bytes' sha256 and the caption given (or OCR when none is given). */
export function featureKey(imageSha256: string, caption: string | undefined): string {
  return createHash('sha256')
    .update(imageSha256)
    .update(caption === undefined ? '\u0000ocr' : `\u0001${caption}`)
    .digest('hex');
}

const f32 = z.string();
const recordSchema = z.object({
  k: z.string().length(64),
  caption: z.object({ text: z.string(), source: z.enum(['ocr', 'given']) }),
  text: z.object({ score: z.number().nullable(), emb: f32.optional() }).optional(),
  image: z.object({ score: z.number().nullable(), emb: f32.optional() }).optional(),
});
type CacheRecord = z.infer<typeof recordSchema>;

function encodeF32(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function decodeF32(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

function toRecord(k: string, f: Features): CacheRecord {
  const mod = (m: Features['text']) =>
    m === undefined ? undefined : { score: m.score, ...(m.embedding ? { emb: encodeF32(m.embedding) } : {}) };
  return { k, caption: f.caption, text: mod(f.text), image: mod(f.image) };
}

function fromRecord(r: CacheRecord): Features {
  const mod = (m: CacheRecord['text']) =>
    m === undefined ? undefined : { score: m.score, ...(m.emb !== undefined ? { embedding: decodeF32(m.emb) } : {}) };
  const f: Features = { caption: r.caption };
  const text = mod(r.text);
  const image = mod(r.image);
  if (text) f.text = text;
  if (image) f.image = image;
  return f;
}

export class FeatureCache {
  private readonly entries = new Map<string, Features>();
  private fd: number | null = null;
  readonly file: string;

  private constructor(file: string) {
    this.file = file;
  }

  /** Open (or create) the cache file of a pack fingerprint; skips and cuts off a partial last record. */
  static open(cacheDir: string, fingerprint: string): FeatureCache {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(fingerprint)) {
      throw new MemeguardError('INTERNAL', `feature cache: unusable fingerprint ${JSON.stringify(fingerprint)}`);
    }
    try {
      mkdirSync(cacheDir, { recursive: true });
    } catch (e) {
      throw new MemeguardError('BAD_INPUT', `cannot create the feature cache folder ${cacheDir}: ${(e as Error).message}`, {
        hint: 'set MEMEGUARD_CACHE_DIR or pass --cache DIR',
        cause: e,
      });
    }
    const cache = new FeatureCache(path.join(cacheDir, `${fingerprint}.jsonl`));
    cache.load();
    return cache;
  }

  private load(): void {
    const exists = existsSync(this.file);
    // O_APPEND: every write lands at the end of the file, even with another process appending to it too.
    this.fd = openSync(this.file, 'a+');
    if (!exists) return;
    const raw = readFileSync(this.file, 'utf8');
    const lastNewline = raw.lastIndexOf('\n');
    const complete = raw.slice(0, lastNewline + 1);
    let skipped = 0;
    for (const line of complete.split('\n')) {
      if (line === '') continue;
      try {
        const r = recordSchema.parse(JSON.parse(line));
        this.entries.set(r.k, fromRecord(r));
      } catch {
        skipped++;
      }
    }
    const size = fstatSync(this.fd).size;
    const completeBytes = Buffer.byteLength(complete, 'utf8');
    if (size > completeBytes) {
      // An interrupted write left a partial record: cut it off so the next record starts on its own line.
      ftruncateSync(this.fd, completeBytes);
      logger.warn('feature cache: dropped a partial record left by an interrupted run', { file: this.file });
    }
    if (skipped > 0) logger.warn('feature cache: skipped unreadable records', { file: this.file, skipped });
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Features | undefined {
    return this.entries.get(key);
  }

  /** Store one record: one write of one whole line at the end of the file. */
  put(key: string, features: Features): void {
    if (this.fd === null) throw new MemeguardError('INTERNAL', 'feature cache is closed');
    this.entries.set(key, features);
    const line = Buffer.from(JSON.stringify(toRecord(key, features)) + '\n', 'utf8');
    let off = 0;
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

// Re-exported for tests that inspect the file.
export function readCacheLines(file: string): string[] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return buf.toString('utf8').split('\n').filter((l) => l !== '');
  } finally {
    closeSync(fd);
  }
}
