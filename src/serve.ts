import { engineEvaluationRunner } from './bot/evaluation.js';
import { Moderator } from './bot/moderator.js';
import { openSqliteStore } from './bot/store/sqlite.js';
import type { ModerationStore } from './bot/store/types.js';
import { ADAPTERS, type AdapterFactory, type RunningAdapter } from './adapters/index.js';
import { loadEnv, type MemeguardEnv } from './config/env.js';
import { MemeguardError } from './errors.js';
import { cannotScoreError, createEngine } from './inference/engine.js';
import type { Engine } from './inference/types.js';
import { logger } from './log.js';

export interface ServeOptions {
  /** Default: loadEnv() of process.env. */
  env?: MemeguardEnv;
  /** Default: the engine of MEMEGUARD_MODELS (closed on stop). A given engine is not closed. */
  engine?: Engine;
  /** Default: SQLite at MEMEGUARD_DB (closed on stop). A given store is not closed. */
  store?: ModerationStore;
  adapters?: readonly AdapterFactory[];
}

export interface Server {
  readonly moderator: Moderator;
  readonly adapters: readonly RunningAdapter[];
  /** Graceful shutdown: stop taking events, finish judgements in flight, disconnect, close the engine and the DB. */
  stop(): Promise<void>;
}

/** Start every adapter the environment asks for, around one engine, one store and one moderator. */
export async function startServer(options: ServeOptions = {}): Promise<Server> {
  const env = options.env ?? loadEnv();
  const factories = (options.adapters ?? ADAPTERS).filter((a) => a.requested(env));
  if (factories.length === 0) {
    throw new MemeguardError('USAGE', 'no chat platform is configured', { hint: 'set DISCORD_TOKEN (docs/DISCORD.md) or SLACK_BOT_TOKEN (docs/SLACK.md)' });
  }
  const store = options.store ?? openSqliteStore(env.core.MEMEGUARD_DB);
  let engine: Engine;
  try {
    engine = options.engine ?? (await createEngine({ packDir: env.core.MEMEGUARD_MODELS }));
  } catch (e) {
    if (!options.store) await store.close();
    throw e;
  }
  // A pack that cannot score anything (e.g. the default pack right after `models pull`, before `train`) would answer
  // every image post with an error: refuse to start instead.
  if (engine.info.cannotScore) {
    if (!options.engine) await engine.close().catch(() => {});
    if (!options.store) await store.close();
    throw cannotScoreError(engine.info);
  }
  const moderator = new Moderator({
    engine,
    store,
    evaluate: engineEvaluationRunner(engine),
    evalDataDir: env.core.MEMEGUARD_EVAL_DATA,
    concurrency: env.core.MEMEGUARD_CONCURRENCY,
  });
  const adapters: RunningAdapter[] = [];
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      logger.info('serve stopping', { adapters: adapters.map((a) => a.name) });
      const results = await Promise.allSettled([...adapters.map((a) => a.stop()), moderator.drain()]);
      for (const r of results) if (r.status === 'rejected') logger.warn('shutdown step failed', { error: String(r.reason) });
      if (!options.engine) await engine.close().catch((e: unknown) => logger.warn('engine close failed', { error: String(e) }));
      if (!options.store) await store.close();
      logger.info('serve stopped');
    })());
  try {
    for (const f of factories) {
      adapters.push(await f.start({ env, moderator }));
      logger.info('adapter started', { adapter: f.name });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { moderator, adapters, stop };
}
