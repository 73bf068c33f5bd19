import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMemeguardError } from '../errors.js';
import { headsFileSchema } from '../inference/heads/format.js';
import { DEFAULT_PACK_DIR, readPack, resolvePackDir } from '../inference/pack/load.js';
import type { PackJson } from '../inference/pack/schema.js';
import { formatBytes, formatTable } from './format.js';
import { readLock } from './lock.js';

/** `models list`: the packs under a root, their variant, size, heads, and the one `check`/`serve` will use. */

export type PackStatus = 'ready' | 'incomplete' | 'invalid';

export interface PackListing {
  name: string;
  dir: string;
  status: PackStatus;
  /** Why it is not ready. */
  problem?: string;
  recipe?: string;
  variant?: string;
  sizeBytes: number;
  /** 'trained (text, image)', 'not trained', 'not needed' (classifiers only), 'not trained (image)' ... */
  heads: string;
  headsTrained: boolean;
  /** This is the pack `check` and `serve` use. */
  active: boolean;
}

export interface ModelsListing {
  root: string;
  active: { dir: string; from: 'MEMEGUARD_MODELS' | 'default'; exists: boolean; status?: PackStatus };
  packs: PackListing[];
}

export async function listPacks(root: string, env: NodeJS.ProcessEnv = process.env): Promise<ModelsListing> {
  const absRoot = path.resolve(root);
  const activeDir = env.MEMEGUARD_MODELS ? resolvePackDir(env.MEMEGUARD_MODELS) : path.resolve(DEFAULT_PACK_DIR);
  const from = env.MEMEGUARD_MODELS ? 'MEMEGUARD_MODELS' : 'default';
  const names = await readdir(absRoot, { withFileTypes: true }).catch(() => []);
  const packs: PackListing[] = [];
  for (const d of names.filter((n) => n.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(absRoot, d.name);
    const listing = await describePack(dir, activeDir);
    if (listing) packs.push(listing);
  }
  let activeListing = packs.find((p) => p.active);
  if (!activeListing) activeListing = (await describePack(activeDir, activeDir)) ?? undefined;
  return {
    root: absRoot,
    active: { dir: activeDir, from, exists: activeListing !== undefined, status: activeListing?.status },
    packs,
  };
}

/** A folder with pack.json or pack.lock.json, described; undefined for any other folder (e.g. recipes/). */
async function describePack(dir: string, activeDir: string): Promise<PackListing | undefined> {
  const hasPackJson = await exists(path.join(dir, 'pack.json'));
  let lockRecipe: string | undefined;
  let lockVariant: string | undefined;
  let lockProblem: string | undefined;
  let hasLock = false;
  try {
    const lock = await readLock(dir);
    hasLock = lock !== undefined;
    lockRecipe = lock?.recipe;
    lockVariant = lock?.variant;
  } catch (e) {
    hasLock = true;
    lockProblem = isMemeguardError(e) ? e.message : String(e);
  }
  if (!hasPackJson && !hasLock) return undefined;
  const base = {
    name: path.basename(dir),
    dir,
    sizeBytes: await diskUsage(dir),
    active: path.resolve(dir) === path.resolve(activeDir),
    recipe: lockRecipe,
    variant: lockVariant,
  };
  if (!hasPackJson) {
    return {
      ...base,
      status: 'incomplete',
      problem: 'no pack.json: the pull did not finish; run `memeguard models pull` again',
      heads: '-',
      headsTrained: false,
    };
  }
  let json: PackJson;
  try {
    json = (await readPack(dir)).json;
  } catch (e) {
    return { ...base, status: 'invalid', problem: isMemeguardError(e) ? e.message : String(e), heads: '-', headsTrained: false };
  }
  const source = json.source ?? {};
  const heads = await describeHeads(dir, json);
  return {
    ...base,
    recipe: base.recipe ?? (typeof source.recipe === 'string' ? source.recipe : undefined),
    variant: base.variant ?? (typeof source.variant === 'string' ? source.variant : undefined),
    status: lockProblem ? 'invalid' : 'ready',
    problem: lockProblem,
    ...heads,
  };
}

/** Which modalities need a head (encoders) and which have one in the heads file. */
async function describeHeads(dir: string, json: PackJson): Promise<{ heads: string; headsTrained: boolean }> {
  const needs = (['text', 'image'] as const).filter((m) => json[m]?.kind === 'encoder');
  if (needs.length === 0) return { heads: 'not needed (classifiers)', headsTrained: false };
  if (!json.heads) return { heads: `not trained (${needs.join(', ')})`, headsTrained: false };
  let parsed;
  try {
    parsed = headsFileSchema.safeParse(JSON.parse(await readFile(path.join(dir, json.heads), 'utf8')));
  } catch {
    return { heads: `missing ${json.heads}`, headsTrained: false };
  }
  if (!parsed.success) return { heads: `invalid ${json.heads}`, headsTrained: false };
  const have = needs.filter((m) => parsed.data[m] !== undefined);
  const missing = needs.filter((m) => parsed.data[m] === undefined);
  const fusions = parsed.data.fusions.length;
  const parts = [...have, ...(fusions > 0 ? [`${fusions} fusion${fusions > 1 ? 's' : ''}`] : [])];
  if (missing.length === 0) return { heads: `trained (${parts.join(', ')})`, headsTrained: true };
  return { heads: `partly (${parts.join(', ') || 'none'}; not ${missing.join(', ')})`, headsTrained: false };
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

/** Bytes of the regular files under a folder (links are not followed). */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await diskUsage(p);
    else if (e.isFile()) total += (await lstat(p)).size;
  }
  return total;
}

/** The listing as a table plus a line saying which pack check/serve use. */
export function formatListing(listing: ModelsListing): string {
  const lines: string[] = [];
  if (listing.packs.length === 0) {
    lines.push(`no model packs in ${listing.root} — run \`memeguard models pull\` (default) or \`memeguard models pull starter\``);
  } else {
    const rows = listing.packs.map((p) => [
      `${p.active ? '*' : ' '} ${p.name}`,
      p.status,
      p.variant ?? '-',
      formatBytes(p.sizeBytes),
      p.heads,
      p.recipe ?? '-',
    ]);
    lines.push(formatTable(['  PACK', 'STATUS', 'VARIANT', 'SIZE', 'HEADS', 'RECIPE'], rows));
    for (const p of listing.packs.filter((x) => x.problem)) lines.push(`  ${p.name}: ${p.problem}`);
  }
  const a = listing.active;
  const why = a.from === 'MEMEGUARD_MODELS' ? 'from MEMEGUARD_MODELS' : 'the default; set MEMEGUARD_MODELS to choose another';
  const state = !a.exists ? ' — not there yet: run `memeguard models pull`' : a.status && a.status !== 'ready' ? ` — ${a.status}` : '';
  lines.push('', `check/serve use: ${a.dir} (${why})${state}`);
  return lines.join('\n');
}
