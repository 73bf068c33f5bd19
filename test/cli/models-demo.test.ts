import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packSchema } from '../../src/inference/pack/schema.js';
import { writeSyntheticHatefulMemes } from '../../src/synth/dataset.js';
import { runCli } from '../inference/engine/cli-helper.js';
import { noiseImage, removeTempDirs, tempDir } from '../inference/engine/fixtures.js';

afterAll(removeTempDirs);

describe('memeguard models demo', () => {
  it('writes a valid, labelled-as-meaningless pack that check can use end to end, offline', async () => {
    const root = await tempDir('mg-demo-');
    const r = await runCli(['models', 'demo', '--dir', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('meaningless');
    const dir = path.join(root, 'demo');
    const pack = packSchema.parse(JSON.parse(await readFile(path.join(dir, 'pack.json'), 'utf8')));
    expect(pack.name).toBe('demo');
    expect(pack.description).toMatch(/random/);
    expect(pack.text?.kind).toBe('encoder');
    expect(pack.image?.kind).toBe('encoder');
    expect(pack.heads).toBeDefined();

    const img = path.join(root, 'meme.png');
    await writeFile(img, await noiseImage(3));
    const c = await runCli(['check', img, '--caption', 'the cat saw the dog', '--models', dir, '--json']);
    expect(c.code).toBe(0);
    const v = JSON.parse(c.stdout);
    expect(typeof v.text.score).toBe('number');
    expect(typeof v.image.score).toBe('number');
    expect(['hateful', 'not_hateful']).toContain(v.verdict);
  });

  it('train and evaluate on the demo pack talk to a person: progress and results, no structured log lines', async () => {
    const root = await tempDir('mg-demo-train-');
    expect((await runCli(['models', 'demo', '--dir', root])).code).toBe(0);
    const pack = path.join(root, 'demo');
    const data = path.join(root, 'data');
    await writeSyntheticHatefulMemes(data, { n: 40, seed: 5, size: 64 });
    const cache = path.join(root, 'cache');
    const t = await runCli(['train', '--data', data, '--models', pack, '--cache', cache, '--epochs', '5']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('heads.json');
    expect(t.stderr).not.toContain('{"time"');
    const e = await runCli(['evaluate', '--data', data, '--models', pack, '--cache', cache, '--json']);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).rows.map((r: { model: string }) => r.model)).toEqual(expect.arrayContaining(['text', 'image', 'seed-sum']));
    expect(e.stderr).not.toContain('{"time"');
  });

  it('refuses a PACK argument with a usage error', async () => {
    const r = await runCli(['models', 'demo', 'extra']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
