import { MemeguardError } from '../errors.js';

/**
 * The Hugging Face hub's URL scheme and what its answers mean. No I/O here: download.ts does the fetching.
 */

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const USER_AGENT = `memeguard/0.1.0 (models pull; node/${process.versions.node})`;

/** The endpoint: `--endpoint`, else HF_ENDPOINT, else https://huggingface.co — validated, without trailing slash. */
export function resolveEndpoint(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? (env.HF_ENDPOINT && env.HF_ENDPOINT.trim() !== '' ? env.HF_ENDPOINT : DEFAULT_ENDPOINT);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MemeguardError('USAGE', `hub endpoint "${raw}" is not a URL`, { hint: 'e.g. https://huggingface.co' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new MemeguardError('USAGE', `hub endpoint "${raw}" must be http(s)`);
  }
  if (url.username || url.password) {
    throw new MemeguardError('USAGE', 'hub endpoint must not carry credentials', { hint: 'set HF_TOKEN instead' });
  }
  return url.toString().replace(/\/+$/, '');
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}`; a revision like refs/pr/1 is one encoded segment. */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const repoPart = repo.split('/').map(encodeURIComponent).join('/');
  const filePart = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repoPart}/resolve/${encodeURIComponent(revision)}/${filePart}`;
}

/** The token from the environment (HF_TOKEN, or the older HUGGING_FACE_HUB_TOKEN); never logged. */
export function tokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const t = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  return t && t.trim() !== '' ? t.trim() : undefined;
}

/** A sha256 from an ETag-style header value when it is one (LFS files): 64 hex, quotes and W/ removed. */
export function lfsSha256(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(v) ? v : undefined;
}

/** A non-negative integer header (X-Linked-Size, Content-Length), else undefined. */
export function sizeHeader(value: string | null | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `Content-Range: bytes START-END/TOTAL` → its parts (TOTAL may be `*`). */
export function parseContentRange(value: string | null): { start: number; end: number; total?: number } | undefined {
  const m = value ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

export interface FileRef {
  endpoint: string;
  repo: string;
  revision: string;
  file: string;
}

/** An HTTP error answer from the hub: a MemeguardError that also keeps the status and the hub's X-Error-Code. */
export class HubHttpError extends MemeguardError {
  constructor(
    readonly status: number,
    readonly hubCode: string | undefined,
    message: string,
    hint: string,
  ) {
    super('DOWNLOAD_FAILED', message, { hint });
  }

  /** The file itself is missing (the repo and revision exist, or the hub did not say). */
  get isMissingFile(): boolean {
    return this.status === 404 && this.hubCode !== 'RepoNotFound' && this.hubCode !== 'RevisionNotFound';
  }
}

/**
 * An HTTP error status from the hub as one clear line. The hub names the failure in X-Error-Code
 * (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo); without it the status decides.
 */
export function hubHttpError(
  ref: FileRef,
  status: number,
  headers: { get(name: string): string | null },
  hasToken: boolean,
): HubHttpError {
  const where = `${ref.repo}@${ref.revision}: ${ref.file}`;
  const code = headers.get('x-error-code') ?? undefined;
  const tokenHint = hasToken
    ? 'HF_TOKEN is set but the hub refused it: check that it is valid and has access to the repo'
    : 'if it is private or gated, request access on the hub and set HF_TOKEN to a read token';
  if (code === 'RepoNotFound') {
    return new HubHttpError(status, code, `repo ${ref.repo} not found on ${ref.endpoint} (${status})`, `check the recipe; ${tokenHint}`);
  }
  if (status === 401 || status === 403 || code === 'GatedRepo') {
    const why = code === 'GatedRepo' ? 'is gated' : 'is private or gated';
    return new HubHttpError(
      status,
      code,
      `access denied (${status}) to ${where}: the repo ${why}`,
      hasToken
        ? 'HF_TOKEN is set but the hub refused it: check that it is valid and that you accepted the repo terms on the hub'
        : 'request access on the hub, then set HF_TOKEN to a read token',
    );
  }
  if (status === 404 && code === 'RevisionNotFound') {
    return new HubHttpError(
      status,
      code,
      `revision ${ref.revision} of ${ref.repo} not found on ${ref.endpoint} (404)`,
      'the pinned commit or branch is gone; check the recipe',
    );
  }
  if (status === 404) {
    return new HubHttpError(
      status,
      code,
      `file ${ref.file} not found in ${ref.repo} at revision ${ref.revision} (404)`,
      'the variant may not exist in this repo; try another --variant or check the recipe',
    );
  }
  return new HubHttpError(status, code, `the hub answered ${status} for ${where}`, 'check the endpoint and try again');
}

/** Statuses worth another try: the server or a proxy is having a moment. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
