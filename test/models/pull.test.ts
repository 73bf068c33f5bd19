import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { readPack } from '../../src/inference/pack/load.js';
import type { OpenFile } from '../../src/models/download.js';
import { openFileOnDisk } from '../../src/models/download.js';
import { LOCK_FILE, readLock } from '../../src/models/lock.js';
import { PULL_PID_FILE, pullPack, type PullOptions } from '../../src/models/pull.js';
import { refusedEndpoint } from './fake-hub.js';
import { startRecipeHub, type HubFixture } from './hub-fixture.js';

process.env.MEMEGUARD_LOG = 'silent';

const BERT_PIN = 'ab680a327acc2d9c3bd279ffb1cd43454181f743';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const exists = (f: string) => stat(f).then(() => true, () => false);

let fx: HubFixture;
let roots = 0;
const newRoot = () => path.join(fx.work, `packs-${++roots}`);
const pull = (root: string, extra: Partial<PullOptions> = {}) =>
  pullPack({ pack: 'default', root, endpoint: fx.hub.url, transfer: { backoffMs: 5, retries: 2 }, ...extra });

beforeAll(async () => {
  fx = await startRecipeHub();
});
afterAll(async () => {
  await fx.close();
});
afterEach(() => {
  fx.hub.requests.length = 0;
  fx.hub.faults.stall.clear();
  fx.hub.faults.status.clear();
  fx.hub.faults.drop.clear();
});

