import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';
import { noiseImage, removeTempDirs, tempDir, tinyPack } from '../inference/engine/fixtures.js';

let img: string;
beforeAll(async () => {
  img = path.join(await tempDir('mg-embed-'), 'meme.png');
  await writeFile(img, await noiseImage(8));
});
afterAll(removeTempDirs);

describe('memeguard embed', () => {
  it('--json on a pack with no heads: the encoders outputs before any head', async () => {
    const pack = await tinyPack({ seed: 51, heads: false, pooling: 'mean' });
    const r = await runCli(['embed', img, '--caption', 'the cat saw the dog run', '--models', pack, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const e = JSON.parse(r.stdout);
    expect(Object.keys(e).sort()).toEqual(['image', 'text']);
    expect(e.text.pooling).toBe('mean');
    expect(e.text.input_ids).toHaveLength(8); // [CLS] + 6 words of the tiny vocabulary + [SEP]
    for (const id of e.text.input_ids) expect(Number.isInteger(id)).toBe(true);
    const pj = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(pack, 'text', 'config.json'), 'utf8'));
    expect(e.text.embedding).toHaveLength(pj.hidden_size);
    expect(e.text.embedding.every((x: unknown) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    expect(e.image.embedding.length).toBeGreaterThan(0);
    expect(e.image.embedding.every((x: unknown) => typeof x === 'number' && Number.isFinite(x))).toBe(true);
    // the same caption gives the same output; another caption another embedding
    const again = JSON.parse((await runCli(['embed', img, '--caption', 'the cat saw the dog run', '--models', pack, '--json'])).stdout);
    expect(again).toEqual(e);
    const other = JSON.parse((await runCli(['embed', img, '--caption', 'a dog', '--models', pack, '--json'])).stdout);
    expect(other.text.embedding).not.toEqual(e.text.embedding);
    expect(other.image.embedding).toEqual(e.image.embedding);
  });

  it('readable output, and bad input exits 1 with one line', async () => {
    const pack = await tinyPack({ seed: 52, heads: false });
    const r = await runCli(['embed', img, '--caption', 'happy', '--models', pack]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^text: 3 tokens, cls pooling/);
    expect(r.stdout).toMatch(/^image: embedding \[/m);
    const bad = await runCli(['embed', path.join(path.dirname(img), 'missing.png'), '--models', pack]);
    expect(bad.code).toBe(1);
    expect(humanLines(bad.stderr)).toHaveLength(1);
  });
});
