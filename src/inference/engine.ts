/**
 * The Engine: one per process. It reads a model pack, owns the model runners, their micro-batchers and the OCR
 * pool, and turns a meme (image bytes + optional caption) into a Verdict with an explanation.
 *
 *   createEngine({ packDir })  -> a new engine (tests, tools)
 *   getSharedEngine(opts)      -> the process's engine (bot, CLI)
 */
import { z } from 'zod';
import { MemeguardError, asMemeguardError } from '../errors.js';
import { logger } from '../log.js';
import { MicroBatcher, resolveBatchOptions, type BatchOptions } from './batcher.js';
import { loadModels } from './engine-load.js';
import type { ImagePreprocessor, ImageRunner, TextRunner } from './engine-models.js';
import { createOcr, type OcrLike, type OcrOptions } from './engine-ocr.js';
import { captionWords, decisionDriver, leaveOneOutTexts, summarize, wordEffects } from './explain.js';
import { fuse, knownFusions, isHateful } from './fusion.js';
import type { Heads } from './heads/apply.js';
import { readHeads } from './heads/load.js';
import { loadImage } from './image/load.js';
import { packFingerprint } from './pack/fingerprint.js';
import { readPack, resolvePackDir, type PackLocation } from './pack/load.js';
import type {
  AnalyzeInput,
  DeviceName,
  Embeddings,
  Engine,
  EngineInfo,
  Features,
  ModalityVerdict,
  OcrResult,
  Verdict,
  WordEffect,
} from './types.js';
import path from 'node:path';

export interface EngineOptions {
  /** The pack folder (default: MEMEGUARD_MODELS, else models/default). */
  packDir?: string;
  /** Execution provider (default: MEMEGUARD_DEVICE, else CUDA when usable, else CPU). */
  device?: DeviceName;
  /** ONNX Runtime intra-op threads (default: MEMEGUARD_ORT_THREADS, else the runtime's choice). */
  threads?: number;
  /** Micro-batching (default: MEMEGUARD_BATCH_SIZE / MEMEGUARD_BATCH_WAIT_MS, else 8 items / 5 ms). */
  batch?: Partial<BatchOptions>;
  /** An OCR pool to use (the caller keeps owning it) or options for the engine's own pool (made on first use). */
  ocr?: OcrLike | OcrOptions;
  /** A fusion rule instead of the pack's fusion.rule. */
  fusion?: string;
}

export const TRAIN_HINT = 'run `memeguard train --data DIR`';

/** Sizes of the most recent batches run per model (see MicroBatcher). */
export interface BatchStats {
  text: number[];
  image: number[];
}

/** The Engine of this process, with its batching statistics (bench, tests). */
export interface LocalEngine extends Engine {
  readonly batchStats: BatchStats;
}

/** Captions longer than this many characters per model token are cut (at a word boundary) before tokenizing. */
const CHARS_PER_TOKEN = 12;

const analyzeInputSchema = z.object({
  image: z.instanceof(Uint8Array, { message: 'image must be the bytes of an image (Uint8Array/Buffer)' }),
  caption: z.string().optional(),
  threshold: z.number().min(0).max(1).optional(),
  explain: z.union([z.boolean(), z.literal('hateful')]).optional(),
});

const memeInputSchema = analyzeInputSchema.pick({ image: true, caption: true });

function checkInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new MemeguardError('BAD_INPUT', `${where}${issue.message}`);
  }
  return r.data;
}

/** Cut a caption to at most maxChars, at the last whitespace when there is one; collapse whitespace. */
export function truncateCaption(text: string, maxChars: number): string {
  let t = text.length > maxChars * 2 ? text.slice(0, maxChars * 2) : text;
  t = t.replace(/\s+/g, ' ').trim();
  if (t.length <= maxChars) return t;
  const cut = t.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return (space > maxChars / 2 ? cut.slice(0, space) : cut).trim();
}

interface TextItem {
  inputIds: number[];
  embedding?: Float32Array;
  score?: number;
}
interface ImageItem {
  embedding?: Float32Array;
  score?: number;
}

