import { parseArgs } from 'node:util';
import { MemeguardError } from '../errors.js';
import { logger } from '../log.js';

const HELP = `usage: memeguard serve [--models DIR] [--db FILE]

Runs the chat bots the environment asks for:
  Discord  DISCORD_TOKEN (+ DISCORD_API_URL, MEMEGUARD_DISCORD_GUILD)      docs/DISCORD.md
  Slack    SLACK_BOT_TOKEN (+ SLACK_SIGNING_SECRET or SLACK_APP_TOKEN)   docs/SLACK.md
Common: MEMEGUARD_MODELS (model pack), MEMEGUARD_DB (default data/memeguard.db), MEMEGUARD_EVAL_DATA (/evaluate).
SIGINT/SIGTERM stop it gracefully: no new events, judgements in flight finish, the database is closed.`;

export async function run(argv: string[]): Promise<number> {
  let values: { help?: boolean; models?: string; db?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' }, models: { type: 'string' }, db: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new MemeguardError('USAGE', (e as Error).message, { hint: 'memeguard serve --help' });
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const { loadEnv } = await import('../config/env.js');
  const { startServer } = await import('../serve.js');
  const env = loadEnv({
    ...process.env,
    ...(values.models ? { MEMEGUARD_MODELS: values.models } : {}),
    ...(values.db ? { MEMEGUARD_DB: values.db } : {}),
  });
  const server = await startServer({ env }).catch((e: unknown) => {
    // A failed start can leave a client's retry timers behind (bolt re-tries auth.test for minutes): the error is
    // reported by the caller; then the process ends instead of hanging on them.
    setTimeout(() => process.exit(), 2_000).unref();
    throw e;
  });
  logger.info('serving', { adapters: server.adapters.map((a) => a.name) });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info('signal received: shutting down', { signal });
  await server.stop();
  return 0;
}
