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
