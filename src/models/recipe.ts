import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MemeguardError } from '../errors.js';
import { fusionSchema, packSchema, type PackJson } from '../inference/pack/schema.js';
import { formatZodIssues } from '../validation.js';

/**
 * A pack recipe (models/recipes/<pack>.json): which hub repos, at which pinned revision, which files, which ONNX
 * file per variant, and the pack.json that `models pull` writes once every file is on disk.
 */

/** The recipes shipped with memeguard: <package root>/models/recipes. */
export const RECIPES_DIR = fileURLToPath(new URL('../../models/recipes/', import.meta.url));

export const VARIANTS = ['fp32', 'fp16', 'int8'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Conventional ONNX file of each variant in a transformers.js-style hub repo. */
export const DEFAULT_VARIANT_FILES: Record<Variant, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  int8: 'onnx/model_quantized.onnx',
};

/** A 40-hex commit (preferred: immutable) or a branch/tag name such as `main` or `refs/pr/3`. */
export const revisionSchema = z
  .string()
  .regex(/^(?:[0-9a-f]{40}|[A-Za-z0-9][A-Za-z0-9._/-]{0,199})$/, 'a 40-hex commit or a branch/tag name')
  .refine((r) => !r.includes('..'), 'must not contain ".."');

/** A file path inside a repo: relative, forward slashes, no `..`. */
const repoPathSchema = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9._-][A-Za-z0-9._/-]*$/, 'a relative path inside the repo')
  .refine((p) => !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'must not contain "..", "." or "//"');

const fileEntrySchema = z.union([
  repoPathSchema.transform((p) => ({ path: p, optional: false })),
  z.object({ path: repoPathSchema, optional: z.boolean().default(false) }).strict(),
]);

const modalitySchema = z
  .object({
    repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'owner/name'),
    revision: revisionSchema,
    /** Folder inside the pack (default: the modality's name). */
    folder: repoPathSchema.optional(),
    /** Files fetched whatever the variant; `optional` ones are skipped when the repo does not have them. */
    files: z.array(fileEntrySchema).min(1),
    /** ONNX file per variant (defaults: onnx/model.onnx, onnx/model_fp16.onnx, onnx/model_quantized.onnx). */
    onnx: z.object({ fp32: repoPathSchema, fp16: repoPathSchema, int8: repoPathSchema }).partial().strict().optional(),
    /** The pack.json entry for this modality, without `path` and `onnx` (filled in by pull). */
    model: z.record(z.string(), z.unknown()),
  })
  .strict();

export const recipeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
    description: z.string().optional(),
    defaultVariant: z.enum(VARIANTS).default('fp32'),
    text: modalitySchema.optional(),
    image: modalitySchema.optional(),
    fusion: fusionSchema.optional(),
  })
  .strict()
  .refine((r) => r.text !== undefined || r.image !== undefined, { message: 'a recipe needs "text" or "image"' });

export type Recipe = z.infer<typeof recipeSchema>;
export type RecipeModality = z.infer<typeof modalitySchema>;
export type ModalityName = 'text' | 'image';

export interface LoadedRecipe {
  recipe: Recipe;
  /** The file it came from. */
  file: string;
}

/** Names of the recipes in a folder (file names without .json), sorted. */
export async function listRecipes(dir: string = RECIPES_DIR): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -'.json'.length))
    .sort();
}

/**
 * A recipe by name (from `dir`) or by path (anything ending in .json). Unknown name: USAGE listing the known ones;
 * unreadable or invalid: PACK_INVALID naming the file and field.
 */
