import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { downloadFile, openFileOnDisk, type DownloadOptions, type OpenFile } from '../../src/models/download.js';
import { resolveUrl, USER_AGENT } from '../../src/models/hub.js';
import { refusedEndpoint, startFakeHub, type FakeHub } from './fake-hub.js';

process.env.MEMEGUARD_LOG = 'silent';

const REPO = 'acme/model';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let work: string;
let hub: FakeHub;
let big: Buffer; // an LFS file (served through the CDN redirect)
let small: Buffer; // a regular git file

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mg-dl-'));
  const repoDir = path.join(work, 'repo');
  await mkdir(path.join(repoDir, 'onnx'), { recursive: true });
  big = randomBytes(200_000);
  small = Buffer.from(JSON.stringify({ model_type: 'bert', hidden_size: 32 }));
  await writeFile(path.join(repoDir, 'onnx', 'model.onnx'), big);
  await writeFile(path.join(repoDir, 'config.json'), small);
  hub = await startFakeHub({
    repos: {
      [REPO]: { dir: repoDir },
      'acme/private': { dir: repoDir, access: 'private' },
      'acme/gated': { dir: repoDir, access: 'gated' },
    },
  });
});

afterAll(async () => {
  await hub.close();
  await rm(work, { recursive: true, force: true });
});

afterEach(() => {
  hub.requests.length = 0;
  for (const m of [hub.faults.drop, hub.faults.stall, hub.faults.status, hub.faults.cdnStatus, hub.faults.wrongSha]) m.clear();
  hub.faults.ignoreRange.clear();
});

let n = 0;
function opts(file: string, extra: Partial<DownloadOptions> = {}, repo = REPO, revision = 'main'): DownloadOptions {
  n++;
  return {
    url: resolveUrl(hub.url, repo, revision, file),
    ref: { endpoint: hub.url, repo, revision, file },
    dest: path.join(work, `out-${n}`, file),
    retries: 3,
    backoffMs: 5,
    ...extra,
  };
}

async function errorOf(p: Promise<unknown>): Promise<MemeguardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MemeguardError);
    return e as MemeguardError;
  }
  throw new Error('expected the download to fail');
}

const exists = (f: string) => stat(f).then(() => true, () => false);

