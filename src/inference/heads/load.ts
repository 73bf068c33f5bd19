import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MemeguardError } from '../../errors.js';
import { formatZodIssues } from '../../validation.js';
import { Heads } from './apply.js';
import { headsFileSchema } from './format.js';

const TRAIN_HINT = 'run `memeguard train --data DIR` to write it';

/** Read, validate and decode a heads file. Every failure is a PACK_* error naming the file (and field). */
export async function readHeads(file: string): Promise<Heads> {
  const abs = path.resolve(file);
  let raw: string;
  try {
    raw = await readFile(abs, 'utf8');
  } catch (e) {
    throw new MemeguardError('PACK_MISSING', `heads file ${abs} is missing`, { hint: TRAIN_HINT, cause: e });
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new MemeguardError('PACK_INVALID', `${abs} is not valid JSON: ${(e as Error).message}`, { hint: TRAIN_HINT, cause: e });
  }
  const parsed = headsFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new MemeguardError('PACK_INVALID', `${abs}: ${formatZodIssues(parsed.error)}`, { hint: TRAIN_HINT });
  }
  const names = parsed.data.fusions.map((f) => f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new MemeguardError('PACK_INVALID', `${abs}: fusions: the name "${dup}" is used twice`, { hint: TRAIN_HINT });
  try {
    return new Heads(parsed.data);
  } catch (e) {
    throw new MemeguardError('PACK_INVALID', `${abs}: ${(e as Error).message}`, { hint: TRAIN_HINT, cause: e });
  }
}
