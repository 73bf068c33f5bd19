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
