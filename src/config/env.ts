/**
 * The environment, parsed once with zod at start-up (`loadEnv`). The core variables are always read; each platform
 * has a section that says whether it is requested and parses its own variables. Adding a platform is one more
 * entry in PLATFORM_SECTIONS (and its adapter in src/adapters/index.ts). Secrets are kept in the returned object
 * only; nothing here logs a value.
 */
import { z } from 'zod';
import { MemeguardError } from '../errors.js';
import { formatZodIssues } from '../validation.js';
import { slackConfigFromEnv, slackRequested, type SlackConfig } from '../adapters/slack/config.js';

type Env = NodeJS.ProcessEnv;

const optional = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const snowflake = optional.refine((v) => v === undefined || /^\d{15,21}$/.test(v), { message: 'must be a Discord id (digits)' });
const httpUrl = optional.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), { message: 'must be an http(s) URL' });

export const coreEnvSchema = z.object({
  /** SQLite file of settings, judgements, reviews and evaluation runs. */
  MEMEGUARD_DB: optional.transform((v) => v ?? 'data/memeguard.db'),
  /** The model pack folder (default models/default). */
  MEMEGUARD_MODELS: optional,
  /** The labelled Hateful Memes-format folder `/evaluate` reads. */
  MEMEGUARD_EVAL_DATA: optional,
  /** Images judged at once by the moderator. */
  MEMEGUARD_CONCURRENCY: optional
    .refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 64), { message: 'must be a whole number from 1 to 64' })
    .transform((v) => (v === undefined ? 4 : Number(v))),
});

export type CoreEnv = z.infer<typeof coreEnvSchema>;

export const discordEnvSchema = z.object({
  DISCORD_TOKEN: optional,
  /** REST base, e.g. https://discord.com/api (a REST proxy, or the fake Discord in tests). The gateway URL comes from GET /gateway/bot on it. */
  DISCORD_API_URL: httpUrl,
  /** Register the application commands in this guild only (instant; global registration takes up to an hour). */
  MEMEGUARD_DISCORD_GUILD: snowflake,
  /**
   * TEST ONLY: one extra origin (http://host:port) downloads are allowed from besides Discord's CDN hosts, for the
   * fake Discord's CDN. Never set it in production.
   */
  MEMEGUARD_TEST_DISCORD_CDN: httpUrl,
});

export interface DiscordEnv {
  token: string;
  apiUrl?: string;
  guildId?: string;
  testCdnOrigin?: string;
}

export interface PlatformSection<T> {
  /** Whether the environment asks for this platform (its token is set). */
  requested(env: Env): boolean;
  /** Its settings, or a USAGE error naming each bad variable (never its value). */
  parse(env: Env): T;
}

function parseWith<S extends z.ZodType>(schema: S, env: Env, what: string): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new MemeguardError('USAGE', `${what} settings: ${formatZodIssues(parsed.error)}`, { hint: 'see docs/DISCORD.md and README.md' });
  return parsed.data;
}

export const discordSection: PlatformSection<DiscordEnv> = {
  requested: (env) => Boolean(env.DISCORD_TOKEN?.trim()),
  parse(env) {
    const e = parseWith(discordEnvSchema, env, 'Discord');
    if (!e.DISCORD_TOKEN) throw new MemeguardError('USAGE', 'Discord settings: DISCORD_TOKEN is not set', { hint: 'see docs/DISCORD.md' });
    return {
      token: e.DISCORD_TOKEN,
      apiUrl: e.DISCORD_API_URL?.replace(/\/+$/, ''),
      guildId: e.MEMEGUARD_DISCORD_GUILD,
      testCdnOrigin: e.MEMEGUARD_TEST_DISCORD_CDN?.replace(/\/+$/, ''),
    };
  },
};

/**
 * Slack: SLACK_BOT_TOKEN (+ SLACK_SIGNING_SECRET for the Events API over HTTP on PORT, or SLACK_APP_TOKEN for
 * Socket Mode), SLACK_ADMIN_TOKEN, SLACK_API_URL, MEMEGUARD_SLACK_ADMINS. The schema lives with the adapter
 * (src/adapters/slack/config.ts, no SDK import) so the adapter's tests and `serve` parse the same way.
 */
export const slackSection: PlatformSection<SlackConfig> = {
  requested: (env) => slackRequested(env),
  parse: (env) => slackConfigFromEnv(env),
};

/** Every platform's section; a new platform adds itself here. */
export const PLATFORM_SECTIONS = {
  discord: discordSection,
  slack: slackSection,
} satisfies Record<string, PlatformSection<unknown>>;

export type PlatformName = keyof typeof PLATFORM_SECTIONS;

export interface MemeguardEnv {
  core: CoreEnv;
  /** The sections of the platforms the environment asks for, parsed. */
  platforms: { [K in PlatformName]?: ReturnType<(typeof PLATFORM_SECTIONS)[K]['parse']> };
  /** The raw environment, for adapters that parse their own variables (Slack's SLACK_*). */
  raw: Env;
}

/** Parse the environment once. Throws USAGE naming every bad variable. */
export function loadEnv(env: Env = process.env): MemeguardEnv {
  const core = parseWith(coreEnvSchema, env, 'memeguard');
  const platforms: MemeguardEnv['platforms'] = {};
  for (const [name, section] of Object.entries(PLATFORM_SECTIONS) as [PlatformName, PlatformSection<unknown>][]) {
    if (section.requested(env)) (platforms as Record<string, unknown>)[name] = section.parse(env);
  }
  return { core, platforms, raw: env };
}
