import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';
import { sampleIndices } from './rng.js';

/**
 * Labelled meme data sets (DESIGN.md, "Data sets").
 *
 * - Hateful Memes layout: `img/` plus one JSONL file per split (`train.jsonl`, `dev_seen.jsonl` or `dev.jsonl`,
 *   `dev_unseen.jsonl`, `test_seen.jsonl`, `test_unseen.jsonl`, or any other `<split>.jsonl`), one object a line:
 *   `{"id": 42953, "img": "img/42953.png", "label": 0, "text": "..."}`. `id` is a number or a zero-padded string;
 *   `01234` and `1234` are the same id. `text` given -> the caption is given, else OCR reads it.
 * - Folder-per-class layout: `hateful/` and `not_hateful/` (split "all"), or `<split>/hateful/` and
 *   `<split>/not_hateful/`. Captions come from OCR; the id is the file path relative to the data set.
 *
 * Every problem is a DATASET_INVALID error that names the file and line.
 */

export interface DatasetItem {
  /** The id as written in the data set (number or string); folder layout: the relative path. */
  id: string | number;
  /** Canonical id used for matching and duplicate detection (numeric ids without leading zeros). */
  key: string;
  imagePath: string;
  label?: 0 | 1;
  /** The caption given by the data set; undefined -> OCR. */
  text?: string;
  /** Where the item was read, e.g. `dev_seen.jsonl:12` or `hateful/a.png`. */
  where: string;
}

export type DatasetLayout = 'hateful-memes' | 'folders';

export interface Dataset {
  dir: string;
  layout: DatasetLayout;
  split: string;
  items: DatasetItem[];
  /** Items in the split before --sample/--limit. */
  total: number;
}

export interface ReadDatasetOptions {
  /** The split; default: "train" for training, else "dev_seen" (or "dev") for HM; "all" for a flat folder layout. */
  split?: string;
  purpose?: 'train' | 'evaluate';
  /** Refuse items without a label (metrics and training need them). Default true. */
  requireLabels?: boolean;
  /** Keep the first N items (after --sample). */
  limit?: number;
  /** Keep a seeded random N items (in data set order). */
  sample?: number;
  seed?: number;
}

const IMAGE_EXT = /\.(png|jpe?g|webp|gif|bmp|tiff?|avif)$/i;
const CLASS_DIRS = { hateful: 1, not_hateful: 0 } as const;

const lineSchema = z
  .object({
    id: z.union([z.number().int().nonnegative(), z.string().min(1)]),
    img: z.string().min(1).optional(),
    label: z.unknown().optional(),
    text: z.string().optional(),
  })
  .passthrough();

function invalid(message: string, hint?: string): MemeguardError {
  const err = new MemeguardError('DATASET_INVALID', message, hint ? { hint } : {});
  logger.warn('dataset invalid', { error: message });
  return err;
}

