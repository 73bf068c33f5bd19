/**
 * A test world for the Slack adapter: the fake Slack, the REAL engine on a generated tiny pack, the real SQLite
 * store and Moderator, and the real bolt App (HTTP or Socket Mode) pointed at the fake through SLACK_API_URL.
 * Plus what Slack itself would send: signed HTTP requests and Socket Mode envelopes.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSlackAdapter, type SlackAdapter } from '../../../src/adapters/slack/app.js';
import { slackConfigFromEnv } from '../../../src/adapters/slack/config.js';
import { engineEvaluationRunner } from '../../../src/bot/evaluation.js';
import { Moderator } from '../../../src/bot/moderator.js';
import { openSqliteStore, type SqliteStore } from '../../../src/bot/store/sqlite.js';
import type { Engine } from '../../../src/inference/types.js';
import { createEngine } from '../../../src/inference/engine.js';
import { renderMeme } from '../../../src/synth/memes.js';
import { writeTinyPack } from '../../../src/synth/pack.js';
import { FakeSlack, type SlackFileObject } from './fake-slack.js';

export const BOT_TOKEN = 'xoxb-1111-2222-testbottoken';
export const APP_TOKEN = 'xapp-1-A111-333-testapptoken';
export const ADMIN_TOKEN = 'xoxp-4444-5555-testadmintoken';
export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const TEAM = 'T0FAKE';
export const GENERAL = 'CGENERAL';
export const MODS = 'CMODS';
/** Workspace admin (users.info is_admin). */
export const ADMIN = 'UADMIN1';
/** Not an admin, but listed in MEMEGUARD_SLACK_ADMINS. */
export const LISTED = 'ULISTED';
export const MEMBER = 'UMEMBER';
export const POSTER = 'UPOSTER';

/** Shared by the adapters of one test file: the models load once. */
export interface Core {
  dir: string;
  engine: Engine;
  store: SqliteStore;
  moderator: Moderator;
  dataDir: string;
  memes: Buffer[];
  close(): Promise<void>;
}

export async function createCore(): Promise<Core> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mg-slack-'));
  const packDir = await writeTinyPack(path.join(dir, 'pack'), { seed: 7 });
  const engine = await createEngine({ packDir, device: 'cpu', threads: 1, ocr: { workers: 1 } });
  const store = openSqliteStore(path.join(dir, 'memeguard.db'));
  const captions = ['when the code compiles first try', 'nobody expects the meme inquisition', 'monday again', 'cats rule the internet'];
  const memes = await Promise.all(
    captions.map((caption, i) => renderMeme({ caption, style: 'classic', width: 320, height: 240, background: 'flat', seed: i + 1 })),
  );
  // A Hateful Memes-format data set of the same memes for /evaluate.
  const dataDir = path.join(dir, 'data');
  await mkdir(path.join(dataDir, 'img'), { recursive: true });
  const lines: string[] = [];
  for (const [i, bytes] of memes.entries()) {
    await writeFile(path.join(dataDir, 'img', `${100 + i}.png`), bytes);
    lines.push(JSON.stringify({ id: 100 + i, img: `img/${100 + i}.png`, label: i % 2, text: captions[i] }));
  }
  await writeFile(path.join(dataDir, 'dev.jsonl'), lines.join('\n') + '\n');
  const moderator = new Moderator({ engine, store, evaluate: engineEvaluationRunner(engine, { cacheDir: null }), evalDataDir: dataDir, concurrency: 1 });
  return {
    dir,
    engine,
    store,
    moderator,
    dataDir,
    memes,
    async close() {
      await moderator.drain();
      await engine.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface World {
  fake: FakeSlack;
  adapter: SlackAdapter;
  /** HTTP transport: the events URL (http://127.0.0.1:<port>/slack/events). */
  eventsUrl?: string;
  stop(): Promise<void>;
}

export async function startWorld(core: Core, options: { transport: 'http' | 'socket'; adminToken?: boolean }): Promise<World> {
  const fake = await new FakeSlack({
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    adminToken: options.adminToken ? ADMIN_TOKEN : undefined,
    teamId: TEAM,
    users: [
      { id: ADMIN, name: 'admin', is_admin: true },
      { id: LISTED, name: 'listed' },
      { id: MEMBER, name: 'member' },
      { id: POSTER, name: 'poster' },
    ],
  }).start();
  const env: NodeJS.ProcessEnv = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    MEMEGUARD_SLACK_ADMINS: LISTED,
    ...(options.transport === 'socket' ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ...(options.adminToken ? { SLACK_ADMIN_TOKEN: ADMIN_TOKEN } : {}),
  };
  const adapter = createSlackAdapter({ config: slackConfigFromEnv(env), moderator: core.moderator, connectTimeoutMs: 20_000 });
  const started = await adapter.start();
  if (options.transport === 'socket') await fake.waitForSocket();
  return {
    fake,
    adapter,
    eventsUrl: started.port ? `http://127.0.0.1:${started.port}/slack/events` : undefined,
    async stop() {
      await adapter.stop();
      await fake.stop();
    },
  };
}

// -------------------------------------------------------------------------------------------- what Slack sends

/** X-Slack-Signature for a body: v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}"). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedOptions {
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  /** Seconds since the epoch (default now). */
  timestamp?: number;
  /** Default: SIGNING_SECRET; null sends no signature headers at all. */
  secret?: string | null;
}

export async function postSigned(url: string, body: string, options: SignedOptions): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': options.contentType };
  if (options.secret !== null) {
    headers['x-slack-request-timestamp'] = String(timestamp);
    headers['x-slack-signature'] = slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body);
  }
  return fetch(url, { method: 'POST', headers, body });
}

