import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';
import { removeTempDirs, tempDir, tinyPack } from '../inference/engine/fixtures.js';

let blocker: Server | undefined;
afterAll(async () => {
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  await removeTempDirs();
});

/**
 * Slack over HTTP on a PORT something else holds: used to be an INTERNAL error with a stack trace, after which the
 * process stayed up for minutes (bolt retrying auth.test against an unreachable Slack). Now: one line, exit 1, exit.
 */
describe('memeguard serve with the Slack PORT already in use', () => {
  it('says the port is in use in one line and exits 1', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker!.listen(0, '0.0.0.0', () => resolve((blocker!.address() as { port: number }).port)));
    const pack = await tinyPack({ seed: 71 });
    const db = path.join(await tempDir('mg-serve-port-'), 'memeguard.db');
    const r = await runCli(['serve', '--db', db, '--models', pack], {
      env: {
        SLACK_BOT_TOKEN: 'xoxb-0-0-notreal',
        SLACK_SIGNING_SECRET: 'not-a-real-secret',
        SLACK_APP_TOKEN: undefined,
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
        PORT: String(port),
        DISCORD_TOKEN: undefined,
        MEMEGUARD_LOG: 'error',
      },
    });
    expect(r.code).toBe(1);
    expect(humanLines(r.stderr)).toEqual([expect.stringContaining(`cannot listen on port ${port} for Slack events: the port is already in use`)]);
    expect(r.stderr).not.toContain('unexpected error');
  });
});