describe('pullPack', () => {
  it('pulls the default recipe: every file whole, pack.json valid, lock records source, size and sha256', async () => {
    const root = newRoot();
    const r = await pull(root);
    const dir = path.join(root, 'default');
    expect(r.dir).toBe(dir);
    expect(r.variant).toBe('fp32');
    const expected = [
      ['text/config.json', 'Xenova/bert-base-uncased', BERT_PIN, 'config.json'],
      ['text/tokenizer.json', 'Xenova/bert-base-uncased', BERT_PIN, 'tokenizer.json'],
      ['text/tokenizer_config.json', 'Xenova/bert-base-uncased', BERT_PIN, 'tokenizer_config.json'],
      ['text/special_tokens_map.json', 'Xenova/bert-base-uncased', BERT_PIN, 'special_tokens_map.json'],
      ['text/vocab.txt', 'Xenova/bert-base-uncased', BERT_PIN, 'vocab.txt'],
      ['text/onnx/model.onnx', 'Xenova/bert-base-uncased', BERT_PIN, 'onnx/model.onnx'],
      ['image/config.json', 'Xenova/resnet-152', 'main', 'config.json'],
      ['image/preprocessor_config.json', 'Xenova/resnet-152', 'main', 'preprocessor_config.json'],
      ['image/onnx/model.onnx', 'Xenova/resnet-152', 'main', 'onnx/model.onnx'],
    ];
    const lock = (await readLock(dir))!;
    expect(lock).toMatchObject({ recipe: 'default', variant: 'fp32', endpoint: fx.hub.url, complete: true });
    expect(lock.files.map((f) => [f.path, f.repo, f.revision, f.file])).toEqual(expected);
    for (const entry of lock.files) {
      const source = await readFile(path.join(fx.repoDirs[entry.repo], entry.file));
      const pulled = await readFile(path.join(dir, entry.path));
      expect(pulled.equals(source)).toBe(true);
      expect(entry.size).toBe(source.length);
      expect(entry.sha256).toBe(sha256(source));
      expect(entry.verifiedByHub).toBe(entry.file.endsWith('.onnx'));
      expect(entry.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(await exists(path.join(dir, `${entry.path}.part`))).toBe(false);
    }
    expect(lock.files[0].commit).toBe(BERT_PIN);
    const { json } = await readPack(dir);
    expect(json.text).toEqual({ path: 'text', kind: 'encoder', pooling: 'cls', onnx: 'onnx/model.onnx', maxLength: 128 });
    expect(json.image).toEqual({ path: 'image', kind: 'encoder', onnx: 'onnx/model.onnx' });
    expect(json.heads).toBeUndefined();
    expect(json.fusion).toEqual({ rule: 'seed-sum', threshold: 0.5 });
    expect(json.source).toMatchObject({ recipe: 'default', variant: 'fp32', endpoint: fx.hub.url, textCommit: BERT_PIN });
    expect(r.files.every((f) => f.status === 'downloaded')).toBe(true);
    expect(r.downloadedBytes).toBe(lock.files.reduce((a, f) => a + f.size, 0));
  });

  it('a second pull of an up-to-date pack asks the hub nothing; --force downloads again', async () => {
    const root = newRoot();
    await pull(root);
    fx.hub.requests.length = 0;
    const again = await pull(root);
    expect(fx.hub.requests).toHaveLength(0);
    expect(again.files.every((f) => f.status === 'kept')).toBe(true);
    expect(again.downloadedBytes).toBe(0);
    expect(await exists(path.join(root, 'default', 'pack.json'))).toBe(true);

    const forced = await pull(root, { force: true });
    expect(forced.files.every((f) => f.status === 'downloaded')).toBe(true);
    expect(fx.hub.requests.filter((q) => q.server === 'hub')).toHaveLength(9);
  });

  it('a file changed on disk is fetched again, the others kept', async () => {
    const root = newRoot();
    await pull(root);
    const cfg = path.join(root, 'default', 'image', 'config.json');
    await writeFile(cfg, '{"tampered": true}');
    fx.hub.requests.length = 0;
    const r = await pull(root);
    expect(r.files.filter((f) => f.status === 'downloaded').map((f) => f.path)).toEqual(['image/config.json']);
    expect(await readFile(cfg)).toEqual(await readFile(path.join(fx.repoDirs['Xenova/resnet-152'], 'config.json')));
  });

  it('--variant int8 fetches onnx/model_quantized.onnx, writes it into pack.json and removes the fp32 files', async () => {
    const root = newRoot();
    await pull(root);
    const r = await pull(root, { variant: 'int8' });
    const dir = path.join(root, 'default');
    expect(r.variant).toBe('int8');
    expect(r.removedStale.sort()).toEqual(['image/onnx/model.onnx', 'text/onnx/model.onnx']);
    expect(await exists(path.join(dir, 'text', 'onnx', 'model.onnx'))).toBe(false);
    expect(await exists(path.join(dir, 'text', 'onnx', 'model_quantized.onnx'))).toBe(true);
    const { json } = await readPack(dir);
    expect(json.text?.onnx).toBe('onnx/model_quantized.onnx');
    expect(json.image?.onnx).toBe('onnx/model_quantized.onnx');
    // Only the two ONNX files were fetched; the rest was kept.
    expect(r.files.filter((f) => f.status === 'downloaded').map((f) => f.path)).toEqual([
      'text/onnx/model_quantized.onnx',
      'image/onnx/model_quantized.onnx',
    ]);
    expect((await readLock(dir))?.variant).toBe('int8');
  });

  it('an interrupted pull leaves no pack.json; the next pull finishes it without fetching the finished files again', async () => {
    const root = newRoot();
    await pull(root);
    const dir = path.join(root, 'default');
    // fp16 does not exist in the repos: the pull stops at the first ONNX file with a 404 naming repo, revision, file.
    const e = await pull(root, { variant: 'fp16' }).then(() => undefined, (x: unknown) => x as MemeguardError);
    expect(e).toBeInstanceOf(MemeguardError);
    expect(e?.code).toBe('DOWNLOAD_FAILED');
    expect(e?.message).toBe(`file onnx/model_fp16.onnx not found in Xenova/bert-base-uncased at revision ${BERT_PIN} (404)`);
    expect(await exists(path.join(dir, 'pack.json'))).toBe(false);
    expect((await readLock(dir))?.complete).toBe(false);
    await expect(readPack(dir)).rejects.toMatchObject({ code: 'PACK_MISSING' });

    fx.hub.requests.length = 0;
    const r = await pull(root);
    expect(r.files.every((f) => f.status === 'kept')).toBe(true);
    expect(fx.hub.requests).toHaveLength(0);
    expect((await readPack(dir)).json.name).toBe('default');
  });

  it('a connection dropped halfway through an ONNX file is resumed with Range inside a pull', async () => {
    const root = newRoot();
    const size = (await stat(path.join(fx.repoDirs['Xenova/resnet-152'], 'onnx', 'model.onnx'))).size;
    const half = Math.floor(size / 2);
    fx.hub.faults.drop.set('Xenova/resnet-152/onnx/model.onnx', { afterBytes: half, times: 1 });
    const r = await pull(root);
    expect(r.files.find((f) => f.path === 'image/onnx/model.onnx')?.resumed).toBe(1);
    expect(fx.hub.requests.some((q) => q.server === 'cdn' && q.status === 206 && q.range === `bytes=${half}-`)).toBe(true);
    const pulled = await readFile(path.join(root, 'default', 'image', 'onnx', 'model.onnx'));
    expect(pulled.equals(await readFile(path.join(fx.repoDirs['Xenova/resnet-152'], 'onnx', 'model.onnx')))).toBe(true);
  });

  it('optional files the repo does not have are skipped', async () => {
    const root = newRoot();
    const vocab = path.join(fx.repoDirs['Xenova/bert-base-uncased'], 'vocab.txt');
    const saved = await readFile(vocab);
    await rm(vocab);
    try {
      const r = await pull(root);
      expect(r.files.find((f) => f.path === 'text/vocab.txt')?.status).toBe('absent-optional');
      expect((await readLock(path.join(root, 'default')))?.files.some((f) => f.path === 'text/vocab.txt')).toBe(false);
      expect((await readPack(path.join(root, 'default'))).json.text?.kind).toBe('encoder');
    } finally {
      await writeFile(vocab, saved);
    }
  });

  it('the starter recipe: toxic-bert classifier with its hateful labels + resnet encoder', async () => {
    const root = newRoot();
    await pull(root, { pack: 'starter' });
    const { json } = await readPack(path.join(root, 'starter'));
    expect(json.text).toMatchObject({
      kind: 'classifier',
      problemType: 'multi_label',
      hatefulLabels: ['identity_hate', 'insult', 'toxic'],
      combine: 'max',
    });
    expect(json.image?.kind).toBe('encoder');
    const labels = Object.values(JSON.parse(await readFile(path.join(root, 'starter', 'text', 'config.json'), 'utf8')).id2label);
    for (const l of json.text?.kind === 'classifier' ? json.text.hatefulLabels : []) expect(labels).toContain(l);
  });

  it('a re-pull keeps trained heads and the fusion settings of pack.json', async () => {
    const root = newRoot();
    await pull(root);
    const dir = path.join(root, 'default');
    const pj = JSON.parse(await readFile(path.join(dir, 'pack.json'), 'utf8'));
    await writeFile(path.join(dir, 'heads.json'), JSON.stringify({ format: 'memeguard-heads', version: 1, fusions: [] }));
    await writeFile(path.join(dir, 'pack.json'), JSON.stringify({ ...pj, heads: 'heads.json', fusion: { rule: 'seed-sum', threshold: 0.42 } }));
    await pull(root, { force: true });
    const { json } = await readPack(dir);
    expect(json.heads).toBe('heads.json');
    expect(json.fusion.threshold).toBe(0.42);

    // Even across an interrupted pull (pack.json removed meanwhile), they come back.
    await expect(pull(root, { variant: 'fp16' })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    expect(await exists(path.join(dir, 'pack.json'))).toBe(false);
    expect((await readLock(dir))?.carry).toEqual({ heads: 'heads.json', fusion: { rule: 'seed-sum', threshold: 0.42 } });
    await pull(root);
    const after = (await readPack(dir)).json;
    expect(after.heads).toBe('heads.json');
    expect(after.fusion.threshold).toBe(0.42);
    expect((await readLock(dir))?.carry).toBeUndefined();
  });

  it('disk full during a pull: one clear line, no pack.json', async () => {
    const root = newRoot();
    const full: OpenFile = async (file, mode) => {
      if (file.endsWith('.onnx.part')) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return openFileOnDisk(file, mode);
    };
    const e = await pull(root, { transfer: { openFile: full, retries: 1, backoffMs: 5 } }).then(() => undefined, (x: unknown) => x as MemeguardError);
    expect(e?.code).toBe('DOWNLOAD_FAILED');
    expect(e?.message).toMatch(/^disk full while writing text\/onnx\/model\.onnx/);
    expect(await exists(path.join(root, 'default', 'pack.json'))).toBe(false);
    expect(await exists(path.join(root, 'default', LOCK_FILE))).toBe(true);
  });

  it('hub unreachable during a pull names the endpoint and HF_ENDPOINT', async () => {
    const endpoint = await refusedEndpoint();
    const e = await pull(newRoot(), { endpoint, transfer: { retries: 4, backoffMs: 5 } }).then(
      () => undefined,
      (x: unknown) => x as MemeguardError,
    );
    expect(e?.code).toBe('DOWNLOAD_FAILED');
    expect(e?.message).toContain(`cannot reach the hub at ${endpoint} — cannot connect (ECONNREFUSED) after 3 tries; are you offline?`);
    expect(e?.hint).toContain('HF_ENDPOINT');
  });

  it('HF_TOKEN from the environment goes to the hub as a bearer token, not to the CDN', async () => {
    const saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = 'hf_fromtheenvironment12345';
    try {
      await pull(newRoot());
    } finally {
      if (saved === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved;
    }
    const hubAuth = new Set(fx.hub.requests.filter((q) => q.server === 'hub').map((q) => q.authorization));
    const cdnAuth = new Set(fx.hub.requests.filter((q) => q.server === 'cdn').map((q) => q.authorization));
    expect([...hubAuth]).toEqual(['Bearer hf_fromtheenvironment12345']);
    expect([...cdnAuth]).toEqual([undefined]);
  });

  it('HF_HUB_OFFLINE: an up-to-date pack passes without a request; anything to fetch is a clear error', async () => {
    const root = newRoot();
    await pull(root);
    fx.hub.requests.length = 0;
    vi.stubEnv('HF_HUB_OFFLINE', '1');
    try {
      expect((await pull(root)).files.every((f) => f.status === 'kept')).toBe(true);
      const e = await pull(root, { variant: 'int8' }).then(
        () => undefined,
        (x: unknown) => x as MemeguardError,
      );
      expect(e?.code).toBe('DOWNLOAD_FAILED');
      expect(e?.message).toBe('HF_HUB_OFFLINE is set, and 2 file(s) of default must be downloaded (text/onnx/model_quantized.onnx, ...)');
      expect(fx.hub.requests).toHaveLength(0);
      // Refused before touching anything: the pack is still usable.
      expect((await readPack(path.join(root, 'default'))).json.text?.onnx).toBe('onnx/model.onnx');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('endpoint from HF_ENDPOINT when no --endpoint', async () => {
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = fx.hub.url;
    try {
      const r = await pullPack({ pack: 'default', root: newRoot(), transfer: { backoffMs: 5 } });
      expect(r.endpoint).toBe(fx.hub.url);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });
});

describe('pullPack, one at a time and cancellable', () => {
  it('refuses a second pull into a folder another live process is pulling into; takes over a stale claim', async () => {
    const root = newRoot();
    const dir = path.join(root, 'default');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, PULL_PID_FILE), String(process.pid));
    const e = await pull(root).then(
      () => undefined,
      (x: unknown) => x as MemeguardError,
    );
    expect(e?.code).toBe('DOWNLOAD_FAILED');
    expect(e?.message).toBe(`another \`models pull\` (pid ${process.pid}) is writing ${dir}`);

    // A pid that has exited: the claim is stale.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(path.join(dir, PULL_PID_FILE), child.stdout);
    await pull(root);
    expect(await exists(path.join(dir, PULL_PID_FILE))).toBe(false);
    expect(await exists(path.join(dir, 'pack.json'))).toBe(true);
  });

  it('an aborted pull (Ctrl-C) is CANCELLED, keeps the partial file, writes no pack.json, and the next pull resumes it', async () => {
    const root = newRoot();
    const key = 'Xenova/bert-base-uncased/onnx/model.onnx';
    fx.hub.faults.stall.set(key, { afterBytes: 50_000, times: 1 });
    const controller = new AbortController();
    const progress = {
      line: () => undefined,
      file: (label: string) => ({
        start: () => undefined,
        advance: () => {
          if (label === 'text/onnx/model.onnx') setTimeout(() => controller.abort(), 50);
        },
        note: () => undefined,
        done: () => undefined,
      }),
    };
    const e = await pull(root, { signal: controller.signal, progress }).then(
      () => undefined,
      (x: unknown) => x as MemeguardError,
    );
    fx.hub.faults.stall.clear();
    expect(e?.code).toBe('CANCELLED');
    expect(e?.message).toBe('download of text/onnx/model.onnx interrupted');
    const dir = path.join(root, 'default');
    expect((await stat(path.join(dir, 'text', 'onnx', 'model.onnx.part'))).size).toBe(50_000);
    expect(await exists(path.join(dir, 'pack.json'))).toBe(false);
    expect(await exists(path.join(dir, PULL_PID_FILE))).toBe(false);

    fx.hub.requests.length = 0;
    const r = await pull(root);
    expect(r.files.find((f) => f.path === 'text/onnx/model.onnx')).toMatchObject({ status: 'downloaded', resumed: 1 });
    expect(fx.hub.requests.find((q) => q.server === 'cdn')?.range).toBe('bytes=50000-');
  });
});
