import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A local imitation of the Hugging Face hub for tests, on 127.0.0.1 (random ports):
 * - `GET {hub}/{owner}/{name}/resolve/{revision}/{path}` like the hub: X-Repo-Commit on every answer; small files
 *   served directly (ETag = a 40-hex git blob id); LFS files (ONNX, or larger than `lfsThreshold`) answered with a
 *   302 to a CDN server on ANOTHER port (another origin, like cdn-lfs.huggingface.co) carrying X-Linked-Etag (the
 *   sha256) and X-Linked-Size; errors with the hub's X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound,
 *   GatedRepo) and 401 for a private repo without the token.
 * - Range requests answered 206 + Content-Range (416 past the end) on both servers.
 * - Faults per file path (`{repo}/{path}`), to test the client: a connection dropped after N bytes, Range ignored, a
 *   wrong sha256 advertised, a stalled body, an error status for the first N requests.
 * Files are read from disk at every request, so a test may change them between pulls.
 */

export interface FakeRepo {
  /** Folder whose files are the repo's files. */
  dir: string;
  /** Revisions that exist (default: 'main' and `commit`). */
  revisions?: string[];
  /** What X-Repo-Commit says (default: a sha1 of the repo name). */
  commit?: string;
  access?: 'public' | 'private' | 'gated';
}

export interface RequestRecord {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  status: number;
  range?: string;
  authorization?: string;
  userAgent?: string;
}

export interface Faults {
  /** Send only `afterBytes` bytes of the body, then cut the connection; `times` answers (default 1). */
  drop: Map<string, { afterBytes: number; times: number }>;
  /** Answer Range requests with 200 and the whole file. */
  ignoreRange: Set<string>;
  /** Advertise this sha256 in X-Linked-Etag instead of the real one. */
  wrongSha: Map<string, string>;
  /** Send `afterBytes` bytes then nothing more (the connection stays open). */
  stall: Map<string, { afterBytes: number; times: number }>;
  /** Answer with `status` for the first `times` requests of the file. */
  status: Map<string, { status: number; times: number }>;
  /** The CDN answers with `status` for the first `times` requests of the file (e.g. 403: signed link expired). */
  cdnStatus: Map<string, { status: number; times: number }>;
}

export interface FakeHub {
  /** The hub endpoint, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The CDN origin the LFS redirects point to. */
  cdnUrl: string;
  requests: RequestRecord[];
  faults: Faults;
  /** The token private and gated repos accept. */
  token: string;
  close(): Promise<void>;
}

export interface FakeHubOptions {
  repos: Record<string, FakeRepo>;
  token?: string;
  /** Files larger than this are LFS files (ONNX files always are). Default 4096 bytes. */
  lfsThreshold?: number;
}

