import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/models.js';
import { MemeguardError } from '../../src/errors.js';
import { encodeTensor } from '../../src/inference/heads/format.js';
import { formatListing, listPacks } from '../../src/models/list.js';
import { pullPack } from '../../src/models/pull.js';
import { verifyPack } from '../../src/models/verify.js';
import { startRecipeHub, type HubFixture } from './hub-fixture.js';

process.env.MEMEGUARD_LOG = 'silent';

let fx: HubFixture;
let root: string;

/** Run the CLI command in-process; what it printed on stdout and its exit code. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await run(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  fx = await startRecipeHub();
  root = path.join(fx.work, 'packs');
  await pullPack({ pack: 'default', root, endpoint: fx.hub.url });
  await pullPack({ pack: 'starter', root, endpoint: fx.hub.url, variant: 'int8' });
});
afterAll(async () => {
  await fx.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('verifyPack', () => {
  it('a freshly pulled pack verifies clean', async () => {
    const r = await verifyPack(path.join(root, 'default'));
    expect(r).toMatchObject({ ok: true, complete: true, checked: 9, problems: [], recipe: 'default', variant: 'fp32' });
  });

  it('lists changed, truncated and missing files', async () => {
    const dir = path.join(root, 'starter');
    const cfg = path.join(dir, 'text', 'config.json');
    const onnx = path.join(dir, 'image', 'onnx', 'model_quantized.onnx');
    const vocab = path.join(dir, 'text', 'vocab.txt');
    const saved = await Promise.all([cfg, onnx, vocab].map((f) => readFile(f)));
    try {
      // Same size, one byte different.
      const bytes = Buffer.from(saved[0]);
      bytes[10] = bytes[10] ^ 1;
      await writeFile(cfg, bytes);
      await truncate(onnx, 100);
      await rm(vocab);
      const r = await verifyPack(dir);
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => [p.path, p.problem])).toEqual([
        ['text/config.json', 'sha256'],
        ['text/vocab.txt', 'missing'],
        ['image/onnx/model_quantized.onnx', 'size'],
      ]);

      const { code, out } = await cli(['verify', 'starter', '--dir', root]);
      expect(code).toBe(1);
      expect(out).toContain('FAIL  starter (int8): 3 of');
      expect(out).toContain('changed  text/config.json: sha256');
      expect(out).toContain('missing  text/vocab.txt');
      expect(out).toContain('changed  image/onnx/model_quantized.onnx: size 100 bytes');
    } finally {
      await Promise.all([cfg, onnx, vocab].map((f, i) => writeFile(f, saved[i])));
    }
    expect((await verifyPack(dir)).ok).toBe(true);
  });

  it('a pack without a lock is PACK_MISSING with the command that fixes it', async () => {
    const e = await verifyPack(path.join(root, 'nope')).then(
      () => undefined,
      (x: unknown) => x as MemeguardError,
    );
    expect(e?.code).toBe('PACK_MISSING');
    expect(e?.hint).toContain('models pull');
  });

  it('CLI: verify without PACK checks every pulled pack and exits 0 when all are good', async () => {
    const { code, out } = await cli(['verify', '--dir', root]);
    expect(code).toBe(0);
    expect(out).toMatch(/^ok {2}default \(fp32\): 9 files match pack\.lock\.json$/m);
    expect(out).toMatch(/^ok {2}starter \(int8\): \d+ files match/m);
    const json = await cli(['verify', '--dir', root, '--json']);
    expect(JSON.parse(json.out).map((r: { ok: boolean }) => r.ok)).toEqual([true, true]);
  });
});

describe('listPacks', () => {
  it('lists packs with variant, size, heads and which one check/serve use', async () => {
    vi.stubEnv('MEMEGUARD_MODELS', path.join(root, 'starter'));
    const l = await listPacks(root);
    expect(l.packs.map((p) => [p.name, p.status, p.variant, p.recipe, p.heads, p.active])).toEqual([
      ['default', 'ready', 'fp32', 'default', 'not trained (text, image)', false],
      ['starter', 'ready', 'int8', 'starter', 'not trained (image)', true],
    ]);
    for (const p of l.packs) expect(p.sizeBytes).toBeGreaterThan(10_000);
    expect(l.active).toMatchObject({ dir: path.join(root, 'starter'), from: 'MEMEGUARD_MODELS', exists: true, status: 'ready' });
    const text = formatListing(l);
    expect(text).toMatch(/PACK\s+STATUS\s+VARIANT\s+SIZE\s+HEADS\s+RECIPE/);
    expect(text).toMatch(/\* starter\s+ready\s+int8/);
    expect(text).toContain(`check/serve use: ${path.join(root, 'starter')} (from MEMEGUARD_MODELS)`);
  });

  it('heads trained once the heads file has a head for every encoder', async () => {
    const dir = path.join(root, 'starter');
    const pj = await readFile(path.join(dir, 'pack.json'), 'utf8');
    try {
      const heads = {
        format: 'memeguard-heads',
        version: 1,
        image: { type: 'logistic', dim: 2, weights: encodeTensor([0.5, -0.5], [2]), bias: 0 },
        fusions: [],
      };
      await writeFile(path.join(dir, 'heads.json'), JSON.stringify(heads));
      await writeFile(path.join(dir, 'pack.json'), JSON.stringify({ ...JSON.parse(pj), heads: 'heads.json' }));
      const p = (await listPacks(root)).packs.find((x) => x.name === 'starter')!;
      expect(p).toMatchObject({ heads: 'trained (image)', headsTrained: true });
    } finally {
      await writeFile(path.join(dir, 'pack.json'), pj);
      await rm(path.join(dir, 'heads.json'), { force: true });
    }
  });

  it('an unfinished pull is listed as incomplete; an unknown folder is ignored; the default pack is models/default', async () => {
    const dir = path.join(root, 'default');
    const pj = await readFile(path.join(dir, 'pack.json'));
    try {
      await rm(path.join(dir, 'pack.json'));
      await appendFile(path.join(root, 'notes.txt'), 'not a pack');
      const l = await listPacks(root, { ...process.env, MEMEGUARD_MODELS: undefined });
      expect(l.packs.find((p) => p.name === 'default')).toMatchObject({ status: 'incomplete' });
      expect(l.active.from).toBe('default');
      expect(l.active.dir).toBe(path.resolve('models/default'));
      expect(formatListing(l)).toContain('the pull did not finish');
    } finally {
      await writeFile(path.join(dir, 'pack.json'), pj);
    }
  });

  it('CLI: list prints the table; --json is machine-readable', async () => {
    const { code, out } = await cli(['list', '--dir', root]);
    expect(code).toBe(0);
    expect(out).toMatch(/default\s+ready\s+fp32/);
    expect(out).toContain('recipes: default, starter');
    const json = JSON.parse((await cli(['list', '--dir', root, '--json'])).out);
    expect(json.packs.map((p: { name: string }) => p.name)).toEqual(['default', 'starter']);
    expect(json.recipes).toEqual(['default', 'starter']);
  });

  it('an empty root says how to pull', async () => {
    const l = await listPacks(path.join(fx.work, 'empty'));
    expect(l.packs).toEqual([]);
    expect(formatListing(l)).toContain('memeguard models pull');
  });
});

describe('models CLI', () => {
  it('pull: plain progress lines when not a TTY, a summary, and a heads hint', async () => {
    const dir = path.join(fx.work, 'cli-packs');
    const { code, out, err } = await cli(['pull', '--dir', dir, '--endpoint', fx.hub.url]);
    expect(code).toBe(0);
    expect(err).toMatch(/^downloading text\/onnx\/model\.onnx \(\d+(\.\d)? kB\)$/m);
    expect(err).toMatch(/^done text\/onnx\/model\.onnx {2}/m);
    expect(err).not.toContain('\r');
    expect(out).toMatch(/^pulled default \(fp32\) into .*: 9 downloaded \(.*\), 0 already up to date$/m);
    expect(out).toContain('no heads yet for text and image');
    const again = await cli(['pull', '--dir', dir, '--endpoint', fx.hub.url]);
    expect(again.out).toContain('0 downloaded (0 B), 9 already up to date');
  });

  it('bad usage is a USAGE error; unknown pack names the known ones', async () => {
    await expect(run(['pull', '--variant', 'fp8'])).rejects.toMatchObject({ code: 'USAGE', message: 'unknown variant "fp8"' });
    await expect(run(['pull', '--bogus'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run(['frobnicate'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(run(['pull', 'nosuchpack', '--endpoint', fx.hub.url, '--dir', fx.work])).rejects.toMatchObject({
      code: 'USAGE',
      hint: 'known packs: default, starter',
    });
  });
});