interface Caption {
  text: string;
  source: 'ocr' | 'given';
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

class Timer {
  readonly t: Record<string, number> = {};
  private readonly start = performance.now();
  async time<T>(stage: string, f: () => Promise<T>): Promise<T> {
    const s = performance.now();
    try {
      return await f();
    } finally {
      this.t[stage] = round((this.t[stage] ?? 0) + performance.now() - s);
    }
  }
  done(): Record<string, number> {
    this.t.total = round(performance.now() - this.start);
    return this.t;
  }
}

class MemeEngine implements Engine {
  /** The OCR pool, made on first use (one promise, so concurrent first calls share one pool). */
  private ocrReady: Promise<{ pool: OcrLike; owned: boolean }> | null = null;
  private closed = false;
  private readonly textBatcher?: MicroBatcher<string, TextItem>;
  private readonly imageBatcher?: MicroBatcher<Float32Array, ImageItem>;
  /** Why text / image cannot be scored, when it cannot (pack-level reasons). */
  private readonly textReason?: string;
  private readonly imageReason?: string;
  private readonly maxCaptionChars: number;

  constructor(
    readonly info: EngineInfo,
    private readonly pack: PackLocation,
    private readonly heads: Heads | undefined,
    private readonly text: TextRunner | undefined,
    private readonly image: { runner: ImageRunner; preprocess: ImagePreprocessor } | undefined,
    private readonly rule: string,
    batch: BatchOptions,
    private readonly ocrOption: OcrLike | OcrOptions | undefined,
    reasons: { text?: string; image?: string },
  ) {
    this.textReason = reasons.text;
    this.imageReason = reasons.image;
    const maxLength = pack.json.text?.maxLength ?? 128;
    this.maxCaptionChars = Math.max(256, maxLength * CHARS_PER_TOKEN);
    if (text) {
      this.textBatcher = new MicroBatcher<string, TextItem>(
        async (texts) => {
          const out = await text.encode(texts);
          return texts.map((_, i) => ({ inputIds: out.inputIds[i], embedding: out.embeddings?.[i], score: out.scores?.[i] }));
        },
        batch,
        'text',
      );
    }
    if (image) {
      this.imageBatcher = new MicroBatcher<Float32Array, ImageItem>(
        async (pixels) => {
          const out = await image.runner.run(pixels);
          return pixels.map((_, i) => ({ embedding: out.embeddings?.[i], score: out.scores?.[i] }));
        },
        batch,
        'image',
      );
    }
  }

  /** Sizes of the recent batches per model (for tests and bench). */
  get batchStats(): BatchStats {
    return { text: this.textBatcher?.stats.batchSizes ?? [], image: this.imageBatcher?.stats.batchSizes ?? [] };
  }

  private assertOpen(): void {
    if (this.closed) throw new MemeguardError('CANCELLED', 'the engine is closed');
  }

  async ocr(image: Uint8Array): Promise<OcrResult> {
    this.assertOpen();
    checkInput(memeInputSchema, { image });
    if (!this.ocrReady) {
      this.ocrReady = createOcr(this.ocrOption);
      this.ocrReady.catch(() => {
        this.ocrReady = null;
      });
    }
    const { pool } = await this.ocrReady;
    return pool.recognize(image);
  }

  /**
   * The caption: given (cut to length), or read by OCR. An OCR failure (timeout, crashed worker) does not fail the
   * meme: the caption is empty and `ocrError` says why, so the image is still judged.
   */
  private async caption(image: Uint8Array, given: string | undefined, timer: Timer): Promise<Caption & { ocrError?: string }> {
    if (given !== undefined) return { text: truncateCaption(given, this.maxCaptionChars), source: 'given' };
    if (!this.text) return { text: '', source: 'ocr' }; // nothing would read it
    try {
      const r = await timer.time('ocr', () => this.ocr(image));
      return { text: truncateCaption(r.text, this.maxCaptionChars), source: 'ocr' };
    } catch (e) {
      const err = asMemeguardError(e);
      if (err.code === 'CANCELLED' || err.code === 'BAD_INPUT') throw err;
      logger.warn('OCR failed; judging without a caption', { code: err.code, error: err.message });
      return { text: '', source: 'ocr', ocrError: err.message };
    }
  }