export async function loadRecipe(nameOrFile: string, dir: string = RECIPES_DIR): Promise<LoadedRecipe> {
  const isFile = nameOrFile.endsWith('.json');
  if (!isFile && !/^[a-z0-9][a-z0-9._-]*$/.test(nameOrFile)) {
    throw new MemeguardError('USAGE', `"${nameOrFile}" is not a pack name`, { hint: 'use e.g. default or starter' });
  }
  const file = isFile ? path.resolve(nameOrFile) : path.join(dir, `${nameOrFile}.json`);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (e) {
    if (isFile) throw new MemeguardError('PACK_INVALID', `cannot read recipe ${file}: ${(e as Error).message}`, { cause: e });
    const known = await listRecipes(dir);
    throw new MemeguardError('USAGE', `no recipe named "${nameOrFile}"`, {
      hint: known.length > 0 ? `known packs: ${known.join(', ')}` : `no recipes in ${dir}`,
      cause: e,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new MemeguardError('PACK_INVALID', `recipe ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsed = recipeSchema.safeParse(data);
  if (!parsed.success) throw new MemeguardError('PACK_INVALID', `recipe ${file}: ${formatZodIssues(parsed.error)}`);
  const recipe = parsed.data;
  // The pack.json this recipe would write must be valid for every variant: catch a bad `model` entry now.
  for (const variant of VARIANTS) {
    try {
      recipePackJson(recipe, variant);
    } catch (e) {
      throw new MemeguardError('PACK_INVALID', `recipe ${file}: ${(e as Error).message}`, { cause: e });
    }
  }
  return { recipe, file };
}

export function modalityFolder(name: ModalityName, m: RecipeModality): string {
  return m.folder ?? name;
}

export function onnxFileFor(m: RecipeModality, variant: Variant): string {
  return m.onnx?.[variant] ?? DEFAULT_VARIANT_FILES[variant];
}

/** One file to fetch: where it comes from on the hub and where it goes in the pack. */
export interface PlannedFile {
  modality: ModalityName;
  repo: string;
  revision: string;
  /** Path inside the repo. */
  file: string;
  /** Path inside the pack folder (forward slashes), e.g. text/onnx/model.onnx. */
  path: string;
  optional: boolean;
}

export function recipeModalities(recipe: Recipe): Array<[ModalityName, RecipeModality]> {
  const out: Array<[ModalityName, RecipeModality]> = [];
  if (recipe.text) out.push(['text', recipe.text]);
  if (recipe.image) out.push(['image', recipe.image]);
  return out;
}

/** Every file a pull of this recipe and variant fetches, in order (small files first per modality, ONNX last). */
export function planFiles(recipe: Recipe, variant: Variant): PlannedFile[] {
  const out: PlannedFile[] = [];
  for (const [name, m] of recipeModalities(recipe)) {
    const folder = modalityFolder(name, m);
    const onnx = onnxFileFor(m, variant);
    const seen = new Set<string>();
    for (const f of [...m.files, { path: onnx, optional: false }]) {
      if (seen.has(f.path)) continue;
      seen.add(f.path);
      out.push({
        modality: name,
        repo: m.repo,
        revision: m.revision,
        file: f.path,
        path: `${folder}/${f.path}`,
        optional: f.optional,
      });
    }
  }
  return out;
}

/** The pack.json for a recipe and variant, validated with the pack schema (throws with the zod issues). */
export function recipePackJson(
  recipe: Recipe,
  variant: Variant,
  extra: { heads?: string; fusion?: PackJson['fusion']; source?: Record<string, unknown> } = {},
): PackJson {
  const candidate: Record<string, unknown> = { name: recipe.name };
  if (recipe.description) candidate.description = recipe.description;
  for (const [name, m] of recipeModalities(recipe)) {
    candidate[name] = { ...m.model, path: modalityFolder(name, m), onnx: onnxFileFor(m, variant) };
  }
  if (extra.heads) candidate.heads = extra.heads;
  const fusion = extra.fusion ?? recipe.fusion;
  if (fusion) candidate.fusion = fusion;
  candidate.source = {
    recipe: recipe.name,
    variant,
    ...Object.fromEntries(recipeModalities(recipe).map(([n, m]) => [n, { repo: m.repo, revision: m.revision }])),
    ...extra.source,
  };
  const parsed = packSchema.safeParse(candidate);
  if (!parsed.success) throw new Error(`the pack.json it makes is invalid: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}
