/**
 * Checks and reads of a Hugging Face model folder inside a pack: every missing or unreadable file is a
 * MemeguardError that names the file and says how to fix it.
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MemeguardError } from '../../errors.js';
import { formatZodIssues } from '../../validation.js';

const PULL_HINT = 'run `memeguard models pull` to fetch the pack again';

/** The absolute folder of a model, checked to exist. */
export async function modelFolder(packDir: string, rel: string, role: 'text' | 'image'): Promise<string> {
  const dir = path.resolve(packDir, rel);
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    throw new MemeguardError('PACK_MISSING', `the ${role} model folder ${dir} is missing`, { hint: PULL_HINT });
  }
  return dir;
}

/** The absolute path of a required file in the folder, checked to exist. */
export async function requireFile(dir: string, rel: string, what: string): Promise<string> {
  const file = path.resolve(dir, rel);
  const st = await stat(file).catch(() => null);
  if (!st?.isFile()) {
    throw new MemeguardError('PACK_MISSING', `${what} is missing: ${file}`, { hint: PULL_HINT });
  }
  return file;
}

/**
 * The bytes of a model file, with `slack` spare bytes after them in the same ArrayBuffer so that graph surgery
 * (addGraphOutputs with inPlace) can add outputs without copying the model.
 */
export async function readModelBytes(file: string, slack = 64 * 1024): Promise<Uint8Array> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new MemeguardError('PACK_MISSING', `cannot read ${file}: ${(e as Error).message}`, { hint: PULL_HINT, cause: e });
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) throw new MemeguardError('MODEL_INVALID', `${file} is empty`, { hint: PULL_HINT });
    const buf = new Uint8Array(new ArrayBuffer(size + slack), 0, size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) throw new MemeguardError('MODEL_INVALID', `${file} changed while it was read`, { hint: PULL_HINT });
      off += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** config.json fields the runners use; everything else is allowed and ignored. */
export const modelConfigSchema = z.looseObject({
  model_type: z.string().optional(),
  hidden_size: z.number().int().positive().optional(),
  /** DistilBERT's name for hidden_size. */
  dim: z.number().int().positive().optional(),
  vocab_size: z.number().int().positive().optional(),
  hidden_sizes: z.array(z.number().int().positive()).optional(),
  id2label: z.record(z.string(), z.string()).optional(),
  problem_type: z.string().nullable().optional(),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

export async function readModelConfig(dir: string): Promise<{ file: string; config: ModelConfig }> {
  const file = await requireFile(dir, 'config.json', 'the model config');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new MemeguardError('MODEL_INVALID', `${file} is not valid JSON: ${(e as Error).message}`, { hint: PULL_HINT, cause: e });
  }
  const parsed = modelConfigSchema.safeParse(json);
  if (!parsed.success) throw new MemeguardError('MODEL_INVALID', `${file}: ${formatZodIssues(parsed.error)}`, { hint: PULL_HINT });
  return { file, config: parsed.data };
}

/** Labels in id order from config.json id2label ("0": "toxic", ...). */
export function labelsOf(config: ModelConfig, file: string): string[] {
  const entries = Object.entries(config.id2label ?? {});
  if (entries.length === 0) throw new MemeguardError('MODEL_INVALID', `${file} has no id2label: a classifier needs its labels`, { hint: PULL_HINT });
  const labels: string[] = new Array(entries.length);
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length) {
      throw new MemeguardError('MODEL_INVALID', `${file}: id2label key "${k}" is not an index from 0 to ${entries.length - 1}`);
    }
    labels[i] = v;
  }
  return labels;
}
