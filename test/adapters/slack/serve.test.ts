/**
 * `memeguard serve` starts Slack from the environment: loadEnv parses the SLACK_* variables (bad ones are a USAGE
 * error before anything starts), startServer runs the Slack adapter from the registry, and stop() disconnects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackAdapterFactory } from '../../../src/adapters/index.js';
import { loadEnv } from '../../../src/config/env.js';
import { startServer } from '../../../src/serve.js';
import { FakeSlack } from './fake-slack.js';
import { ADMIN, APP_TOKEN, BOT_TOKEN, createCore, SIGNING_SECRET, slashCommand, TEAM, textOf, type Core } from './world.js';

let core: Core;
let fake: FakeSlack;

beforeAll(async () => {
  core = await createCore();
  fake = await new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN, teamId: TEAM, users: [{ id: ADMIN, name: 'admin', is_admin: true }] }).start();
});

afterAll(async () => {
  await fake?.stop();
  await core?.close();
});

describe('memeguard serve with Slack', () => {
  it('refuses malformed Slack variables at start-up, naming them', () => {
    expect(() => loadEnv({ SLACK_BOT_TOKEN: BOT_TOKEN })).toThrow(/SLACK_SIGNING_SECRET .*SLACK_APP_TOKEN/);
    expect(() => loadEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: 'not-an-app-token' })).toThrow(/SLACK_APP_TOKEN: an app-level token starts with xapp-/);
    expect(loadEnv({}).platforms.slack).toBeUndefined();
  });

  it('starts the Slack adapter over Socket Mode from the environment and stops it', async () => {
    const env = loadEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.apiUrl, MEMEGUARD_DB: ':memory:' });
    expect(env.platforms.slack?.transport).toBe('socket');
    const server = await startServer({ env, engine: core.engine, store: core.store, adapters: [slackAdapterFactory] });
    try {
      expect(server.adapters.map((a) => a.name)).toEqual(['slack']);
      const cmd = slashCommand(fake, '/memeguard-config', 'show', ADMIN);
      await fake.sendEnvelope('slash_commands', cmd.fields);
      expect(textOf(await fake.waitForResponse(cmd.id))).toMatch(/threshold/);
    } finally {
      await server.stop();
    }
    for (let i = 0; i < 50 && fake.openSockets > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(fake.openSockets).toBe(0);
  });

  it('starts the Events API receiver on PORT when the signing secret is set', async () => {
    const env = loadEnv({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, PORT: '0' });
    expect(env.platforms.slack).toMatchObject({ transport: 'http', port: 0 });
    const server = await startServer({ env, engine: core.engine, store: core.store, adapters: [slackAdapterFactory] });
    await server.stop();
  });
});
