import { open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMemeguardError, MemeguardError } from '../errors.js';
import { readPack } from '../inference/pack/load.js';
import type { PackJson } from '../inference/pack/schema.js';
import { logger } from '../log.js';
import { downloadFile, type DownloadOptions } from './download.js';
import { sha256File } from './hash.js';
import { makePackFolder } from './folder.js';
import { HubHttpError, resolveEndpoint, resolveUrl, tokenFromEnv } from './hub.js';
import { readLock, writeJsonAtomic, writeLock, type LockEntry, type PackLock } from './lock.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { loadRecipe, planFiles, recipePackJson, RECIPES_DIR, type PlannedFile, type Recipe, type Variant } from './recipe.js';

/**
 * `models pull`: every file of a recipe into `<root>/<pack>/`, the lock file updated after each file, stale files of
 * an earlier variant removed, and pack.json written LAST — an interrupted pull never leaves a pack that looks usable.
 */

export const DEFAULT_MODELS_ROOT = 'models';

export interface PullOptions {
  /** Recipe name (models/recipes/<name>.json) or a path to a recipe .json file. */
  pack: string;
  /** Folder that holds the packs (default: models). */
  root?: string;
  /** `--endpoint`; else HF_ENDPOINT; else https://huggingface.co. */
  endpoint?: string;
  variant?: Variant;
  /** Download every file again even when it matches the lock. */
  force?: boolean;
  /** Default: HF_TOKEN from the environment. */
  token?: string;
  recipesDir?: string;
  progress?: ProgressReporter;
  /** Stops the pull (Ctrl-C): CANCELLED; partial files are kept and the next pull resumes them. */
  signal?: AbortSignal;
  /** Transfer settings (tests shorten backoff and timeouts, inject a failing writer). */
  transfer?: Pick<DownloadOptions, 'retries' | 'backoffMs' | 'timeoutMs' | 'idleTimeoutMs' | 'openFile'>;
}

export type PulledFileStatus = 'downloaded' | 'kept' | 'absent-optional';

export interface PullResult {
  dir: string;
  recipe: string;
  variant: Variant;
  endpoint: string;
  files: Array<{ path: string; status: PulledFileStatus; size: number; sha256?: string; resumed?: number }>;
  downloadedBytes: number;
  keptBytes: number;
  removedStale: string[];
  pack: PackJson;
}

export async function pullPack(options: PullOptions): Promise<PullResult> {
  const { recipe } = await loadRecipe(options.pack, options.recipesDir ?? RECIPES_DIR);
  const variant = options.variant ?? recipe.defaultVariant;
  const endpoint = resolveEndpoint(options.endpoint);
  const token = options.token ?? tokenFromEnv();
  const progress = options.progress ?? silentProgress;
  const dir = path.resolve(options.root ?? DEFAULT_MODELS_ROOT, recipe.name);
  await makePackFolder(dir);
  const release = await claimPackDir(dir);
  try {
    return await pullInto(dir, recipe, variant, endpoint, token, progress, options);
  } finally {
    await release();
  }
}