describe('downloadFile', () => {
  it('follows the LFS redirect to the CDN, checks the sha256 from X-Linked-Etag and renames when complete', async () => {
    const o = opts('onnx/model.onnx', { token: hub.token });
    const r = await downloadFile(o);
    expect(await readFile(o.dest)).toEqual(big);
    expect(r).toMatchObject({ size: big.length, sha256: sha256(big), verifiedByHub: true, resumed: 0 });
    expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(await exists(`${o.dest}.part`)).toBe(false);
    const hubReq = hub.requests.find((q) => q.server === 'hub')!;
    const cdnReq = hub.requests.find((q) => q.server === 'cdn')!;
    expect(hubReq.status).toBe(302);
    expect(cdnReq.status).toBe(200);
    // The token goes to the hub only, never to the CDN's origin.
    expect(hubReq.authorization).toBe(`Bearer ${hub.token}`);
    expect(cdnReq.authorization).toBeUndefined();
    expect(hubReq.userAgent).toBe(USER_AGENT);
    expect(cdnReq.userAgent).toBe(USER_AGENT);
  });

  it('computes the sha256 itself for a regular (non-LFS) file, whose ETag is a git id', async () => {
    const o = opts('config.json');
    const r = await downloadFile(o);
    expect(await readFile(o.dest)).toEqual(small);
    expect(r).toMatchObject({ size: small.length, sha256: sha256(small), verifiedByHub: false });
    expect(hub.requests.every((q) => q.server === 'hub' && q.authorization === undefined)).toBe(true);
  });

  it('resumes with a Range request after the connection drops halfway, and the file is whole', async () => {
    hub.faults.drop.set(`${REPO}/onnx/model.onnx`, { afterBytes: 100_000, times: 1 });
    const o = opts('onnx/model.onnx');
    const r = await downloadFile(o);
    expect(r.resumed).toBe(1);
    expect(r.attempts).toBe(2);
    const cdn = hub.requests.filter((q) => q.server === 'cdn');
    expect(cdn.map((q) => [q.status, q.range])).toEqual([
      [200, undefined],
      [206, 'bytes=100000-'],
    ]);
    // The hub request of the retry carries the Range too (it is forwarded through the redirect).
    expect(hub.requests.filter((q) => q.server === 'hub')[1].range).toBe('bytes=100000-');
    expect(sha256(await readFile(o.dest))).toBe(sha256(big));
  });

  it('starts over when the server ignores Range (200 instead of 206)', async () => {
    hub.faults.drop.set(`${REPO}/onnx/model.onnx`, { afterBytes: 50_000, times: 1 });
    hub.faults.ignoreRange.add(`${REPO}/onnx/model.onnx`);
    const o = opts('onnx/model.onnx');
    const r = await downloadFile(o);
    expect(r.resumed).toBe(0);
    expect(hub.requests.filter((q) => q.server === 'cdn').map((q) => [q.status, q.range])).toEqual([
      [200, undefined],
      [200, 'bytes=50000-'],
    ]);
    expect(await readFile(o.dest)).toEqual(big);
  });

  it('resumes a .part file left by an earlier, interrupted run', async () => {
    const o = opts('onnx/model.onnx');
    await mkdir(path.dirname(o.dest), { recursive: true });
    await writeFile(`${o.dest}.part`, big.subarray(0, 123_456));
    const r = await downloadFile(o);
    expect(r.resumed).toBe(1);
    expect(hub.requests.find((q) => q.server === 'cdn')?.range).toBe('bytes=123456-');
    expect(await readFile(o.dest)).toEqual(big);
  });

  it('starts over when a stale .part does not match the file (checksum after resume)', async () => {
    const o = opts('onnx/model.onnx');
    await mkdir(path.dirname(o.dest), { recursive: true });
    await writeFile(`${o.dest}.part`, randomBytes(1000));
    await downloadFile(o);
    expect(await readFile(o.dest)).toEqual(big);
  });

  it('fails with one clear line when the connection keeps dropping, keeping the partial file', async () => {
    hub.faults.drop.set(`${REPO}/onnx/model.onnx`, { afterBytes: 10_000, times: 100 });
    const o = opts('onnx/model.onnx', { retries: 2 });
    const e = await errorOf(downloadFile(o));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/connection dropped at 30000 of 200000 bytes .*while downloading .*model\.onnx, after 3 tries/);
    expect(e.toLine()).not.toContain('\n');
    expect(e.hint).toMatch(/resumes/);
    expect((await stat(`${o.dest}.part`)).size).toBe(30_000);
    expect(await exists(o.dest)).toBe(false);
  });

  it('checksum mismatch: names file, expected and got, and removes the bad file', async () => {
    const wrong = 'ab'.repeat(32);
    hub.faults.wrongSha.set(`${REPO}/onnx/model.onnx`, wrong);
    const o = opts('onnx/model.onnx');
    const e = await errorOf(downloadFile(o));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain('checksum mismatch');
    expect(e.message).toContain(`expected sha256 ${wrong}`);
    expect(e.message).toContain(`got ${sha256(big)}`);
    expect(e.message).toContain('onnx/model.onnx');
    expect(await exists(o.dest)).toBe(false);
    expect(await exists(`${o.dest}.part`)).toBe(false);
  });

  it('404 for a missing file names repo, revision and file', async () => {
    const e = await errorOf(downloadFile(opts('onnx/model_fp16.onnx')));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toBe('file onnx/model_fp16.onnx not found in acme/model at revision main (404)');
  });

  it('404 for a missing revision or repo says which', async () => {
    const rev = await errorOf(downloadFile(opts('config.json', {}, REPO, 'f'.repeat(40))));
    expect(rev.message).toContain(`revision ${'f'.repeat(40)} of acme/model not found`);
    const repo = await errorOf(downloadFile(opts('config.json', {}, 'acme/nope')));
    expect(repo.message).toContain('repo acme/nope not found');
  });

  it('401 for a private repo mentions HF_TOKEN', async () => {
    const e = await errorOf(downloadFile(opts('config.json', {}, 'acme/private')));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain('access denied (401)');
    expect(e.hint).toContain('HF_TOKEN');
  });

  it('403 for a gated repo with a refused token says HF_TOKEN is set and never prints it', async () => {
    const secret = 'hf_wrongwrongwrongwrong123';
    const e = await errorOf(downloadFile(opts('config.json', { token: secret }, 'acme/gated')));
    expect(e.message).toContain('access denied (403)');
    expect(e.message).toContain('gated');
    expect(e.hint).toContain('HF_TOKEN is set');
    expect(e.toLine()).not.toContain(secret);
    // A 4xx is not retried.
    expect(hub.requests).toHaveLength(1);
  });

  it('the token opens a private repo', async () => {
    const o = opts('onnx/model.onnx', { token: hub.token }, 'acme/private');
    await downloadFile(o);
    expect(await readFile(o.dest)).toEqual(big);
  });

  it('retries a 503 and then succeeds', async () => {
    hub.faults.status.set(`${REPO}/config.json`, { status: 503, times: 2 });
    const o = opts('config.json');
    const r = await downloadFile(o);
    expect(r.attempts).toBe(3);
    expect(await readFile(o.dest)).toEqual(small);
  });

  it('a CDN refusing its signed link (403) is retried through the hub, not reported as a gated repo', async () => {
    hub.faults.cdnStatus.set(`${REPO}/onnx/model.onnx`, { status: 403, times: 1 });
    const o = opts('onnx/model.onnx');
    const r = await downloadFile(o);
    expect(r.attempts).toBe(2);
    expect(hub.requests.map((q) => [q.server, q.status])).toEqual([
      ['hub', 302],
      ['cdn', 403],
      ['hub', 302],
      ['cdn', 200],
    ]);
    expect(await readFile(o.dest)).toEqual(big);
  });

  it('a stalled transfer times out and resumes', async () => {
    hub.faults.stall.set(`${REPO}/onnx/model.onnx`, { afterBytes: 70_000, times: 1 });
    const o = opts('onnx/model.onnx', { idleTimeoutMs: 300 });
    const r = await downloadFile(o);
    expect(r.resumed).toBe(1);
    expect(hub.requests.filter((q) => q.server === 'cdn').at(-1)?.range).toBe('bytes=70000-');
    expect(await readFile(o.dest)).toEqual(big);
  });

  it('hub unreachable: names the endpoint and suggests HF_ENDPOINT', async () => {
    const endpoint = await refusedEndpoint();
    const o: DownloadOptions = {
      url: resolveUrl(endpoint, REPO, 'main', 'config.json'),
      ref: { endpoint, repo: REPO, revision: 'main', file: 'config.json' },
      dest: path.join(work, 'unreachable', 'config.json'),
      retries: 1,
      backoffMs: 5,
    };
    const e = await errorOf(downloadFile(o));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain(`cannot reach the hub at ${endpoint}`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.hint).toContain('HF_ENDPOINT');
  });

  it('disk full (ENOSPC from the writer) is one clear line, not retried', async () => {
    let writes = 0;
    const fullDisk: OpenFile = async (file, mode) => {
      const real = await openFileOnDisk(file, mode);
      return {
        async write(chunk) {
          if (++writes > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          await real.write(chunk);
        },
        close: () => real.close(),
      };
    };
    const o = opts('onnx/model.onnx', { openFile: fullDisk });
    const e = await errorOf(downloadFile(o));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toMatch(/^disk full while writing .*model\.onnx \(ENOSPC\)/);
    expect(e.hint).toMatch(/free some space/);
    expect(hub.requests.filter((q) => q.server === 'cdn')).toHaveLength(1);
    expect(await exists(o.dest)).toBe(false);
  });
});
