/**
 * The adapter registry: every chat platform memeguard can serve. `memeguard serve` starts each adapter whose
 * variables are in the environment. A new platform is one more entry here (plus its folder and, if it reads its
 * variables through src/config/env.ts, a section there). Adapters load lazily so only the SDKs in use are imported.
 */
import type { ModeratorApi } from '../bot/types.js';
import type { MemeguardEnv } from '../config/env.js';

export interface AdapterContext {
  env: MemeguardEnv;
  moderator: ModeratorApi;
}

export interface RunningAdapter {
  readonly name: string;
  /** Stop taking events, finish the handlers in flight, disconnect. */
  stop(): Promise<void>;
}

export interface AdapterFactory {
  readonly name: string;
  /** Whether the environment asks for this platform. */
  requested(env: MemeguardEnv): boolean;
  /** Connect and start taking events. */
  start(ctx: AdapterContext): Promise<RunningAdapter>;
}

export const discordAdapterFactory: AdapterFactory = {
  name: 'discord',
  requested: (env) => env.platforms.discord !== undefined,
  async start({ env, moderator }) {
    const d = env.platforms.discord;
    if (!d) throw new Error('discord is not configured');
    const { createDiscordAdapter } = await import('./discord/adapter.js');
    const adapter = createDiscordAdapter({
      token: d.token,
      apiUrl: d.apiUrl,
      guildId: d.guildId,
      moderator,
      download: d.testCdnOrigin ? { testOrigin: d.testCdnOrigin } : {},
    });
    try {
      await adapter.start();
    } catch (e) {
      await adapter.stop().catch(() => undefined);
      throw e;
    }
    return { name: 'discord', stop: () => adapter.stop() };
  },
};

export const slackAdapterFactory: AdapterFactory = {
  name: 'slack',
  requested: (env) => env.platforms.slack !== undefined,
  async start({ env, moderator }) {
    const config = env.platforms.slack;
    if (!config) throw new Error('slack is not configured');
    const { createSlackAdapter } = await import('./slack/app.js');
    const adapter = createSlackAdapter({ config, moderator });
    await adapter.start();
    return { name: 'slack', stop: () => adapter.stop() };
  },
};

export const ADAPTERS: readonly AdapterFactory[] = [discordAdapterFactory, slackAdapterFactory];