async function pullInto(
  dir: string,
  recipe: Recipe,
  variant: Variant,
  endpoint: string,
  token: string | undefined,
  progress: ProgressReporter,
  options: PullOptions,
): Promise<PullResult> {
  const oldLock = await readLock(dir).catch((e: unknown) => {
    logger.warn('ignoring an unreadable lock file; every file is fetched again', { dir, error: (e as Error).message });
    return undefined;
  });
  const previous = (await previousPackSettings(dir)) ?? oldLock?.carry ?? {};
  const plan = planFiles(recipe, variant);

  // Decide what to keep before touching anything.
  const entries = new Map<string, LockEntry>();
  const keep = new Set<string>();
  for (const f of plan) {
    const old = oldLock?.files.find((e) => e.path === f.path);
    if (!old) continue;
    entries.set(f.path, old);
    if (!options.force && old.repo === f.repo && old.revision === f.revision && old.file === f.file) {
      if (await matchesOnDisk(dir, old)) keep.add(f.path);
    }
  }

  const lock: PackLock = {
    format: 'memeguard-pack-lock',
    version: 1,
    recipe: recipe.name,
    variant,
    endpoint,
    complete: false,
    updatedAt: new Date().toISOString(),
    files: [],
  };
  const saveLock = async (complete: boolean) => {
    lock.complete = complete;
    // Once pack.json is written again it holds these settings itself.
    lock.carry = complete ? undefined : previous.heads || previous.fusion ? previous : undefined;
    lock.updatedAt = new Date().toISOString();
    lock.files = plan.map((f) => entries.get(f.path)).filter((e): e is LockEntry => e !== undefined);
    if (!complete) {
      // Until the end, files of the earlier pull that this one does not use stay on disk and in the lock, so that an
      // interrupted switch of variant can be undone without fetching them again.
      const planned = new Set(plan.map((f) => f.path));
      lock.files.push(...(oldLock?.files ?? []).filter((e) => !planned.has(e.path)));
    }
    await writeLock(dir, lock);
  };

  const needsDownload = plan.some((f) => !keep.has(f.path));
  if (needsDownload && isOfflineEnv(process.env)) {
    const missing = plan.filter((f) => !keep.has(f.path)).map((f) => f.path);
    throw new MemeguardError('DOWNLOAD_FAILED', `HF_HUB_OFFLINE is set, and ${missing.length} file(s) of ${recipe.name} must be downloaded (${missing[0]}${missing.length > 1 ? ', ...' : ''})`, {
      hint: 'unset HF_HUB_OFFLINE to allow the download',
    });
  }
  if (needsDownload) {
    // From here until the end the pack is being changed: it must not look usable, and the lock says unfinished.
    await rm(path.join(dir, 'pack.json'), { force: true });
    await saveLock(false);
  }

  progress.line(`pulling ${recipe.name} (${variant}) from ${endpoint} into ${dir}`);
  const result: PullResult['files'] = [];
  let downloadedBytes = 0;
  let keptBytes = 0;
  for (const f of plan) {
    if (keep.has(f.path)) {
      const e = entries.get(f.path)!;
      result.push({ path: f.path, status: 'kept', size: e.size, sha256: e.sha256 });
      keptBytes += e.size;
      progress.line(`up to date ${f.path}`);
      continue;
    }
    const outcome = await fetchOne(f, dir, endpoint, token, progress, { ...options.transfer, signal: options.signal });
    if (outcome === 'absent') {
      entries.delete(f.path);
      result.push({ path: f.path, status: 'absent-optional', size: 0 });
      progress.line(`${f.path}: not in ${f.repo} (optional, skipped)`);
      continue;
    }
    entries.set(f.path, outcome.entry);
    await saveLock(false);
    result.push({ path: f.path, status: 'downloaded', size: outcome.entry.size, sha256: outcome.entry.sha256, resumed: outcome.resumed });
    downloadedBytes += outcome.entry.size;
  }

  // Files of an earlier pull that this one does not use (another variant's ONNX file): remove them.
  const planned = new Set(plan.map((f) => f.path));
  const removedStale: string[] = [];
  for (const e of oldLock?.files ?? []) {
    if (planned.has(e.path)) continue;
    await rm(path.join(dir, ...e.path.split('/')), { force: true });
    removedStale.push(e.path);
  }

  await saveLock(true);
  const pack = recipePackJson(recipe, variant, {
    heads: previous.heads,
    fusion: previous.fusion,
    source: {
      endpoint,
      ...Object.fromEntries(
        ['text', 'image'].flatMap((m) => {
          const commit = plan.map((f) => entries.get(f.path)).find((e) => e && e.path.startsWith(`${m}/`) && e.commit)?.commit;
          return commit ? [[`${m}Commit`, commit]] : [];
        }),
      ),
    },
  });
  await writeJsonAtomic(path.join(dir, 'pack.json'), pack);
  logger.info('model pack pulled', { pack: recipe.name, dir, variant, downloadedBytes, keptBytes });
  return { dir, recipe: recipe.name, variant, endpoint, files: result, downloadedBytes, keptBytes, removedStale, pack };
}

