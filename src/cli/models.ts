import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MemeguardError } from '../errors.js';
import { formatBytes } from '../models/format.js';
import { makePackFolder } from '../models/folder.js';
import { formatListing, listPacks } from '../models/list.js';
import { LOCK_FILE } from '../models/lock.js';
import { createProgressReporter, silentProgress } from '../models/progress.js';
import { DEFAULT_MODELS_ROOT, pullPack } from '../models/pull.js';
import { listRecipes, VARIANTS, type Variant } from '../models/recipe.js';
import { describeProblems, verifyPack, type VerifyReport } from '../models/verify.js';

/** `memeguard models pull | verify | list | demo` — see docs/MODELS.md. */

const USAGE = `usage:
  memeguard models pull [PACK] [--dir ROOT] [--endpoint URL] [--variant fp32|fp16|int8] [--force] [--json]
  memeguard models verify [PACK] [--dir ROOT] [--json]
  memeguard models list [--dir ROOT] [--json]
  memeguard models demo [--dir ROOT]     a tiny random-weight pack (ROOT/demo) to try the pipeline offline

PACK is a recipe name (default: "default"; see models/recipes/) or a recipe .json file.
ROOT holds one folder per pack (default: models). The hub is --endpoint, else HF_ENDPOINT, else
https://huggingface.co; HF_TOKEN is sent to it when set.`;

const COMMON = {
  dir: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const PULL_OPTIONS = {
  ...COMMON,
  endpoint: { type: 'string' },
  variant: { type: 'string' },
  force: { type: 'boolean' },
} as const;

function parse<O extends typeof COMMON | typeof PULL_OPTIONS>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message, { hint: 'memeguard models --help' });
  }
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(USAGE + '\n');
    return sub ? 0 : 1;
  }
  if (sub === 'pull') return pull(rest);
  if (sub === 'verify') return verify(rest);
  if (sub === 'list') return list(rest);
  if (sub === 'demo') return demo(rest);
  throw new MemeguardError('USAGE', `unknown models command "${sub}"`, { hint: 'pull, verify, list or demo' });
}

async function pull(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, PULL_OPTIONS);
  if (values.help) return help();
  if (positionals.length > 1) throw new MemeguardError('USAGE', `models pull takes one PACK, got ${positionals.length}`);
  const variant = values.variant as string | undefined;
  if (variant !== undefined && !(VARIANTS as readonly string[]).includes(variant)) {
    throw new MemeguardError('USAGE', `unknown variant "${variant}"`, { hint: `one of ${VARIANTS.join(', ')}` });
  }
  const json = values.json === true;
  // Ctrl-C stops the transfer cleanly: partial files stay for the next pull, pack.json is not written.
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const result = await pullPack({
    signal: controller.signal,
    pack: positionals[0] ?? 'default',
    root: (values.dir as string | undefined) ?? DEFAULT_MODELS_ROOT,
    endpoint: values.endpoint as string | undefined,
    variant: variant as Variant | undefined,
    force: values.force === true,
    progress: json ? silentProgress : createProgressReporter(process.stderr),
  }).finally(() => process.off('SIGINT', onSigint));
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return 0;
  }
  const downloaded = result.files.filter((f) => f.status === 'downloaded');
  const kept = result.files.filter((f) => f.status === 'kept');
  const where = displayPath(result.dir);
  const dirFlag = path.resolve(path.dirname(result.dir)) === path.resolve(DEFAULT_MODELS_ROOT) ? '' : ` --dir ${displayPath(path.dirname(result.dir))}`;
  const out = [
    `pulled ${result.recipe} (${result.variant}) into ${where}: ${downloaded.length} downloaded (${formatBytes(result.downloadedBytes)}), ${kept.length} already up to date`,
  ];
  if (result.removedStale.length > 0) out.push(`removed files of the previous variant: ${result.removedStale.join(', ')}`);
  const encoders = (['text', 'image'] as const).filter((m) => result.pack[m]?.kind === 'encoder');
  if (encoders.length > 0 && !result.pack.heads) {
    out.push(
      `no heads yet for ${encoders.join(' and ')}: train them with \`memeguard train --data DIR --models ${where}\`` +
        (encoders.length === 1 ? ` (until then verdicts use the ${encoders[0] === 'text' ? 'image' : 'text'} model only)` : ''),
    );
  }
  const isDefault = path.resolve(result.dir) === path.resolve(process.env.MEMEGUARD_MODELS || 'models/default');
  out.push(
    `verify with \`memeguard models verify ${result.recipe}${dirFlag}\`; judge a meme with \`memeguard check meme.png${isDefault ? '' : ` --models ${where}`}\``,
  );
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