  private textScoreOf(item: TextItem): ModalityVerdict {
    if (this.textReason) return { score: null, reason: this.textReason };
    if (item.score !== undefined) return { score: item.score };
    if (item.embedding && this.heads?.text) return { score: this.heads.text.score(item.embedding) };
    return { score: null, reason: this.textReason ?? 'the text model gave no score' };
  }

  private imageScoreOf(item: ImageItem): ModalityVerdict {
    if (this.imageReason) return { score: null, reason: this.imageReason };
    if (item.score !== undefined) return { score: item.score };
    if (item.embedding && this.heads?.image) return { score: this.heads.image.score(item.embedding) };
    return { score: null, reason: 'the image model gave no score' };
  }

  /** Decode, OCR when needed, and run both models (batched). Shared by analyze, features and embed. */
  private async run(image: Uint8Array, givenCaption: string | undefined, timer: Timer) {
    const img = await timer.time('decode', () => loadImage(image));
    const imagePart = this.image
      ? timer.time('image', async () => {
          const pixels = await this.image!.preprocess.run(img);
          return this.imageBatcher!.submit(pixels);
        })
      : Promise.resolve(undefined);
    const textPart = (async () => {
      const caption = await this.caption(image, givenCaption, timer);
      if (!this.text || caption.text === '') return { caption, item: undefined };
      const item = await timer.time('text', () => this.textBatcher!.submit(caption.text));
      return { caption, item };
    })();
    // Wait for both before failing, so no work is left running behind an error.
    const [t, i] = await Promise.allSettled([textPart, imagePart]);
    if (t.status === 'rejected') throw t.reason;
    if (i.status === 'rejected') throw i.reason;
    const { ocrError, ...caption } = t.value.caption;
    return { sha256: img.sha256, caption: caption as Caption, ocrError, textItem: t.value.item, imageItem: i.value };
  }

  async analyze(input: AnalyzeInput): Promise<Verdict> {
    this.assertOpen();
    const args = checkInput(analyzeInputSchema, input);
    if (this.info.cannotScore) throw cannotScoreError(this.info);
    const timer = new Timer();
    try {
      const r = await this.run(args.image, args.caption, timer);
      const text: ModalityVerdict = !this.text
        ? { score: null, reason: this.textReason ?? 'the pack has no text model' }
        : r.textItem
          ? this.textScoreOf(r.textItem)
          : {
              score: null,
              reason:
                this.textReason ??
                (r.ocrError !== undefined
                  ? `the caption could not be read: ${r.ocrError}`
                  : r.caption.source === 'ocr'
                    ? 'no caption found'
                    : 'the caption is empty'),
            };
      const image: ModalityVerdict = r.imageItem
        ? this.imageScoreOf(r.imageItem)
        : { score: null, reason: this.imageReason ?? 'the pack has no image model' };
      const threshold = args.threshold ?? this.pack.json.fusion.threshold;

      const fusionStart = performance.now();
      let score: number;
      let rule: string;
      let note: string | undefined;
      if (text.score === null && image.score === null) {
        // The pack can score something, but not this meme (e.g. a text-only pack and no caption).
        score = 0;
        rule = 'none';
      } else {
        const f = fuse(
          this.rule,
          {
            pText: text.score,
            pImage: image.score,
            textEmbedding: r.textItem?.embedding,
            imageEmbedding: r.imageItem?.embedding,
          },
          { weights: this.pack.json.fusion.weights, learned: this.heads?.fusions },
        );
        score = f.score;
        rule = f.rule;
        note = f.note;
      }
      const hateful = isHateful(score, threshold);
      timer.t.fusion = round(performance.now() - fusionStart);

      let words: WordEffect[] = [];
      const explain = args.explain === 'hateful' ? hateful : args.explain !== false;
      if (explain && text.score !== null && r.caption.text !== '') {
        words = await timer.time('explain', () => this.wordEffects(r.caption.text, text.score!));
      }
      const driver = decisionDriver(hateful, text.score, image.score);
      const summary = summarize({ hateful, score, threshold, rule, text, image, driver, topWord: words[0], fusionNote: note });
      return {
        verdict: hateful ? 'hateful' : 'not_hateful',
        score,
        threshold,
        fusion: rule,
        caption: r.caption,
        text,
        image,
        explanation: { summary, driver, words },
        timings_ms: timer.done(),
        device: this.info.device,
        imageSha256: r.sha256,
      };
    } catch (e) {
      throw this.reported(e, 'analyze');
    }
  }

