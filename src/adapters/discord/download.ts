import { MemeguardError } from '../../errors.js';

/** Discord's CDN hosts: the only places the bot downloads from. */
export const DISCORD_CDN_HOSTS: readonly string[] = ['cdn.discordapp.com', 'media.discordapp.net'];

export interface DownloadPolicy {
  /**
   * TEST ONLY: one extra origin (e.g. http://127.0.0.1:PORT of the fake Discord's CDN) allowed besides the Discord
   * CDN hosts. The host check itself always runs.
   */
  testOrigin?: string;
  /** Milliseconds for the whole download (default 15 s). */
  timeoutMs?: number;
}

/** Whether `url` is on Discord's CDN (https), or exactly the test origin. */
export function isAllowedImageUrl(url: string, policy: DownloadPolicy = {}): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  if (u.protocol === 'https:' && DISCORD_CDN_HOSTS.includes(u.hostname.toLowerCase()) && (u.port === '' || u.port === '443')) return true;
  if (policy.testOrigin) {
    const t = new URL(policy.testOrigin);
    return u.origin === t.origin;
  }
  return false;
}

/**
 * Download an image from Discord's CDN: refuses other hosts and redirects, refuses a Content-Length over
 * `maxBytes`, stops reading the stream as soon as it passes `maxBytes`, and gives up after the timeout.
 */
export async function downloadImage(
  url: string,
  options: { maxBytes: number; signal?: AbortSignal } & DownloadPolicy,
): Promise<Uint8Array> {
  if (!isAllowedImageUrl(url, options)) {
    throw new MemeguardError('DOWNLOAD_FAILED', `refusing to download from ${safeHost(url)}: only Discord's CDN is allowed`);
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const limitMb = (options.maxBytes / 1048576).toFixed(0);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal });
  } catch (e) {
    if (timeout.aborted) throw new MemeguardError('TIMEOUT', `the download took longer than ${timeoutMs / 1000} s`, { cause: e });
    throw new MemeguardError('DOWNLOAD_FAILED', `the image could not be downloaded: ${(e as Error).message}`, { cause: e });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new MemeguardError('DOWNLOAD_FAILED', `the image could not be downloaded (HTTP ${response.status})`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body.cancel().catch(() => undefined);
    throw new MemeguardError('IMAGE_TOO_LARGE', `the file is ${(declared / 1048576).toFixed(1)} MB; the limit is ${limitMb} MB`);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new MemeguardError('IMAGE_TOO_LARGE', `the file is over the ${limitMb} MB limit (download stopped)`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof MemeguardError) throw e;
    if (timeout.aborted) throw new MemeguardError('TIMEOUT', `the download took longer than ${timeoutMs / 1000} s`, { cause: e });
    throw new MemeguardError('DOWNLOAD_FAILED', `the download broke off: ${(e as Error).message}`, { cause: e });
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host || 'an invalid URL';
  } catch {
    return 'an invalid URL';
  }
}
