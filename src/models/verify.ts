import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MemeguardError } from '../errors.js';
import { sha256File } from './hash.js';
import { LOCK_FILE, readLock } from './lock.js';

/** `models verify`: every file of a pack's lock re-hashed; what is missing or changed is listed. */

export interface FileProblem {
  path: string;
  problem: 'missing' | 'size' | 'sha256';
  expected: string;
  got?: string;
}

export interface VerifyReport {
  dir: string;
  recipe: string;
  variant: string;
  ok: boolean;
  checked: number;
  /** The lock says the pull finished and pack.json exists. */
  complete: boolean;
  problems: FileProblem[];
}

/** A pack written by memeguard's own generator (`models demo`, test packs): pack.json's source.generator says so. */
async function isGeneratedPack(dir: string): Promise<boolean> {
  try {
    const pack = JSON.parse(await readFile(path.join(dir, 'pack.json'), 'utf8')) as { source?: { generator?: unknown } };
    return pack.source?.generator === 'memeguard synth';
  } catch {
    return false;
  }
}

export async function verifyPack(dir: string): Promise<VerifyReport> {
  const abs = path.resolve(dir);
  const lock = await readLock(abs);
  if (!lock) {
    const exists = await stat(abs).then(() => true, () => false);
    if (exists && (await isGeneratedPack(abs))) {
      throw new MemeguardError('PACK_MISSING', `${abs} has no ${LOCK_FILE}: it was written by \`memeguard models demo\` (random weights), not pulled`, {
        hint: 'only packs fetched by `memeguard models pull` can be verified; `memeguard check --models DIR` shows whether it loads',
      });
    }
    throw new MemeguardError('PACK_MISSING', exists ? `${abs} has no ${LOCK_FILE}` : `no model pack at ${abs}`, {
      hint: exists ? 'it was not fetched by `memeguard models pull`; pull it again to get one' : 'run `memeguard models pull`',
    });
  }
  const problems: FileProblem[] = [];
  for (const e of lock.files) {
    const file = path.join(abs, ...e.path.split('/'));
    const st = await stat(file).catch(() => undefined);
    if (!st || !st.isFile()) {
      problems.push({ path: e.path, problem: 'missing', expected: `${e.size} bytes` });
      continue;
    }
    if (st.size !== e.size) {
      problems.push({ path: e.path, problem: 'size', expected: `${e.size} bytes`, got: `${st.size} bytes` });
      continue;
    }
    const { sha256 } = await sha256File(file);
    if (sha256 !== e.sha256) problems.push({ path: e.path, problem: 'sha256', expected: e.sha256, got: sha256 });
  }
  const hasPackJson = await stat(path.join(abs, 'pack.json')).then(() => true, () => false);
  const complete = lock.complete && hasPackJson;
  return {
    dir: abs,
    recipe: lock.recipe,
    variant: lock.variant,
    ok: problems.length === 0 && complete,
    checked: lock.files.length,
    complete,
    problems,
  };
}

/** One line per problem, e.g. `changed  text/onnx/model.onnx: sha256 expected ab12…, got cd34…`. */
export function describeProblems(report: VerifyReport): string[] {
  const lines = report.problems.map((p) => {
    if (p.problem === 'missing') return `missing  ${p.path}`;
    if (p.problem === 'size') return `changed  ${p.path}: size ${p.got}, expected ${p.expected}`;
    return `changed  ${p.path}: sha256 ${p.got}, expected ${p.expected}`;
  });
  if (!report.complete) lines.push('incomplete: the pull did not finish (no pack.json); run `memeguard models pull` again');
  return lines;
}
