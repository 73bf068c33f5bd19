import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { createEngine, getSharedEngine, closeSharedEngine } from '../../../src/inference/engine.js';
import { sigmoid } from '../../../src/inference/heads/apply.js';
import { decodeTensor, encodeTensor, type HeadsFile } from '../../../src/inference/heads/format.js';
import type { Engine } from '../../../src/inference/types.js';
import { CAPTIONS, noiseImage, removeTempDirs, tinyPack } from './fixtures.js';

process.env.MEMEGUARD_LOG = 'silent';

afterAll(removeTempDirs);

async function refusal(p: Promise<unknown>): Promise<MemeguardError> {
  const e = await p.then(
    () => new Error('expected a refusal'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MemeguardError);
  return e as MemeguardError;
}

async function readHeadsJson(pack: string): Promise<HeadsFile> {
  return JSON.parse(await readFile(path.join(pack, 'heads.json'), 'utf8')) as HeadsFile;
}

/** The logistic head by hand, from the heads file itself. */
function headScore(h: NonNullable<HeadsFile['text']>, x: ArrayLike<number>): number {
  const w = decodeTensor(h.weights);
  let z = h.bias;
  for (let i = 0; i < w.length; i++) z += w[i] * x[i];
  return 1 / (1 + Math.exp(-z));
}

describe('engine on a feature-extraction encoder + ResNet encoder with heads', () => {
  let pack: string;
  let engine: Engine;
  beforeAll(async () => {
    pack = await tinyPack({ text: 'feature-extraction', image: 'encoder', seed: 3 });
    engine = await createEngine({ packDir: pack });
  });
  afterAll(() => engine?.close());

  it('reports what it loaded', () => {
    expect(engine.info.packDir).toBe(pack);
    expect(engine.info.packName).toBe('tiny');
    expect(engine.info.device).toBe('cpu');
    expect(engine.info.text).toMatchObject({ kind: 'encoder' });
    expect(engine.info.image).toMatchObject({ kind: 'encoder' });
    expect(engine.info.fusions).toEqual(['seed-sum', 'weighted-mean', 'stacking']);
    expect(engine.info.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(engine.info.warnings).toEqual([]);
  });

  it('scores both modalities with the heads and fuses them with seed-sum', async () => {
    const image = await noiseImage(1);
    const v = await engine.analyze({ image, caption: CAPTIONS[0] });
    const f = await engine.features({ image, caption: CAPTIONS[0] });
    const heads = await readHeadsJson(pack);
    // the scores are the heads applied to the embeddings, computed here by hand
    expect(v.text.score).toBeCloseTo(headScore(heads.text!, f.text!.embedding!), 5);
    expect(v.image.score).toBeCloseTo(headScore(heads.image!, f.image!.embedding!), 5);
    expect(f.text!.embedding!.length).toBe(engine.info.text!.hiddenSize);
    expect(f.image!.embedding!.length).toBe(engine.info.image!.hiddenSize);
    expect(v.score).toBeCloseTo((v.text.score! + v.image.score!) / 2, 12);
    expect(v.fusion).toBe('seed-sum');
    expect(v.threshold).toBe(0.5);
    expect(v.verdict).toBe(v.score > 0.5 ? 'hateful' : 'not_hateful');
    expect(v.caption).toEqual({ text: CAPTIONS[0], source: 'given' });
    expect(v.device).toBe('cpu');
    expect(v.imageSha256).toBe(createHash('sha256').update(image).digest('hex'));
    for (const k of ['decode', 'text', 'image', 'fusion', 'explain', 'total']) expect(v.timings_ms[k]).toBeGreaterThanOrEqual(0);
    expect(['text', 'image', 'both', 'none']).toContain(v.explanation.driver);
    expect(v.explanation.summary).toMatch(/^(Hateful|Not hateful): score/);
    expect(v.explanation.words.map((w) => w.word).sort()).toEqual(CAPTIONS[0].split(' ').sort());
  });

  it('a caller threshold overrides the pack threshold', async () => {
    const image = await noiseImage(2);
    const lo = await engine.analyze({ image, caption: CAPTIONS[1], threshold: 0, explain: false });
    const hi = await engine.analyze({ image, caption: CAPTIONS[1], threshold: 1, explain: false });
    expect(lo).toMatchObject({ verdict: 'hateful', threshold: 0 });
    expect(hi).toMatchObject({ verdict: 'not_hateful', threshold: 1 });
    expect(lo.score).toBe(hi.score);
    expect(lo.explanation.words).toEqual([]);
  });

  it("explain: 'hateful' computes word effects for a hateful verdict only (the bot's setting)", async () => {
    const image = await noiseImage(2);
    const flagged = await engine.analyze({ image, caption: CAPTIONS[1], threshold: 0, explain: 'hateful' });
    const passed = await engine.analyze({ image, caption: CAPTIONS[1], threshold: 1, explain: 'hateful' });
    const always = await engine.analyze({ image, caption: CAPTIONS[1], threshold: 1 });
    expect(flagged.verdict).toBe('hateful');
    expect(flagged.explanation.words.length).toBe(CAPTIONS[1].split(/\s+/).length);
    expect(passed.verdict).toBe('not_hateful');
    expect(passed.explanation.words).toEqual([]);
    expect(passed.timings_ms.explain).toBeUndefined();
    expect(always.explanation.words).toEqual(flagged.explanation.words);
  });

  it('embed gives the encoder outputs before any head', async () => {
    const e = await engine.embed({ image: await noiseImage(1), caption: 'the cat saw' });
    expect(e.text!.pooling).toBe('cls');
    expect(e.text!.input_ids.length).toBe(5); // [CLS] the cat saw [SEP] (all three in the tiny vocabulary)
    expect(e.text!.embedding.length).toBe(engine.info.text!.hiddenSize);
    expect(e.image!.embedding.length).toBe(engine.info.image!.hiddenSize);
  });

  it('truncates a 100k-character caption safely (words and tokens)', async () => {
    const caption = 'lorem ipsum dolor sit amet '.repeat(4000).slice(0, 100_000);
    expect(caption.length).toBe(100_000);
    const v = await engine.analyze({ image: await noiseImage(4), caption });
    expect(v.caption.source).toBe('given');
    expect(v.caption.text.length).toBeLessThan(5000);
    expect(caption.startsWith(v.caption.text)).toBe(true);
    expect(v.text.score).not.toBeNull();
    expect(v.explanation.words.length).toBe(32);
    const e = await engine.embed({ image: await noiseImage(4), caption });
    expect(e.text!.input_ids.length).toBe(128);
    // one 100k-character "word" too
    const w = await engine.analyze({ image: await noiseImage(4), caption: 'x'.repeat(100_000) });
    expect(w.text.score).not.toBeNull();
  });

  it('refuses bad input with a clear error and stays usable', async () => {
    const empty = await refusal(engine.analyze({ image: new Uint8Array(0), caption: 'hi' }));
    expect(empty.code).toBe('EMPTY_FILE');
    const text = await refusal(engine.analyze({ image: Buffer.from('hello, not an image'), caption: 'hi' }));
    expect(text.code).toBe('NOT_AN_IMAGE');
    const notBytes = await refusal(engine.analyze({ image: 'x' as unknown as Uint8Array }));
    expect(notBytes.code).toBe('BAD_INPUT');
    const badThreshold = await refusal(engine.analyze({ image: await noiseImage(1), caption: 'a', threshold: 2 }));
    expect(badThreshold.code).toBe('BAD_INPUT');
    expect(badThreshold.message).toMatch(/threshold/);
    expect((await engine.analyze({ image: await noiseImage(1), caption: 'still fine', explain: false })).text.score).not.toBeNull();
  });

  it('an empty given caption leaves the text unscored and says why', async () => {
    const v = await engine.analyze({ image: await noiseImage(5), caption: '   ' });
    expect(v.text).toEqual({ score: null, reason: 'the caption is empty' });
    expect(v.score).toBe(v.image.score);
    expect(v.fusion).toBe('image-only');
    expect(v.explanation.summary).toMatch(/Only the image was scored/);
  });
});

describe('batching', () => {
  it('concurrent calls run as batches and give the same results as one-at-a-time calls', async () => {
    const pack = await tinyPack({ text: 'feature-extraction', image: 'encoder', seed: 5, pooling: 'mean' });
    const batched = await createEngine({ packDir: pack, batch: { maxSize: 8, maxWaitMs: 50 } });
    const single = await createEngine({ packDir: pack, batch: { maxSize: 1, maxWaitMs: 0 } });
    try {
      // different caption lengths so that padding inside a batch matters
      const inputs = await Promise.all(
        CAPTIONS.map(async (c, i) => ({ image: await noiseImage(10 + i, 40 + 8 * i, 30 + 5 * i), caption: c.split(' ').slice(0, 2 + i).join(' ') })),
      );
      const together = await Promise.all(inputs.map((x) => batched.analyze({ ...x, explain: false })));
      const alone = [];
      for (const x of inputs) alone.push(await single.analyze({ ...x, explain: false }));
      const stats = batched.batchStats;
      expect(Math.max(...stats.text)).toBeGreaterThan(1);
      expect(Math.max(...stats.image)).toBeGreaterThan(1);
      for (let i = 0; i < inputs.length; i++) {
        expect(Math.abs(together[i].text.score! - alone[i].text.score!)).toBeLessThan(1e-4);
        expect(Math.abs(together[i].image.score! - alone[i].image.score!)).toBeLessThan(1e-4);
        expect(Math.abs(together[i].score - alone[i].score)).toBeLessThan(1e-4);
      }
      // embeddings too
      const eTogether = await Promise.all(inputs.map((x) => batched.embed(x)));
      for (let i = 0; i < inputs.length; i++) {
        const eAlone = await single.embed(inputs[i]);
        expect(eTogether[i].text!.input_ids).toEqual(eAlone.text!.input_ids);
        const d = eTogether[i].text!.embedding.map((v, k) => Math.abs(v - eAlone.text!.embedding[k]));
        expect(Math.max(...d)).toBeLessThan(1e-4);
      }
    } finally {
      await batched.close();
      await single.close();
    }
  });

  it('a bad item does not fail the others sent with it', async () => {
    const pack = await tinyPack({ seed: 6 });
    const engine = await createEngine({ packDir: pack, batch: { maxSize: 8, maxWaitMs: 50 } });
    try {
      const good = await noiseImage(20);
      const out = await Promise.allSettled([
        engine.analyze({ image: good, caption: 'one', explain: false }),
        engine.analyze({ image: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), caption: 'two' }),
        engine.analyze({ image: good, caption: 'three', explain: false }),
      ]);
      expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(((out[1] as PromiseRejectedResult).reason as MemeguardError).code).toBe('UNSUPPORTED_IMAGE');
    } finally {
      await engine.close();
    }
  });
});

describe('explanation', () => {
  it('the word the head is built to push is the top effect, and effects equal scores without the word', async () => {
    const pack = await tinyPack({ text: 'feature-extraction', image: null, seed: 9, pooling: 'mean' });
    const caption = 'the quick brown fox jumps over the lazy dog';
    const words = caption.split(' ');
    // Embeddings of the caption and of the caption without each word, from the engine's own encoder.
    const probe = await createEngine({ packDir: pack });
    const img = await noiseImage(30);
    const full = (await probe.embed({ image: img, caption })).text!.embedding;
    const without = await Promise.all(
      words.map(async (_, i) => (await probe.embed({ image: img, caption: words.filter((_, j) => j !== i).join(' ') })).text!.embedding),
    );
    await probe.close();
    // d_i = e(full) - e(without word i); the head points along the largest d, and its bias puts the full caption at 0.5.
    const d = without.map((e) => full.map((v, k) => v - e[k]));
    const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    const target = d.map(norm).reduce((best, n, i, all) => (n > all[best] ? i : best), 0);
    const w = d[target].map((x) => x / norm(d[target]) ** 2); // w·d_target = 1
    const bias = -w.reduce((a, x, k) => a + x * full[k], 0);
    const heads: HeadsFile = {
      format: 'memeguard-heads',
      version: 1,
      text: { type: 'logistic', dim: w.length, weights: encodeTensor(w, [w.length]), bias },
      fusions: [],
    };
    await writeFile(path.join(pack, 'heads.json'), JSON.stringify(heads));

    const engine = await createEngine({ packDir: pack });
    try {
      const v = await engine.analyze({ image: img, caption });
      expect(v.text.score).toBeCloseTo(0.5, 5);
      expect(v.explanation.words[0].word).toBe(words[target]);
      expect(v.explanation.words[0].effect).toBeCloseTo(0.5 - sigmoid(-1), 4);
      expect(v.explanation.words).toHaveLength(words.length);
      for (let i = 1; i < v.explanation.words.length; i++) {
        expect(Math.abs(v.explanation.words[i - 1].effect)).toBeGreaterThanOrEqual(Math.abs(v.explanation.words[i].effect));
      }
      expect(v.explanation.summary).toContain(`"${words[target]}"`);
      // each effect is the text score minus the text score of the caption without that word
      const effects = new Map(v.explanation.words.map((x) => [x.word, x.effect]));
      for (const i of [0, 2, target]) {
        const wo = await engine.analyze({ image: img, caption: words.filter((_, j) => j !== i).join(' '), explain: false });
        if (words[i] === 'the') continue; // appears twice
        expect(effects.get(words[i])!).toBeCloseTo(v.text.score! - wo.text.score!, 4);
      }
    } finally {
      await engine.close();
    }
  });
});

describe('engine on every kind of pack', () => {
  it('fill-mask export: the hidden state is exposed and scored by the head', async () => {
    const pack = await tinyPack({ text: 'fill-mask', image: 'encoder', seed: 11 });
    const engine = await createEngine({ packDir: pack });
    try {
      const image = await noiseImage(3);
      const v = await engine.analyze({ image, caption: CAPTIONS[2] });
      const f = await engine.features({ image, caption: CAPTIONS[2] });
      const heads = await readHeadsJson(pack);
      expect(f.text!.embedding!.length).toBe(engine.info.text!.hiddenSize);
      expect(v.text.score).toBeCloseTo(headScore(heads.text!, f.text!.embedding!), 5);
      expect(v.image.score).not.toBeNull();
    } finally {
      await engine.close();
    }
  });

  it('toxic-style classifier text and no image: the caption alone decides, and the summary says so', async () => {
    const pack = await tinyPack({ text: 'classifier', image: null, seed: 12 });
    const engine = await createEngine({ packDir: pack });
    try {
      expect(engine.info.image).toBeNull();
      expect(engine.info.warnings.join(' ')).toMatch(/no image model/);
      const v = await engine.analyze({ image: await noiseImage(1), caption: CAPTIONS[3] });
      expect(v.image).toEqual({ score: null, reason: 'the pack has no image model' });
      expect(v.text.score).toBeGreaterThan(0);
      expect(v.score).toBe(v.text.score);
      expect(v.fusion).toBe('text-only');
      expect(v.explanation.driver).toBe('text');
      expect(v.explanation.summary).toMatch(/Only the caption was scored .* the image was not: the pack has no image model/);
      expect(v.explanation.words.length).toBe(CAPTIONS[3].split(' ').length);
      const f = await engine.features({ image: await noiseImage(1), caption: CAPTIONS[3] });
      expect(f.text!.score).toBeCloseTo(v.text.score!, 6);
      expect(f.image).toBeUndefined();
      const e = await engine.embed({ image: await noiseImage(1), caption: CAPTIONS[3] });
      expect(e).toEqual({}); // a classifier has no encoder output to show
    } finally {
      await engine.close();
    }
  });

  it('image only: the image alone decides', async () => {
    const pack = await tinyPack({ text: null, image: 'encoder', seed: 13 });
    const engine = await createEngine({ packDir: pack });
    try {
      const v = await engine.analyze({ image: await noiseImage(2), caption: 'ignored words' });
      expect(v.text.score).toBeNull();
      expect(v.text.reason).toBe('the pack has no text model');
      expect(v.score).toBe(v.image.score);
      expect(v.explanation.words).toEqual([]);
      expect(v.explanation.summary).toMatch(/Only the image was scored/);
    } finally {
      await engine.close();
    }
  });

  it('image classifier: hateful labels give the image score', async () => {
    const pack = await tinyPack({ text: 'feature-extraction', image: 'classifier', seed: 14 });
    const engine = await createEngine({ packDir: pack });
    try {
      const v = await engine.analyze({ image: await noiseImage(2), caption: 'a caption' });
      expect(v.image.score).toBeGreaterThan(0);
      expect(v.image.score).toBeLessThan(1);
      expect(v.text.score).not.toBeNull();
    } finally {
      await engine.close();
    }
  });

  it('no heads: says what it cannot score and why, analyze refuses with NO_HEADS, embed still works', async () => {
    const pack = await tinyPack({ text: 'feature-extraction', image: 'encoder', heads: false, seed: 15 });
    const engine = await createEngine({ packDir: pack });
    try {
      expect(engine.info.warnings).toEqual([
        'text cannot be scored: pack has no heads: run `memeguard train --data DIR`',
        'image cannot be scored: pack has no heads: run `memeguard train --data DIR`',
      ]);
      const e = await refusal(engine.analyze({ image: await noiseImage(1), caption: 'x' }));
      expect(e.code).toBe('NO_HEADS');
      expect(e.exitCode).toBe(2);
      expect(e.toLine()).toMatch(/memeguard train --data DIR/);
      const emb = await engine.embed({ image: await noiseImage(1), caption: 'the cat' });
      expect(emb.text!.embedding.length).toBe(engine.info.text!.hiddenSize);
      expect(emb.image!.embedding.length).toBe(engine.info.image!.hiddenSize);
      const f = await engine.features({ image: await noiseImage(1), caption: 'the cat' });
      expect(f.text!.score).toBeNull();
      expect(f.image!.score).toBeNull();
    } finally {
      await engine.close();
    }
  });

  it('a classifier text without heads and an image encoder without a head: text scored, image reason given', async () => {
    const pack = await tinyPack({ text: 'classifier', image: 'encoder', heads: false, seed: 16 });
    const engine = await createEngine({ packDir: pack });
    try {
      const v = await engine.analyze({ image: await noiseImage(1), caption: 'you people' });
      expect(v.text.score).not.toBeNull();
      expect(v.image).toEqual({ score: null, reason: 'pack has no heads: run `memeguard train --data DIR`' });
      expect(v.explanation.summary).toMatch(/the image was not: pack has no heads/);
    } finally {
      await engine.close();
    }
  });
});

describe('fusion rules from the pack', () => {
  async function withPackJson(edit: (p: Record<string, any>) => void): Promise<string> {
    const pack = await tinyPack({ seed: 21 });
    const file = path.join(pack, 'pack.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    edit(json);
    await writeFile(file, JSON.stringify(json));
    return pack;
  }

  it('a learned stacking fusion from the heads file, by name', async () => {
    const engine = await createEngine({ packDir: await withPackJson((p) => (p.fusion.rule = 'stacking')) });
    try {
      const v = await engine.analyze({ image: await noiseImage(1), caption: 'hello there', explain: false });
      expect(v.fusion).toBe('stacking');
      expect(v.score).toBeCloseTo(sigmoid(-2 + 2 * v.text.score! + 2 * v.image.score!), 10);
    } finally {
      await engine.close();
    }
  });

  it('weighted-mean with the pack weights and threshold', async () => {
    const pack = await withPackJson((p) => (p.fusion = { rule: 'weighted-mean', threshold: 0.3, weights: { text: 3, image: 1 } }));
    const engine = await createEngine({ packDir: pack });
    try {
      const v = await engine.analyze({ image: await noiseImage(1), caption: 'hello there', explain: false });
      expect(v.fusion).toBe('weighted-mean');
      expect(v.threshold).toBe(0.3);
      expect(v.score).toBeCloseTo((3 * v.text.score! + v.image.score!) / 4, 12);
    } finally {
      await engine.close();
    }
  });

  it('a learned rule in a pack without heads falls back to seed-sum and says so', async () => {
    const pack = await tinyPack({ seed: 26, text: 'classifier', image: 'classifier', heads: false });
    const file = path.join(pack, 'pack.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.fusion.rule = 'stacking';
    await writeFile(file, JSON.stringify(json));
    const engine = await createEngine({ packDir: pack });
    try {
      expect(engine.info.warnings).toEqual([
        'fusion "stacking" is learned and the pack has no heads: using seed-sum (run `memeguard train --data DIR`)',
      ]);
      const v = await engine.analyze({ image: await noiseImage(1), caption: 'hello', explain: false });
      expect(v.fusion).toBe('seed-sum');
      expect(v.score).toBeCloseTo((v.text.score! + v.image.score!) / 2, 12);
    } finally {
      await engine.close();
    }
  });

  it('a caller fusion rule overrides the pack; an unknown one is a usage error', async () => {
    const pack = await tinyPack({ seed: 27 });
    const engine = await createEngine({ packDir: pack, fusion: 'weighted-mean' });
    try {
      const v = await engine.analyze({ image: await noiseImage(1), caption: 'hello', explain: false });
      expect(v.fusion).toBe('weighted-mean');
    } finally {
      await engine.close();
    }
    const e = await refusal(createEngine({ packDir: pack, fusion: 'nope' }));
    expect(e.code).toBe('USAGE');
  });

  it('an unknown fusion rule is a pack error naming the field', async () => {
    const e = await refusal(createEngine({ packDir: await withPackJson((p) => (p.fusion.rule = 'magic')) }));
    expect(e.code).toBe('PACK_INVALID');
    expect(e.message).toMatch(/fusion\.rule: unknown fusion "magic"/);
    expect(e.hint).toMatch(/seed-sum, weighted-mean, stacking/);
  });
});

describe('pack errors', () => {
  it('a missing pack says which command fetches one', async () => {
    const pack = await tinyPack({ seed: 22 });
    await rm(path.join(pack, 'pack.json'));
    const e = await refusal(createEngine({ packDir: pack }));
    expect(e.code).toBe('PACK_MISSING');
    expect(e.exitCode).toBe(2);
    expect(e.toLine()).toMatch(/memeguard models pull/);
  });
  it('MEMEGUARD_MODELS names the pack folder', async () => {
    const pack = await tinyPack({ seed: 23, text: null });
    const saved = process.env.MEMEGUARD_MODELS;
    process.env.MEMEGUARD_MODELS = pack;
    try {
      const engine = await createEngine();
      expect(engine.info.packDir).toBe(pack);
      await engine.close();
    } finally {
      if (saved === undefined) delete process.env.MEMEGUARD_MODELS;
      else process.env.MEMEGUARD_MODELS = saved;
    }
  });
  it('a missing heads file named by pack.json is a pack error', async () => {
    const pack = await tinyPack({ seed: 24 });
    await rm(path.join(pack, 'heads.json'));
    const e = await refusal(createEngine({ packDir: pack }));
    expect(e.code).toBe('PACK_MISSING');
    expect(e.message).toContain('heads.json');
  });
});

describe('the shared engine', () => {
  it('is one engine per process', async () => {
    const pack = await tinyPack({ seed: 25, text: null });
    const a = getSharedEngine({ packDir: pack });
    const b = getSharedEngine({ packDir: '/elsewhere' });
    expect(a).toBe(b);
    expect((await a).info.packDir).toBe(pack);
    await closeSharedEngine();
    await expect((await a).analyze({ image: await noiseImage(1) })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