  /** Leave-one-word-out effects on the text score, as ONE batch through the text model. */
  private async wordEffects(caption: string, fullScore: number): Promise<WordEffect[]> {
    const { words, texts } = leaveOneOutTexts(caption);
    if (words.length === 0) return [];
    const out = await this.text!.encode(texts);
    const scores = texts.map((_, i) => {
      const s = this.textScoreOf({ inputIds: out.inputIds[i], embedding: out.embeddings?.[i], score: out.scores?.[i] }).score;
      if (s === null) throw new Error('the text model gave no score for a leave-one-out text');
      return s;
    });
    return wordEffects(words, fullScore, scores);
  }

  async features(input: { image: Uint8Array; caption?: string }): Promise<Features> {
    this.assertOpen();
    const args = checkInput(memeInputSchema, input);
    try {
      const r = await this.run(args.image, args.caption, new Timer());
      const out: Features = { caption: r.caption };
      if (this.text) {
        out.text = r.textItem
          ? { embedding: r.textItem.embedding, score: this.textScoreOf(r.textItem).score }
          : { score: null };
      }
      if (this.image && r.imageItem) {
        out.image = { embedding: r.imageItem.embedding, score: this.imageScoreOf(r.imageItem).score };
      }
      return out;
    } catch (e) {
      throw this.reported(e, 'features');
    }
  }

  async embed(input: { image: Uint8Array; caption?: string }): Promise<Embeddings> {
    this.assertOpen();
    const args = checkInput(memeInputSchema, input);
    try {
      const r = await this.run(args.image, args.caption, new Timer());
      const out: Embeddings = {};
      if (this.text?.kind === 'encoder' && r.textItem?.embedding) {
        out.text = {
          input_ids: r.textItem.inputIds,
          pooling: this.text.pooling ?? 'cls',
          embedding: Array.from(r.textItem.embedding),
        };
      }
      if (this.image?.runner.kind === 'encoder' && r.imageItem?.embedding) {
        out.image = { embedding: Array.from(r.imageItem.embedding) };
      }
      return out;
    } catch (e) {
      throw this.reported(e, 'embed');
    }
  }

