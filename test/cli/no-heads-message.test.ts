import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';
import { noiseImage, removeTempDirs, tempDir, tinyPack } from '../inference/engine/fixtures.js';

afterAll(removeTempDirs);

/** What a newcomer sees right after `models pull` (the default pack has no heads yet). */
describe('check on a pack whose encoders have no heads', () => {
  it('says why once and gives the training command for this pack, once', async () => {
    const pack = await tinyPack({ seed: 46, heads: false });
    const img = path.join(await tempDir('mg-noheads-'), 'meme.png');
    await writeFile(img, await noiseImage(4));
    const r = await runCli(['check', img, '--caption', 'x', '--models', pack]);
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the pack at ${pack} cannot score anything: text and image: pack has no heads`);
    expect(lines[0].split('memeguard train').length - 1).toBe(1);
    expect(lines[0]).toContain(`memeguard train --data DIR --models ${pack}`);
  });
});
