import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';
import { removeTempDirs, tempDir } from '../inference/engine/fixtures.js';

afterAll(removeTempDirs);

/** --dir pointing at something that cannot hold a pack folder: one clear line, exit 1, no stack trace. */
describe('models demo / pull with a --dir that cannot be written', () => {
  async function fileInTheWay(): Promise<string> {
    const root = await tempDir('mg-packdir-');
    const file = path.join(root, 'not-a-folder');
    await writeFile(file, 'x');
    return file;
  }

  it('models demo --dir FILE says a file is in the way', async () => {
    const file = await fileInTheWay();
    const r = await runCli(['models', 'demo', '--dir', file]);
    expect(r.code).toBe(1);
    expect(humanLines(r.stderr)).toEqual([expect.stringContaining(`cannot create the pack folder ${path.join(file, 'demo')}: a file is in the way`)]);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });

  it('models pull --dir FILE fails the same way before any download', async () => {
    const file = await fileInTheWay();
    const r = await runCli(['models', 'pull', '--dir', file, '--endpoint', 'http://127.0.0.1:9'], { env: { HF_HUB_OFFLINE: undefined } });
    expect(r.code).toBe(1);
    expect(humanLines(r.stderr)).toEqual([expect.stringContaining('a file is in the way')]);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  });
});

describe('models verify on a demo pack', () => {
  it('says the pack was written by models demo (not "pull it again"), exit 2, one line', async () => {
    const root = await tempDir('mg-demo-verify-');
    expect((await runCli(['models', 'demo', '--dir', root])).code).toBe(0);
    const r = await runCli(['models', 'verify', 'demo', '--dir', root]);
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('written by `memeguard models demo`');
    expect(lines[0]).not.toContain('pull it again');
  });
});

describe('models pull with the hub unreachable', () => {
  it('progress lines that count the tries it really makes, then one error line; no JSON log lines', async () => {
    const root = await tempDir('mg-pull-offline-');
    const r = await runCli(['models', 'pull', '--dir', root, '--endpoint', 'http://127.0.0.1:9'], { env: { HF_HUB_OFFLINE: undefined } });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('memeguard:'))).toEqual([
      expect.stringMatching(/^memeguard: cannot reach the hub at http:\/\/127\.0\.0\.1:9 — cannot connect \(.*\) after 3 tries; are you offline\?.*memeguard models demo/),
    ]);
    expect(lines.filter((l) => /retry \d\/\d/.test(l)).map((l) => /retry (\d\/\d)/.exec(l)![1])).toEqual(['1/2', '2/2']);
  });
});
