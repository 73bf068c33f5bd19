import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/inference/engine.js';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';
import { removeTempDirs, tempDir, tinyPack } from '../inference/engine/fixtures.js';

afterAll(removeTempDirs);

/**
 * Right after `models pull` the default pack has encoders and no heads: it can score nothing. `serve` used to start
 * anyway and answer every image post with that error; now it refuses to start, with the training command.
 */
describe('a pack that can score nothing', () => {
  it('the engine says so in info.cannotScore (and not for a pack with heads)', async () => {
    const untrained = await createEngine({ packDir: await tinyPack({ seed: 61, heads: false }), device: 'cpu' });
    const trained = await createEngine({ packDir: await tinyPack({ seed: 62 }), device: 'cpu' });
    try {
      expect(untrained.info.cannotScore).toBe('text and image: pack has no heads');
      expect(trained.info.cannotScore).toBeUndefined();
    } finally {
      await untrained.close();
      await trained.close();
    }
  });

  it('memeguard serve refuses to start on it: exit 2, one line naming the training command, no connection tried', async () => {
    const pack = await tinyPack({ seed: 63, heads: false });
    const db = path.join(await tempDir('mg-serve-untrained-'), 'memeguard.db');
    const r = await runCli(['serve', '--db', db, '--models', pack], {
      env: { DISCORD_TOKEN: 'not-a-real-token', DISCORD_API_URL: 'http://127.0.0.1:9', SLACK_BOT_TOKEN: undefined },
    });
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the pack at ${pack} cannot score anything`);
    expect(lines[0]).toContain(`memeguard train --data DIR --models ${pack}`);
    expect(r.stderr).not.toMatch(/cannot connect to Discord|ECONNREFUSED/);
  });
});
