import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../src/bot/store/sqlite.js';
import { loadEnv } from '../../../src/config/env.js';
import { startServer } from '../../../src/serve.js';
import { renderMeme } from '../../../src/synth/memes.js';
import { writeTinyPack } from '../../../src/synth/pack.js';
import { FakeDiscord, snowflake } from './fake-discord.js';

let dir: string;
let packDir: string;
let fake: FakeDiscord;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mg-serve-'));
  packDir = await writeTinyPack(path.join(dir, 'pack'), {});
  fake = await new FakeDiscord().start();
});
afterAll(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function envFor(db: string): NodeJS.ProcessEnv {
  return {
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    MEMEGUARD_DISCORD_GUILD: fake.guildId,
    MEMEGUARD_DB: db,
    MEMEGUARD_MODELS: packDir,
    MEMEGUARD_TEST_DISCORD_CDN: fake.baseUrl,
  };
}

const alice = { id: snowflake(), username: 'alice' };

describe('serve', () => {
  it('refuses to start without any platform configured', async () => {
    await expect(startServer({ env: loadEnv({ MEMEGUARD_DB: path.join(dir, 'none.db') }) })).rejects.toThrow(/no chat platform is configured/);
  });

  it('starts the Discord adapter from the environment, judges posts, and stops cleanly', async () => {
    const db = path.join(dir, 'a', 'serve.db');
    const server = await startServer({ env: loadEnv(envFor(db)) });
    expect(server.adapters.map((a) => a.name)).toEqual(['discord']);
    const msg = fake.postMessage(alice, { attachments: [fake.addAttachment('s.png', await renderMeme({ caption: 'serve me', style: 'plain', width: 120, seed: 1 }))] });
    const deadline = Date.now() + 60_000;
    const store = openSqliteStore(db);
    while ((await store.countJudgements({ platform: 'discord', workspaceId: fake.guildId })) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await store.listJudgements({ platform: 'discord', workspaceId: fake.guildId }))[0]!.messageId).toBe(msg.id);
    await store.close();
    await server.stop();
    await server.stop(); // idempotent
    expect(fake.connected).toBe(0);
  });

  it('`memeguard serve` shuts down gracefully on SIGTERM with exit code 0', async () => {
    const db = path.join(dir, 'cli', 'serve.db');
    const child = spawn(process.execPath, ['bin/memeguard.js', 'serve'], {
      cwd: path.resolve(import.meta.dirname, '../../..'),
      env: { ...process.env, ...envFor(db), MEMEGUARD_LOG: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!stderr.includes('"msg":"serving"') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('"msg":"serving"');
    expect(stderr).not.toContain(fake.token);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('"msg":"serve stopped"');
    const store = openSqliteStore(db);
    expect(store.migrationVersions()).toEqual([1]);
    await store.close();
  });
});
