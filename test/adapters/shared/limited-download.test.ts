import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DownloadFailure, downloadWithLimit, type LimitedDownloadOptions } from '../../../src/adapters/shared/limited-download.js';
import { MemeguardError } from '../../../src/errors.js';

let server: Server;
let base: string;
const seenHeaders: Record<string, string | undefined> = {};
let stalled: (() => void)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenHeaders[req.url ?? ''] = req.headers.authorization;
    const url = req.url ?? '';
    if (url === '/small') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '5' });
      res.end(Buffer.from([1, 2, 3, 4, 5]));
    } else if (url === '/declared-big') {
      res.writeHead(200, { 'content-length': '5000' });
      res.end(Buffer.alloc(5000));
    } else if (url === '/stream-big') {
      // No Content-Length: the limit is found while reading.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const more = () => {
        if (sent > 1_000_000 || res.destroyed) return res.end();
        sent += 1000;
        res.write(Buffer.alloc(1000, 9), more);
      };
      more();
    } else if (url === '/stall') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(10));
      stalled.push(() => res.end());
    } else if (url === '/redirect') {
      res.writeHead(302, { location: '/small' });
      res.end();
    } else if (url === '/html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>sign in</html>');
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const end of stalled) end();
  stalled = [];
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Words every failure as one error whose message records the failure, so the tests can see what was reported. */
function options(extra: Partial<LimitedDownloadOptions> = {}): LimitedDownloadOptions {
  return {
    maxBytes: 1000,
    timeoutMs: 5000,
    redirect: 'error',
    errorFor: (f: DownloadFailure) => {
      if (f.kind === 'status') return new MemeguardError('DOWNLOAD_FAILED', `status ${f.response.status}`);
      if (f.kind === 'too-large') return new MemeguardError('IMAGE_TOO_LARGE', `${f.declared ? 'declared' : 'read'} ${f.bytes}`);
      const how = f.cancelled ? 'cancelled' : f.timedOut ? 'timeout' : 'failed';
      return new MemeguardError(f.cancelled ? 'CANCELLED' : f.timedOut ? 'TIMEOUT' : 'DOWNLOAD_FAILED', `${how} ${f.stage}`);
    },
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MemeguardError);
  return `${(e as MemeguardError).code}: ${(e as MemeguardError).message}`;
}

describe('downloadWithLimit', () => {
  it('returns the body and sends the given headers', async () => {
    const bytes = await downloadWithLimit(`${base}/small`, options({ headers: { Authorization: 'Bearer t' } }));
    expect(bytes).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(seenHeaders['/small']).toBe('Bearer t');
  });

  it('refuses a declared size over the limit, and a stream that passes it', async () => {
    expect(await failure(downloadWithLimit(`${base}/declared-big`, options()))).toBe('IMAGE_TOO_LARGE: declared 5000');
    const msg = await failure(downloadWithLimit(`${base}/stream-big`, options({ maxBytes: 20_000 })));
    expect(msg).toMatch(/^IMAGE_TOO_LARGE: read \d+$/);
    const read = Number(msg.split(' ').at(-1));
    expect(read).toBeGreaterThan(20_000);
    expect(read).toBeLessThan(200_000);
  });

  it('words a non-2xx status, a refused redirect and a failed check of the response', async () => {
    expect(await failure(downloadWithLimit(`${base}/missing`, options()))).toBe('DOWNLOAD_FAILED: status 404');
    expect(await failure(downloadWithLimit(`${base}/redirect`, options()))).toBe('DOWNLOAD_FAILED: failed request');
    expect(await downloadWithLimit(`${base}/redirect`, options({ redirect: 'follow' }))).toHaveLength(5);
    const html = (r: Response) =>
      r.headers.get('content-type')?.startsWith('text/html') ? new MemeguardError('DOWNLOAD_FAILED', 'a web page') : undefined;
    expect(await failure(downloadWithLimit(`${base}/html`, options({ checkResponse: html })))).toBe('DOWNLOAD_FAILED: a web page');
    expect(await downloadWithLimit(`${base}/small`, options({ checkResponse: html }))).toHaveLength(5);
  });

  it('gives up after the timeout, and tells a cancel by the caller apart', async () => {
    expect(await failure(downloadWithLimit(`${base}/stall`, options({ timeoutMs: 200 })))).toBe('TIMEOUT: timeout read');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await failure(downloadWithLimit(`${base}/stall`, options({ signal: ac.signal })))).toBe('CANCELLED: cancelled read');
  });

  it('a host that does not answer is a failed request', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failure(downloadWithLimit(`http://127.0.0.1:${port}/x`, options()))).toBe('DOWNLOAD_FAILED: failed request');
  });
});
