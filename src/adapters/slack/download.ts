/**
 * Download a Slack-hosted file (url_private_download) with the bot token. Only Slack's own hosts (and the configured
 * API host, for Enterprise proxies and tests) ever see the token; the declared size is checked before the request
 * and the byte count while reading, so a huge file is never held in memory.
 */
import { MemeguardError } from '../../errors.js';
import { downloadWithLimit } from '../shared/limited-download.js';

export interface SlackDownloadOptions {
  botToken: string;
  maxBytes: number;
  /** Hosts besides *.slack.com that may receive the bot token (the SLACK_API_URL host). */
  extraHosts?: string[];
  declaredSize?: number;
  signal?: AbortSignal;
  /** Gives up after this long (default 30 s). */
  timeoutMs?: number;
}

/** True when `url` is an https Slack file host, or an http(s) host in `extraHosts`. */
export function isSlackFileHost(url: URL, extraHosts: string[] = []): boolean {
  if (extraHosts.includes(url.host)) return url.protocol === 'https:' || url.protocol === 'http:';
  if (url.protocol !== 'https:') return false;
  return url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com') || url.hostname.endsWith('.slack-edge.com');
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 1 : 0)} MB`;
}

export function tooLarge(size: number, maxBytes: number): MemeguardError {
  return new MemeguardError('IMAGE_TOO_LARGE', `the file is ${megabytes(size)}; the limit is ${megabytes(maxBytes)}`);
}

export async function downloadSlackFile(rawUrl: string, options: SlackDownloadOptions): Promise<Uint8Array> {
  const { botToken, maxBytes } = options;
  if (options.declaredSize !== undefined && options.declaredSize > maxBytes) throw tooLarge(options.declaredSize, maxBytes);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new MemeguardError('DOWNLOAD_FAILED', 'the file link is not a URL');
  }
  if (!isSlackFileHost(url, options.extraHosts)) {
    throw new MemeguardError('DOWNLOAD_FAILED', `refusing to download from ${url.host}: not a Slack file host`);
  }
  return downloadWithLimit(url, {
    maxBytes,
    timeoutMs: options.timeoutMs ?? 30_000,
    signal: options.signal,
    headers: { Authorization: `Bearer ${botToken}` },
    redirect: 'follow',
    checkResponse: (response) =>
      // Slack serves its sign-in page (status 200) instead of the file when the token is wrong or lacks files:read.
      (response.headers.get('content-type') ?? '').startsWith('text/html')
        ? new MemeguardError('DOWNLOAD_FAILED', 'Slack sent its sign-in page instead of the file', {
            hint: 'check SLACK_BOT_TOKEN and the files:read scope',
          })
        : undefined,
    errorFor: (f) => {
      if (f.kind === 'status') return new MemeguardError('DOWNLOAD_FAILED', `Slack answered ${f.response.status} for the file`);
      if (f.kind === 'too-large') return tooLarge(f.bytes, maxBytes);
      return abortOrFailure(f.error, f);
    },
  });
}

function abortOrFailure(e: unknown, how: { timedOut: boolean; cancelled: boolean }): MemeguardError {
  if (how.cancelled) return new MemeguardError('CANCELLED', 'the download was cancelled', { cause: e });
  if (how.timedOut) return new MemeguardError('TIMEOUT', 'the file download timed out', { cause: e });
  const reason = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
  return new MemeguardError('DOWNLOAD_FAILED', `the file download failed: ${reason}`, { cause: e });
}
