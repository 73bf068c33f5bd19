/**
 * Slack settings from the environment, parsed once with a schema. Which transport runs is chosen by which variables
 * are set: SLACK_APP_TOKEN → Socket Mode; otherwise SLACK_SIGNING_SECRET → the HTTP Events API on PORT.
 * Secrets live only here and in the clients built from them; they are never logged.
 */
import { z } from 'zod';
import { MemeguardError } from '../../errors.js';
import { formatZodIssues } from '../../validation.js';

export type SlackTransport = 'http' | 'socket';

export interface SlackConfig {
  botToken: string;
  transport: SlackTransport;
  /** HTTP transport: verifies X-Slack-Signature. */
  signingSecret?: string;
  /** Socket Mode transport (xapp-...). */
  appToken?: string;
  /** A user token with admin rights: the only way to delete other members' messages. */
  adminToken?: string;
  /** Web API base, e.g. https://slack.com/api/ (Enterprise proxies, tests). */
  apiUrl?: string;
  /** HTTP transport: the port bolt listens on. */
  port: number;
  /** Slack user ids allowed to run admin commands besides workspace admins/owners. */
  admins: string[];
}

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const EnvSchema = z.object({
  SLACK_BOT_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('xoxb-'), {
    message: 'a bot token starts with xoxb-',
  }),
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('xapp-'), {
    message: 'an app-level token starts with xapp-',
  }),
  SLACK_ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith('xoxp-'), {
    message: 'the admin token is a user token and starts with xoxp-',
  }),
  SLACK_API_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), {
    message: 'must be an http(s) URL such as https://slack.com/api/',
  }),
  PORT: optionalString.refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) < 65536), {
    message: 'must be a port number',
  }),
  MEMEGUARD_SLACK_ADMINS: optionalString,
});

/** True when the environment asks for Slack at all (so `serve` knows whether to start it). */
export function slackRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.SLACK_BOT_TOKEN?.trim());
}

/** The Slack settings, or a USAGE error that names every missing or malformed variable (never their values). */
export function slackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SlackConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new MemeguardError('USAGE', `Slack settings: ${formatZodIssues(parsed.error)}`, { hint: 'see docs/SLACK.md' });
  }
  const e = parsed.data;
  if (!e.SLACK_BOT_TOKEN) {
    throw new MemeguardError('USAGE', 'Slack settings: SLACK_BOT_TOKEN is not set', { hint: 'see docs/SLACK.md' });
  }
  const transport: SlackTransport | undefined = e.SLACK_APP_TOKEN ? 'socket' : e.SLACK_SIGNING_SECRET ? 'http' : undefined;
  if (!transport) {
    throw new MemeguardError(
      'USAGE',
      'Slack settings: set SLACK_SIGNING_SECRET (Events API over HTTP) or SLACK_APP_TOKEN (Socket Mode)',
      { hint: 'see docs/SLACK.md' },
    );
  }
  return {
    botToken: e.SLACK_BOT_TOKEN,
    transport,
    signingSecret: e.SLACK_SIGNING_SECRET,
    appToken: e.SLACK_APP_TOKEN,
    adminToken: e.SLACK_ADMIN_TOKEN,
    apiUrl: e.SLACK_API_URL ? (e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`) : undefined,
    port: e.PORT ? Number(e.PORT) : 3000,
    admins: (e.MEMEGUARD_SLACK_ADMINS ?? '').split(/[\s,]+/).filter((s) => s.length > 0),
  };
}
