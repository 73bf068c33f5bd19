import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { engineEvaluationRunner } from '../../../src/bot/evaluation.js';
import { Moderator } from '../../../src/bot/moderator.js';
import { SqliteStore, openSqliteStore } from '../../../src/bot/store/sqlite.js';
import { createDiscordAdapter, type DiscordAdapter } from '../../../src/adapters/discord/adapter.js';
import { createEngine } from '../../../src/inference/engine.js';
import type { Engine } from '../../../src/inference/types.js';
import { renderMeme } from '../../../src/synth/memes.js';
import { writeTinyPack } from '../../../src/synth/pack.js';
import { FakeDiscord } from './fake-discord.js';

/** Everything one Discord test file needs: the fake Discord, a tiny pack with the real engine, the store, the bot. */
export interface DiscordWorld {
  dir: string;
  fake: FakeDiscord;
  engine: Engine & { calls?: number };
  store: SqliteStore;
  moderator: Moderator;
  adapter: DiscordAdapter;
  /** Number of engine.analyze calls so far. */
  analyzeCalls(): number;
  close(): Promise<void>;
}

/** A Hateful Memes-format data set of generated memes (captions given, so no OCR is needed to evaluate). */
export async function writeEvalDataset(dir: string, n: number): Promise<string> {
  await mkdir(path.join(dir, 'img'), { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = 10_000 + i;
    const text = i % 2 ? `they are all vermin number ${i}` : `a sunny day at the beach ${i}`;
    await writeFile(path.join(dir, 'img', `${id}.png`), await renderMeme({ caption: text, style: 'plain', width: 96, seed: i }));
    lines.push(JSON.stringify({ id, img: `img/${id}.png`, label: i % 2, text }));
  }
  await writeFile(path.join(dir, 'dev.jsonl'), lines.join('\n') + '\n');
  // "slow": no captions given, so every item goes through OCR (long enough to cancel)
  const slow = lines.map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    delete o.text;
    return JSON.stringify(o);
  });
  const copies = [0, 1, 2, 3].flatMap((c) => slow.map((l, i) => (c === 0 ? l : l.replace(/"id":\d+/, `"id":${90_000 + c * 1000 + i}`))));
  await writeFile(path.join(dir, 'slow.jsonl'), copies.join('\n') + '\n');
  return dir;
}

export async function startWorld(options: { evalItems?: number; guildScoped?: boolean } = {}): Promise<DiscordWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mg-discord-'));
  const fake = await new FakeDiscord().start();
  const packDir = await writeTinyPack(path.join(dir, 'pack'), {});
  const real = await createEngine({ packDir });
  let calls = 0;
  // count model calls without changing what the engine does
  const engine: Engine = Object.create(real, {
    analyze: { value: (input: Parameters<Engine['analyze']>[0]) => (calls++, real.analyze(input)) },
  });
  const store = openSqliteStore(path.join(dir, 'data', 'memeguard.db'));
  const evalDir = options.evalItems ? await writeEvalDataset(path.join(dir, 'eval'), options.evalItems) : undefined;
  const moderator = new Moderator({ engine, store, evaluate: engineEvaluationRunner(engine, { cacheDir: null }), evalDataDir: evalDir });
  const adapter = createDiscordAdapter({
    token: fake.token,
    apiUrl: fake.apiUrl,
    guildId: options.guildScoped === false ? undefined : fake.guildId,
    moderator,
    download: { testOrigin: fake.baseUrl, timeoutMs: 10_000 },
  });
  await adapter.start();
  return {
    dir,
    fake,
    engine,
    store,
    moderator,
    adapter,
    analyzeCalls: () => calls,
    async close() {
      await adapter.stop().catch(() => undefined);
      await moderator.drain();
      await real.close();
      await store.close();
      await fake.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