let seq = 0;

/** An Events API callback for a member's message with files. */
export function messageEvent(channel: string, user: string, ts: string, files: SlackFileObject[], threadTs?: string) {
  return {
    token: 'legacy-verification-token',
    team_id: TEAM,
    api_app_id: 'AFAKE',
    type: 'event_callback',
    event_id: `Ev${++seq}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'message',
      subtype: 'file_share',
      channel,
      channel_type: 'channel',
      user,
      ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      text: '',
      files,
      event_ts: ts,
    },
  };
}

/** A slash command's fields (sent form-encoded over HTTP, as a JSON payload over Socket Mode). */
export function slashCommand(fake: FakeSlack, command: string, text: string, user: string, channel = GENERAL) {
  const id = `cmd-${++seq}`;
  return {
    id,
    fields: {
      token: 'legacy-verification-token',
      team_id: TEAM,
      team_domain: 'fake',
      channel_id: channel,
      channel_name: 'general',
      user_id: user,
      user_name: user.toLowerCase(),
      command,
      text,
      api_app_id: 'AFAKE',
      is_enterprise_install: 'false',
      response_url: fake.responseUrl(id),
      trigger_id: `trig-${seq}`,
    },
  };
}

/** The "Check meme" message shortcut on a message. */
export function checkMemeShortcut(fake: FakeSlack, user: string, channel: string, message: { ts: string; user: string; files: SlackFileObject[] }) {
  const id = `sc-${++seq}`;
  return {
    id,
    payload: {
      type: 'message_action',
      callback_id: 'check_meme',
      trigger_id: `trig-${seq}`,
      response_url: fake.responseUrl(id),
      team: { id: TEAM, domain: 'fake' },
      channel: { id: channel, name: 'general' },
      user: { id: user, name: user.toLowerCase() },
      message: { type: 'message', ts: message.ts, user: message.user, text: '', files: message.files },
      message_ts: message.ts,
      action_ts: String(Date.now() / 1000),
      token: 'legacy-verification-token',
    },
  };
}

/** A click on a button of a bot message (the mod-log entry). */
export function buttonClick(fake: FakeSlack, user: string, channel: string, message: { ts: string; blocks?: unknown[] }, button: { action_id: string; value?: string; block_id?: string }) {
  const id = `act-${++seq}`;
  return {
    id,
    payload: {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), team_id: TEAM },
      api_app_id: 'AFAKE',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: message.ts, channel_id: channel, is_ephemeral: false },
      trigger_id: `trig-${seq}`,
      team: { id: TEAM, domain: 'fake' },
      channel: { id: channel, name: 'mods' },
      message: { type: 'message', ts: message.ts, bot_id: 'BFAKE', text: '', blocks: message.blocks ?? [] },
      response_url: fake.responseUrl(id),
      actions: [{ type: 'button', action_id: button.action_id, block_id: button.block_id ?? 'b', value: button.value, action_ts: String(Date.now() / 1000) }],
    },
  };
}

export { buttonsOf, textOf } from './inspect.js';
