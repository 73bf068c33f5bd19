import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/inference/engine.js';
import type { Engine } from '../../src/inference/types.js';
import { pullPack } from '../../src/models/pull.js';
import { startRecipeHub, type HubFixture } from './hub-fixture.js';

process.env.MEMEGUARD_LOG = 'silent';

/**
 * The end of the line: a pack pulled from the (fake) hub loads in the Engine and computes exactly what the generated
 * source models compute when loaded where they were written.
 */

let fx: HubFixture;
let root: string;
const engines: Engine[] = [];
const open = async (packDir: string) => {
  const e = await createEngine({ packDir, batch: { maxSize: 1, maxWaitMs: 0 } });
  engines.push(e);
  return e;
};

async function image(): Promise<Buffer> {
  const w = 40;
  const h = 30;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + Math.floor(i / 7) * 11) % 256;
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

beforeAll(async () => {
  fx = await startRecipeHub();
  root = path.join(fx.work, 'packs');
  await pullPack({ pack: 'default', root, endpoint: fx.hub.url });
  await pullPack({ pack: 'starter', root, endpoint: fx.hub.url, variant: 'int8' });
});
afterAll(async () => {
  for (const e of engines) await e.close();
  await fx.close();
});

describe('a pulled pack loads in the Engine', () => {
  it('default: both encoders load, embeddings equal those of the source models, no heads yet', async () => {
    const pulled = await open(path.join(root, 'default'));
    expect(pulled.info.packName).toBe('default');
    expect(pulled.info.text?.kind).toBe('encoder');
    expect(pulled.info.image?.kind).toBe('encoder');
    expect(pulled.info.warnings?.join(' ')).toMatch(/no heads/);

    const source = await open(path.join(fx.work, 'src-default'));
    const input = { image: await image(), caption: 'the cat sat on the mat' };
    const a = await pulled.embed(input);
    const b = await source.embed(input);
    expect(a.text?.embedding.length).toBe(pulled.info.text?.hiddenSize);
    expect(a.image?.embedding.length).toBe(pulled.info.image?.hiddenSize);
    expect(a.text?.embedding).toEqual(b.text?.embedding);
    expect(a.image?.embedding).toEqual(b.image?.embedding);
  });

  it('starter (int8 file names): the text classifier scores captions, the image waits for a head', async () => {
    const engine = await open(path.join(root, 'starter'));
    expect(engine.info.text?.kind).toBe('classifier');
    const f = await engine.features({ image: await image(), caption: 'you are all terrible people' });
    expect(f.text?.score).toBeGreaterThanOrEqual(0);
    expect(f.text?.score).toBeLessThanOrEqual(1);
    expect(f.image?.score).toBeNull();
  });
});
