import { asMemeguardError, MemeguardError } from './errors.js';
import { logger } from './log.js';

/**
 * memeguard — one entry for operators. Each command lives in src/cli/<name>.ts and exports
 * `run(argv): Promise<number>` (the exit code); modules load lazily so `memeguard --help` stays fast.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  check: { summary: 'judge one meme: verdict, scores and explanation', load: () => import('./cli/check.js') },
  embed: { summary: "print the encoders' embeddings of one meme (no heads needed)", load: () => import('./cli/embed.js') },
  ocr: { summary: "read a meme's caption", load: () => import('./cli/ocr.js') },
  models: { summary: 'pull | verify | list | demo model packs', load: () => import('./cli/models.js') },
  train: { summary: 'train heads on a Hateful Memes-format data set', load: () => import('./cli/train.js') },
  evaluate: { summary: 'accuracy and AUROC per modality and fusion on a labelled split', load: () => import('./cli/evaluate.js') },
  serve: { summary: 'run the Discord and/or Slack bot from the environment', load: () => import('./cli/serve.js') },
  bench: { summary: 'measure the speed of the whole pipeline', load: () => import('./cli/bench.js') },
};

const LONG_RUNNING = new Set(['serve', 'bench']);

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: memeguard <command> [options]   (memeguard <command> --help for its options)', '', ...lines].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) throw new MemeguardError('USAGE', `unknown command "${name}"`, { hint: 'memeguard --help lists them' });
  // One-shot commands talk to a person: one line per problem (and their own progress), not the structured log.
  // The long-running ones (serve, bench) keep it at info. MEMEGUARD_LOG=info|warn|debug shows it everywhere.
  if (!LONG_RUNNING.has(name)) process.env.MEMEGUARD_LOG ??= 'error';
  const mod = await command.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = asMemeguardError(e);
    process.stderr.write(`memeguard: ${err.toLine()}\n`);
    if (err.code === 'INTERNAL') logger.error('unexpected error', { error: e instanceof Error ? e.stack : String(e) });
    process.exitCode = err.exitCode;
  },
);