async function fetchOne(
  f: PlannedFile,
  dir: string,
  endpoint: string,
  token: string | undefined,
  progress: ProgressReporter,
  transfer: PullOptions['transfer'] & { signal?: AbortSignal },
): Promise<{ entry: LockEntry; resumed: number } | 'absent'> {
  const ref = { endpoint, repo: f.repo, revision: f.revision, file: f.file };
  try {
    const r = await downloadFile({
      url: resolveUrl(endpoint, f.repo, f.revision, f.file),
      ref,
      dest: path.join(dir, ...f.path.split('/')),
      token,
      label: f.path,
      progress: progress.file(f.path),
      ...transfer,
    });
    const entry: LockEntry = {
      path: f.path,
      repo: f.repo,
      revision: f.revision,
      file: f.file,
      size: r.size,
      sha256: r.sha256,
      verifiedByHub: r.verifiedByHub,
    };
    if (r.commit) entry.commit = r.commit;
    return { entry, resumed: r.resumed };
  } catch (e) {
    if (f.optional && e instanceof HubHttpError && e.isMissingFile) return 'absent';
    const err = isMemeguardError(e) ? e : new MemeguardError('DOWNLOAD_FAILED', `${f.path}: ${(e as Error).message}`, { cause: e });
    logger.warn('models pull failed', { code: err.code, file: f.path, repo: f.repo, revision: f.revision, error: err.message });
    throw err;
  }
}

/** A file from the lock is still what was downloaded: same size, same sha256. */
async function matchesOnDisk(dir: string, e: LockEntry): Promise<boolean> {
  const file = path.join(dir, ...e.path.split('/'));
  const st = await stat(file).catch(() => undefined);
  if (!st || !st.isFile() || st.size !== e.size) return false;
  return (await sha256File(file)).sha256 === e.sha256;
}

/**
 * Settings a user or `train` put into the current pack.json that a re-pull must not lose: heads (when the file is
 * there) and fusion. Undefined when there is no valid pack.json (then the lock's `carry` has them, if anything).
 */
async function previousPackSettings(dir: string): Promise<{ heads?: string; fusion?: PackJson['fusion'] } | undefined> {
  let json: PackJson;
  try {
    json = (await readPack(dir)).json;
  } catch {
    return undefined;
  }
  const headsExists = json.heads ? await stat(path.join(dir, json.heads)).then(() => true, () => false) : false;
  return { heads: headsExists ? json.heads : undefined, fusion: json.fusion };
}

export const PULL_PID_FILE = '.pull.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One pull per pack folder at a time: `<dir>/.pull.pid` is created exclusively and removed at the end. A file left by
 * a process that no longer runs (killed, power cut) is taken over.
 */
async function claimPackDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, PULL_PID_FILE);
  for (let i = 0; i < 3; i++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new MemeguardError('DOWNLOAD_FAILED', `another \`models pull\` (pid ${pid}) is writing ${dir}`, {
          hint: 'wait for it to finish (or stop it), then run the pull again',
        });
      }
      await rm(file, { force: true });
    }
  }
  throw new MemeguardError('DOWNLOAD_FAILED', `cannot claim ${dir} for the pull (${PULL_PID_FILE} keeps coming back)`);
}

/** HF_HUB_OFFLINE=1 (the hub libraries' switch): nothing may be downloaded; an up-to-date pack still passes. */
export function isOfflineEnv(env: NodeJS.ProcessEnv): boolean {
  const v = (env.HF_HUB_OFFLINE ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}