export function canonicalId(id: string | number): string {
  const s = String(id).trim();
  return /^\d+$/.test(s) ? s.replace(/^0+(?=\d)/, '') : s;
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The layout of a data set folder, or a DATASET_INVALID error saying what was expected. */
export async function detectLayout(dir: string): Promise<DatasetLayout> {
  if (!(await isDir(dir))) throw invalid(`no data set folder at ${dir}`);
  const entries = await readdir(dir);
  if (entries.some((e) => e.endsWith('.jsonl'))) return 'hateful-memes';
  if ((await isDir(path.join(dir, 'hateful'))) || (await isDir(path.join(dir, 'not_hateful')))) return 'folders';
  for (const e of entries) {
    if ((await isDir(path.join(dir, e, 'hateful'))) || (await isDir(path.join(dir, e, 'not_hateful')))) return 'folders';
  }
  throw invalid(
    `${dir} is not a data set: expected <split>.jsonl files with img/ (Hateful Memes layout) or hateful/ and not_hateful/ folders`,
  );
}

/** The split names a data set offers. */
export async function listSplits(dir: string): Promise<string[]> {
  const layout = await detectLayout(dir);
  const entries = (await readdir(dir)).sort();
  if (layout === 'hateful-memes') return entries.filter((e) => e.endsWith('.jsonl')).map((e) => e.slice(0, -'.jsonl'.length));
  const splits: string[] = [];
  if ((await isDir(path.join(dir, 'hateful'))) || (await isDir(path.join(dir, 'not_hateful')))) splits.push('all');
  for (const e of entries) {
    if (e === 'hateful' || e === 'not_hateful') continue;
    if ((await isDir(path.join(dir, e, 'hateful'))) || (await isDir(path.join(dir, e, 'not_hateful')))) splits.push(e);
  }
  return splits;
}

function resolveSplit(available: string[], layout: DatasetLayout, opts: ReadDatasetOptions, dir: string): string {
  const aliases: Record<string, string[]> = { dev_seen: ['dev_seen', 'dev'], dev: ['dev', 'dev_seen'] };
  let wanted = opts.split;
  if (wanted === undefined) {
    if (layout === 'folders' && available.includes('all')) return 'all';
    wanted = opts.purpose === 'train' ? 'train' : 'dev_seen';
  }
  for (const name of aliases[wanted] ?? [wanted]) if (available.includes(name)) return name;
  throw invalid(`unknown split "${wanted}" in ${dir}`, `available splits: ${available.join(', ') || '(none)'}`);
}

async function findImageById(dir: string, id: string | number): Promise<string | undefined> {
  const names = new Set([String(id), canonicalId(id), canonicalId(id).padStart(5, '0')]);
  for (const name of names) {
    for (const ext of ['png', 'jpg', 'jpeg', 'webp']) {
      const p = path.join(dir, 'img', `${name}.${ext}`);
      if (await isFile(p)) return p;
    }
  }
  return undefined;
}

async function readJsonlSplit(dir: string, split: string, requireLabels: boolean): Promise<DatasetItem[]> {
  const file = `${split}.jsonl`;
  const raw = await readFile(path.join(dir, file), 'utf8');
  const items: DatasetItem[] = [];
  const seen = new Map<string, string>();
  const lines = raw.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (e) {
      throw invalid(`${where}: not valid JSON (${(e as Error).message})`);
    }
    const parsed = lineSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalid(`${where}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
    }
    const { id, img, label, text } = parsed.data;
    const key = canonicalId(id);
    const earlier = seen.get(key);
    if (earlier) throw invalid(`${where}: duplicate id ${JSON.stringify(id)} (first at ${earlier})`);
    seen.set(key, where);
    if (label !== undefined && label !== null && label !== 0 && label !== 1) {
      throw invalid(`${where}: label must be 0 or 1, got ${JSON.stringify(label)}`);
    }
    if ((label === undefined || label === null) && requireLabels) {
      throw invalid(`${where}: item ${JSON.stringify(id)} has no label; split "${split}" cannot be used for metrics or training`, 'use a labelled split such as dev_seen; `memeguard evaluate --predictions FILE` scores an unlabelled one');
    }
    let imagePath: string | undefined;
    if (img !== undefined) {
      imagePath = path.resolve(dir, img);
      if (!(await isFile(imagePath))) throw invalid(`${where}: image ${img} not found (looked at ${imagePath})`);
    } else {
      imagePath = await findImageById(dir, id);
      if (!imagePath) throw invalid(`${where}: no "img" and no image img/${key}.png for id ${JSON.stringify(id)}`);
    }
    items.push({ id, key, imagePath, label: label === 0 || label === 1 ? label : undefined, text, where });
  }
  if (items.length === 0) throw invalid(`${file}: split "${split}" is empty`);
  return items;
}

async function readFolderSplit(dir: string, split: string): Promise<DatasetItem[]> {
  const base = split === 'all' ? dir : path.join(dir, split);
  const items: DatasetItem[] = [];
  for (const [cls, label] of Object.entries(CLASS_DIRS) as [keyof typeof CLASS_DIRS, 0 | 1][]) {
    const folder = path.join(base, cls);
    if (!(await isDir(folder))) continue;
    const files = (await readdir(folder)).filter((f) => IMAGE_EXT.test(f)).sort();
    for (const f of files) {
      const rel = path.relative(dir, path.join(folder, f)).split(path.sep).join('/');
      items.push({ id: rel, key: rel, imagePath: path.join(folder, f), label, where: rel });
    }
  }
  if (items.length === 0) throw invalid(`${base}: split "${split}" is empty (no images in hateful/ or not_hateful/)`);
  return items;
}

/** Read and validate one split of a data set, then apply --sample and --limit. */
export async function readDataset(dir: string, opts: ReadDatasetOptions = {}): Promise<Dataset> {
  const abs = path.resolve(dir);
  const layout = await detectLayout(abs);
  const available = await listSplits(abs);
  const split = resolveSplit(available, layout, opts, abs);
  const requireLabels = opts.requireLabels ?? true;
  let items = layout === 'hateful-memes' ? await readJsonlSplit(abs, split, requireLabels) : await readFolderSplit(abs, split);
  const total = items.length;
  if (opts.sample !== undefined) {
    if (!(opts.sample >= 1)) throw new MemeguardError('USAGE', `--sample must be a positive integer, got ${opts.sample}`);
    items = sampleIndices(items.length, opts.sample, opts.seed ?? 0).map((i) => items[i]);
  }
  if (opts.limit !== undefined) {
    if (!(opts.limit >= 1)) throw new MemeguardError('USAGE', `--limit must be a positive integer, got ${opts.limit}`);
    items = items.slice(0, opts.limit);
  }
  return { dir: abs, layout, split, items, total };
}

/** Labels of a data set's items (all must be labelled). */
export function labelsOf(items: DatasetItem[]): (0 | 1)[] {
  return items.map((it) => {
    if (it.label === undefined) throw invalid(`${it.where}: item ${JSON.stringify(it.id)} has no label`);
    return it.label;
  });
}