async function verify(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMON);
  if (values.help) return help();
  const root = path.resolve((values.dir as string | undefined) ?? DEFAULT_MODELS_ROOT);
  let dirs: string[];
  if (positionals.length > 0) {
    dirs = positionals.map((p) => (p.includes('/') || p.includes(path.sep) ? path.resolve(p) : path.join(root, p)));
  } else {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    dirs = [];
    for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const lock = await readdir(path.join(root, e.name)).then((names) => names.includes(LOCK_FILE), () => false);
      if (lock) dirs.push(path.join(root, e.name));
    }
    if (dirs.length === 0) {
      throw new MemeguardError('PACK_MISSING', `no pulled model packs in ${root}`, { hint: 'run `memeguard models pull`' });
    }
  }
  const reports: VerifyReport[] = [];
  for (const dir of dirs) reports.push(await verifyPack(dir));
  if (values.json) {
    process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
  } else {
    for (const r of reports) {
      const name = path.basename(r.dir);
      if (r.ok) {
        process.stdout.write(`ok  ${name} (${r.variant}): ${r.checked} files match ${LOCK_FILE}\n`);
      } else {
        process.stdout.write(`FAIL  ${name} (${r.variant}): ${r.problems.length} of ${r.checked} files missing or changed\n`);
        for (const line of describeProblems(r)) process.stdout.write(`  ${line}\n`);
        process.stdout.write(`  fix: memeguard models pull ${r.recipe} --dir ${displayPath(path.dirname(r.dir))}\n`);
      }
    }
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMON);
  if (values.help) return help();
  if (positionals.length > 0) throw new MemeguardError('USAGE', 'models list takes no PACK', { hint: 'use --dir ROOT' });
  const listing = await listPacks((values.dir as string | undefined) ?? DEFAULT_MODELS_ROOT);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...listing, recipes: await listRecipes() }, null, 2) + '\n');
  } else {
    process.stdout.write(formatListing(listing) + '\n');
    const recipes = await listRecipes();
    if (recipes.length > 0) process.stdout.write(`recipes: ${recipes.join(', ')} (memeguard models pull NAME)\n`);
  }
  return 0;
}

/**
 * `models demo`: a complete pack with the real models' interfaces but tiny random weights and random heads, written
 * in well under a second with no network. It lets a newcomer (or a machine that cannot reach the hub) run every
 * command end to end; its verdicts mean nothing, and the pack says so.
 */
async function demo(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, COMMON);
  if (values.help) return help();
  if (positionals.length > 0) throw new MemeguardError('USAGE', 'models demo takes no PACK', { hint: 'use --dir ROOT' });
  const dir = path.join(path.resolve((values.dir as string | undefined) ?? DEFAULT_MODELS_ROOT), 'demo');
  const { writeDemoPack } = await import('../synth/pack.js');
  await makePackFolder(dir);
  await writeDemoPack(dir);
  process.stdout.write(
    [
      `wrote a demo pack to ${displayPath(dir)}: random weights, so its verdicts are meaningless — it only shows the pipeline working`,
      `try it: memeguard check meme.png --models ${displayPath(dir)}   (real models: memeguard models pull)`,
    ].join('\n') + '\n',
  );
  return 0;
}

/** A path relative to the working directory when it is inside it, else absolute. */
function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(p) : rel;
}

function help(): number {
  process.stdout.write(USAGE + '\n');
  return 0;
}