function sha1Hex(s: string | Buffer): string {
  return createHash('sha1').update(s).digest('hex');
}

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const token = options.token ?? 'hf_faketoken0123456789';
  const lfsThreshold = options.lfsThreshold ?? 4096;
  const requests: RequestRecord[] = [];
  const faults: Faults = { drop: new Map(), ignoreRange: new Set(), wrongSha: new Map(), stall: new Map(), status: new Map(), cdnStatus: new Map() };
  const sockets = new Set<import('node:net').Socket>();
  let cdnUrl = '';

  const commitOf = (repo: string) => options.repos[repo]?.commit ?? sha1Hex(`commit:${repo}`);

  async function readRepoFile(repo: string, file: string): Promise<Buffer | undefined> {
    const r = options.repos[repo];
    if (!r) return undefined;
    const abs = path.join(r.dir, ...file.split('/'));
    if (!abs.startsWith(path.resolve(r.dir) + path.sep)) return undefined;
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    return readFile(abs);
  }

  /** Serve bytes with Range support and the configured faults of `key`. */
  function sendBytes(req: http.IncomingMessage, res: http.ServerResponse, key: string, bytes: Buffer, headers: Record<string, string>): number {
    const size = bytes.length;
    const range = req.headers.range;
    let start = 0;
    let status = 200;
    if (range && !faults.ignoreRange.has(key)) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (m) {
        start = Number(m[1]);
        if (start >= size) {
          res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` });
          res.end();
          return 416;
        }
        status = 206;
      }
    }
    const body = bytes.subarray(start);
    const out: Record<string, string> = { ...headers, 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes' };
    if (status === 206) out['Content-Range'] = `bytes ${start}-${size - 1}/${size}`;
    res.writeHead(status, out);
    if (req.method === 'HEAD') {
      res.end();
      return status;
    }
    const drop = faults.drop.get(key);
    if (drop && drop.times > 0) {
      drop.times--;
      // Half-close after the bytes are flushed: the client gets them, then a premature end of the body.
      res.write(body.subarray(0, Math.min(drop.afterBytes, body.length)), () => {
        res.socket?.end();
      });
      return status;
    }
    const stall = faults.stall.get(key);
    if (stall && stall.times > 0) {
      stall.times--;
      res.write(body.subarray(0, Math.min(stall.afterBytes, body.length)));
      return status; // never ends; close() cuts it
    }
    res.end(body);
    return status;
  }

  function record(server: 'hub' | 'cdn', req: http.IncomingMessage, status: number): void {
    requests.push({
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      status,
      range: req.headers.range,
      authorization: req.headers.authorization,
      userAgent: req.headers['user-agent'],
    });
  }

  function fail(res: http.ServerResponse, status: number, errorCode?: string, message?: string): number {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (errorCode) headers['X-Error-Code'] = errorCode;
    if (message) headers['X-Error-Message'] = message;
    res.writeHead(status, headers);
    res.end(JSON.stringify({ error: message ?? errorCode ?? String(status) }));
    return status;
  }

  async function hubHandler(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return fail(res, 404, undefined, 'not a resolve URL');
    const repo = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
    const revision = decodeURIComponent(m[3]);
    const file = m[4].split('/').map(decodeURIComponent).join('/');
    const key = `${repo}/${file}`;
    const r = options.repos[repo];
    if (!r) return fail(res, 404, 'RepoNotFound', 'Repository not found');
    const auth = req.headers.authorization;
    if (r.access === 'private' && auth !== `Bearer ${token}`) return fail(res, 401, undefined, 'Invalid credentials');
    if (r.access === 'gated' && auth !== `Bearer ${token}`) return fail(res, 403, 'GatedRepo', 'Access to this repo is restricted');
    const commit = commitOf(repo);
    const revisions = r.revisions ?? ['main', commit];
    if (!revisions.includes(revision)) return fail(res, 404, 'RevisionNotFound', 'Invalid rev id');
    const forced = faults.status.get(key);
    if (forced && forced.times > 0) {
      forced.times--;
      return fail(res, forced.status, undefined, 'injected failure');
    }
    const bytes = await readRepoFile(repo, file);
    if (!bytes) return fail(res, 404, 'EntryNotFound', 'Entry not found');
    const sha = sha256Hex(bytes);
    const isLfs = file.endsWith('.onnx') || bytes.length > lfsThreshold;
    if (isLfs) {
      const advertised = faults.wrongSha.get(key) ?? sha;
      const location = `${cdnUrl}/cdn/${encodeURIComponent(repo)}/${commit}/${file.split('/').map(encodeURIComponent).join('/')}?sig=${sha1Hex(key)}`;
      res.writeHead(302, {
        Location: location,
        'X-Repo-Commit': commit,
        'X-Linked-Etag': `"${advertised}"`,
        'X-Linked-Size': String(bytes.length),
        ETag: `"${advertised}"`,
        'Content-Length': '0',
      });
      res.end();
      return 302;
    }
    const blobId = sha1Hex(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]));
    return sendBytes(req, res, key, bytes, { 'X-Repo-Commit': commit, ETag: `"${blobId}"`, 'Content-Type': 'application/octet-stream' });
  }

  async function cdnHandler(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://cdn');
    const m = /^\/cdn\/([^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(url.pathname);
    if (!m || !url.searchParams.get('sig')) return fail(res, 403, undefined, 'bad signature');
    const repo = decodeURIComponent(m[1]);
    const file = m[3].split('/').map(decodeURIComponent).join('/');
    const forced = faults.cdnStatus.get(`${repo}/${file}`);
    if (forced && forced.times > 0) {
      forced.times--;
      return fail(res, forced.status, undefined, 'Request has expired');
    }
    const bytes = await readRepoFile(repo, file);
    if (!bytes) return fail(res, 404);
    // A CDN's own ETag is not the LFS sha256 (S3-style md5-ish id).
    return sendBytes(req, res, `${repo}/${file}`, bytes, { ETag: `"${sha1Hex(bytes).slice(0, 32)}"`, 'Content-Type': 'application/octet-stream' });
  }

  const make = (name: 'hub' | 'cdn', handler: typeof hubHandler) => {
    const server = http.createServer((req, res) => {
      handler(req, res).then(
        (status) => record(name, req, status),
        (e: unknown) => {
          record(name, req, 500);
          if (!res.headersSent) res.writeHead(500).end(String(e));
          else res.destroy();
        },
      );
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return server;
  };
  const hub = make('hub', hubHandler);
  const cdn = make('cdn', cdnHandler);
  const url = await listen(hub);
  cdnUrl = await listen(cdn);

  return {
    url,
    cdnUrl,
    requests,
    faults,
    token,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([hub, cdn].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** An endpoint on 127.0.0.1 where nothing listens (a port just opened and closed): connections are refused. */
export async function refusedEndpoint(): Promise<string> {
  const server = http.createServer();
  const url = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}
