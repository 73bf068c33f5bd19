import { MemeguardError } from '../../errors.js';
import { downloadWithLimit } from '../shared/limited-download.js';

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
  const limitMb = (options.maxBytes / 1048576).toFixed(0);
  const httpError = (response: Response) =>
    new MemeguardError('DOWNLOAD_FAILED', `the image could not be downloaded (HTTP ${response.status})`);
  return downloadWithLimit(url, {
    maxBytes: options.maxBytes,
    timeoutMs,
    signal: options.signal,
    redirect: 'error',
    checkResponse: (response) => (response.body ? undefined : httpError(response)),
    errorFor: (f) => {
      if (f.kind === 'status') return httpError(f.response);
      if (f.kind === 'too-large') {
        return f.declared
          ? new MemeguardError('IMAGE_TOO_LARGE', `the file is ${(f.bytes / 1048576).toFixed(1)} MB; the limit is ${limitMb} MB`)
          : new MemeguardError('IMAGE_TOO_LARGE', `the file is over the ${limitMb} MB limit (download stopped)`);
      }
      if (f.timedOut) return new MemeguardError('TIMEOUT', `the download took longer than ${timeoutMs / 1000} s`, { cause: f.error });
      const why = (f.error as Error).message;
      return f.stage === 'request'
        ? new MemeguardError('DOWNLOAD_FAILED', `the image could not be downloaded: ${why}`, { cause: f.error })
        : new MemeguardError('DOWNLOAD_FAILED', `the download broke off: ${why}`, { cause: f.error });
    },
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host || 'an invalid URL';
  } catch {
    return 'an invalid URL';
  }
}
