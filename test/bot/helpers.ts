import sharp from 'sharp';
import { MemeguardError } from '../../src/errors.js';
import type { Engine, EngineInfo, Verdict } from '../../src/inference/types.js';
import { sha256Hex } from '../../src/bot/phash.js';
import type { ActionResult, IncomingImage, ModAction, PlatformPort } from '../../src/bot/types.js';

/** A solid-colour PNG (generated, never committed). */
export async function solidPng(r: number, g: number, b: number, size = 32): Promise<Uint8Array> {
  return new Uint8Array(await sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } }).png().toBuffer());
}

/**
 * A fake engine for unit tests of the moderation logic (adapter tests use the real engine): it decodes the image
 * with sharp and scores it by how red it is, so a red image is "hateful". It counts calls.
 */
export class RednessEngine implements Engine {
  calls = 0;
  /** The `explain` argument of each analyze call, in order. */
  explainArgs: (boolean | 'hateful' | undefined)[] = [];
  readonly info: EngineInfo = {
    packDir: '/fake',
    packName: 'redness',
    device: 'cpu',
    text: null,
    image: { kind: 'classifier' },
    fusions: ['seed-sum'],
    fingerprint: 'redness-v1',
    warnings: [],
  };

  async analyze(input: { image: Uint8Array; threshold?: number; explain?: boolean | 'hateful' }): Promise<Verdict> {
    this.calls++;
    this.explainArgs.push(input.explain);
    let stats;
    try {
      stats = await sharp(input.image).stats();
    } catch (e) {
      throw new MemeguardError('CORRUPT_IMAGE', 'the image cannot be decoded', { cause: e });
    }
    const [r, g, b] = stats.channels.map((c) => c.mean / 255);
    const score = Math.max(0, Math.min(1, r! - (g! + b!) / 2));
    const threshold = input.threshold ?? 0.5;
    return {
      verdict: score > threshold ? 'hateful' : 'not_hateful',
      score,
      threshold,
      fusion: 'seed-sum',
      caption: { text: 'some caption', source: 'ocr' },
      text: { score: null, reason: 'no text model' },
      image: { score },
      explanation: { summary: 'the picture drove the decision', driver: 'image', words: [{ word: 'some', effect: 0.2 }] },
      timings_ms: { total: 1 },
      device: 'cpu',
      imageSha256: sha256Hex(input.image),
    };
  }
  embed(): never {
    throw new Error('not used');
  }
  features(): never {
    throw new Error('not used');
  }
  ocr(): never {
    throw new Error('not used');
  }
  async close(): Promise<void> {}
}

/** A platform port that records every action; `refuse` makes chosen action kinds fail like a platform would. */
export class RecordingPort implements PlatformPort {
  readonly actions: ModAction[] = [];
  readonly downloads: IncomingImage[] = [];
  constructor(
    private readonly files: Map<string, Uint8Array> = new Map(),
    private readonly refuse: Partial<Record<ModAction['kind'], ActionResult>> = {},
  ) {}

  async download(image: IncomingImage, options: { maxBytes: number }): Promise<Uint8Array> {
    this.downloads.push(image);
    const bytes = image.url ? this.files.get(image.url) : undefined;
    if (!bytes) throw new MemeguardError('DOWNLOAD_FAILED', `cannot download ${image.url}`);
    if (bytes.byteLength > options.maxBytes) throw new MemeguardError('IMAGE_TOO_LARGE', 'over the limit');
    return bytes;
  }

  async perform(action: ModAction): Promise<ActionResult> {
    this.actions.push(action);
    return this.refuse[action.kind] ?? { ok: true };
  }

  kinds(): string[] {
    return this.actions.map((a) => a.kind);
  }
}