  /** Log a failure once (bad input: warn; anything else: error) and hand back a MemeguardError. */
  private reported(e: unknown, op: string): MemeguardError {
    const err = asMemeguardError(e);
    if (err.code === 'INTERNAL') logger.error(`${op} failed`, { code: err.code, error: err.message });
    else logger.warn(`${op} refused`, { code: err.code, error: err.message });
    return err;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.textBatcher?.close();
    this.imageBatcher?.close();
    const ocr = await this.ocrReady?.catch(() => null);
    this.ocrReady = null;
    if (ocr?.owned) await ocr.pool.close();
  }
}

/** Load a pack and its models; the engine reports what it cannot score in info.warnings. */
export async function createEngine(opts: EngineOptions = {}): Promise<LocalEngine> {
  const batch = resolveBatchOptions(opts.batch);
  const pack = await readPack(resolvePackDir(opts.packDir));
  const warnings: string[] = [];
  let heads: Heads | undefined;
  if (pack.json.heads) heads = await readHeads(path.resolve(pack.dir, pack.json.heads));

  const models = await loadModels(pack, { device: opts.device, threads: opts.threads });

  const reasons: { text?: string; image?: string } = {};
  const noHead = (m: 'text' | 'image') =>
    heads ? `the heads file has no ${m} head: ${TRAIN_HINT}` : `pack has no heads: ${TRAIN_HINT}`;
  if (!models.text) reasons.text = 'the pack has no text model';
  else if (models.text.kind === 'encoder') {
    const h = heads?.text;
    if (!h) reasons.text = noHead('text');
    else if (models.text.hiddenSize !== undefined && h.dim !== models.text.hiddenSize) {
      reasons.text = `the text head expects ${h.dim} values, the text model gives ${models.text.hiddenSize}: ${TRAIN_HINT} again`;
    }
  }
  if (!models.image) reasons.image = 'the pack has no image model';
  else if (models.image.runner.kind === 'encoder') {
    const h = heads?.image;
    if (!h) reasons.image = noHead('image');
    else if (models.image.runner.hiddenSize !== undefined && h.dim !== models.image.runner.hiddenSize) {
      reasons.image = `the image head expects ${h.dim} values, the image model gives ${models.image.runner.hiddenSize}: ${TRAIN_HINT} again`;
    }
  }
  if (reasons.text && models.text) warnings.push(`text cannot be scored: ${reasons.text}`);
  if (reasons.image && models.image) warnings.push(`image cannot be scored: ${reasons.image}`);
  if (!models.text) warnings.push('the pack has no text model: memes are judged on the image alone');
  if (!models.image) warnings.push('the pack has no image model: memes are judged on the caption alone');

  const fusions = knownFusions({ learned: heads?.fusions });
  let rule = opts.fusion ?? pack.json.fusion.rule;
  if (!fusions.includes(rule)) {
    if (opts.fusion !== undefined) {
      throw new MemeguardError('USAGE', `unknown fusion rule "${rule}"`, { hint: `this pack has: ${fusions.join(', ')}` });
    }
    if (heads) {
      throw new MemeguardError('PACK_INVALID', `${path.join(pack.dir, 'pack.json')}: fusion.rule: unknown fusion "${rule}"`, {
        hint: `one of ${fusions.join(', ')}, or ${TRAIN_HINT} to learn it`,
      });
    }
    warnings.push(`fusion "${rule}" is learned and the pack has no heads: using seed-sum (${TRAIN_HINT})`);
    rule = 'seed-sum';
  }

  const info: EngineInfo = {
    packDir: pack.dir,
    packName: pack.json.name,
    device: models.device,
    text: models.text ? { kind: models.text.kind, hiddenSize: models.text.hiddenSize } : null,
    image: models.image ? { kind: models.image.runner.kind, hiddenSize: models.image.runner.hiddenSize } : null,
    fusions,
    fingerprint: await packFingerprint(pack),
    warnings,
  };
  if (reasons.text && reasons.image) {
    // Each reason ends with the same "run memeguard train" advice: say it once (in the error's hint).
    const bare = (r: string) => r.replace(/: run `memeguard train --data DIR`( again)?$/, '');
    const [t, i] = [bare(reasons.text), bare(reasons.image)];
    info.cannotScore = t === i ? `text and image: ${t}` : `text: ${t}; image: ${i}`;
  }
  for (const w of warnings) logger.warn('model pack', { pack: pack.dir, warning: w });
  logger.info('engine ready', {
    pack: pack.dir,
    device: info.device,
    text: info.text?.kind ?? null,
    image: info.image?.kind ?? null,
    fusion: rule,
    batch,
  });
  return new MemeEngine(info, pack, heads, models.text, models.image, rule, batch, opts.ocr, reasons);
}

/**
 * The NO_HEADS error of a pack that can score neither modality (info.cannotScore set): what analyze throws, and
 * what `serve` refuses to start with (every post would otherwise be answered with this error).
 */
export function cannotScoreError(info: Pick<EngineInfo, 'packDir' | 'cannotScore'>): MemeguardError {
  return new MemeguardError('NO_HEADS', `the pack at ${info.packDir} cannot score anything: ${info.cannotScore ?? 'no scorable model'}`, {
    hint: `run \`memeguard train --data DIR --models ${info.packDir}\``,
  });
}

let shared: Promise<Engine> | null = null;

/** The process's one engine: the first call's options win; a failed start is forgotten so a later call retries. */
export function getSharedEngine(opts: EngineOptions = {}): Promise<Engine> {
  if (!shared) {
    shared = createEngine(opts);
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}

/** Close the shared engine (end of process, tests). */
export async function closeSharedEngine(): Promise<void> {
  const s = shared;
  shared = null;
  if (s) await (await s.catch(() => null))?.close();
}
