import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMeme } from '../../src/synth/memes.js';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';
import { noiseImage, removeTempDirs, tempDir, tinyPack } from '../inference/engine/fixtures.js';

let pack: string;
let img: string;
let imageBytes: Buffer;

beforeAll(async () => {
  pack = await tinyPack({ seed: 41 });
  imageBytes = await noiseImage(7);
  img = path.join(await tempDir('mg-check-'), 'meme.png');
  await writeFile(img, imageBytes);
});
afterAll(removeTempDirs);

const isNum = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

describe('memeguard check', () => {
  it('--json prints exactly one JSON object of the documented shape', async () => {
    const r = await runCli(['check', img, '--caption', 'they are not welcome here', '--models', pack, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const v = JSON.parse(r.stdout);
    expect(['hateful', 'not_hateful']).toContain(v.verdict);
    expect(isNum(v.score)).toBe(true);
    expect(v.threshold).toBe(0.5);
    expect(v.fusion).toBe('seed-sum');
    expect(v.caption).toEqual({ text: 'they are not welcome here', source: 'given' });
    expect(isNum(v.text.score)).toBe(true);
    expect(isNum(v.image.score)).toBe(true);
    expect(v.score).toBeCloseTo((v.text.score + v.image.score) / 2, 12);
    expect(v.verdict).toBe(v.score > v.threshold ? 'hateful' : 'not_hateful');
    expect(typeof v.explanation.summary).toBe('string');
    expect(v.explanation.summary.length).toBeGreaterThan(10);
    expect(['text', 'image', 'both', 'none']).toContain(v.explanation.driver);
    expect(v.explanation.words).toHaveLength(5);
    for (const w of v.explanation.words) {
      expect(typeof w.word).toBe('string');
      expect(isNum(w.effect)).toBe(true);
    }
    for (const k of ['decode', 'text', 'image', 'fusion', 'explain', 'total']) expect(isNum(v.timings_ms[k])).toBe(true);
    expect(v.device).toBe('cpu');
    expect(v.imageSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('without --caption the caption is read by OCR', async () => {
    const meme = path.join(path.dirname(img), 'ocr-meme.png');
    await writeFile(meme, await renderMeme({ caption: 'GOOD MORNING FRIENDS', style: 'modern', seed: 8 }));
    const r = await runCli(['check', meme, '--models', pack, '--json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.caption.source).toBe('ocr');
    expect(v.caption.text.toLowerCase()).toBe('good morning friends');
    expect(v.explanation.words).toHaveLength(3);
    expect(v.timings_ms.ocr).toBeGreaterThan(0);
  });

  it('--threshold overrides the pack and stdin works with -', async () => {
    const r = await runCli(['check', '-', '--caption', 'hello', '--models', pack, '--threshold', '0', '--json'], { stdin: imageBytes });
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.threshold).toBe(0);
    expect(v.verdict).toBe('hateful');
  });

  it('prints a readable verdict with its explanation', async () => {
    const r = await runCli(['check', img, '--caption', 'hello world', '--models', pack]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^(HATEFUL|not hateful) {2}score \d\.\d{4} {2}threshold 0\.5 {2}fusion seed-sum/);
    expect(r.stdout).toMatch(/caption \(given\): "hello world"/);
    expect(r.stdout).toMatch(/^text: {2}\d\.\d{4}$/m);
    expect(r.stdout).toMatch(/^image: \d\.\d{4}$/m);
    expect(r.stdout).toMatch(/^words: (hello|world) [+-]/m);
    expect(r.stdout).toMatch(/^timings \(ms, cpu\): decode/m);
  });

  it('usage errors: exit 1 and one line', async () => {
    for (const args of [['check'], ['check', img, '--bogus'], ['check', img, '--threshold', '7', '--models', pack], ['check', 'a', 'b']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(humanLines(r.stderr), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const h = await runCli(['check', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/usage: memeguard check/);
  });

  it('a pack without pack.json: exit 2 naming `memeguard models pull`', async () => {
    const broken = await tinyPack({ seed: 42, text: null });
    await rm(path.join(broken, 'pack.json'));
    const r = await runCli(['check', img, '--models', broken]);
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/has no pack\.json.*memeguard models pull/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('MEMEGUARD_MODELS pointing nowhere: exit 2 naming `memeguard models pull`', async () => {
    const r = await runCli(['check', img], { env: { MEMEGUARD_MODELS: path.join(pack, 'nowhere') } });
    expect(r.code).toBe(2);
    expect(humanLines(r.stderr)[0]).toMatch(/no model pack at .*nowhere.*memeguard models pull/);
  });

  it('a wrong field in pack.json: exit 2 naming the field', async () => {
    const broken = await tinyPack({ seed: 43, text: null });
    const file = path.join(broken, 'pack.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.fusion.threshold = 2;
    await writeFile(file, JSON.stringify(json));
    const r = await runCli(['check', img, '--models', broken]);
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pack\.json: fusion\.threshold/);
  });

  it('a missing model file: exit 2 naming the file and `memeguard models pull`', async () => {
    const broken = await tinyPack({ seed: 45, image: null });
    await rm(path.join(broken, 'text', 'onnx', 'model.onnx'));
    const r = await runCli(['check', img, '--caption', 'x', '--models', broken]);
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/text\/onnx\/model\.onnx.*memeguard models pull/);
  });

  it('a pack with nothing scorable: exit 2 with NO_HEADS and the training command', async () => {
    const noHeads = await tinyPack({ seed: 44, heads: false });
    const r = await runCli(['check', img, '--caption', 'x', '--models', noHeads]);
    expect(r.code).toBe(2);
    const lines = humanLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot score anything.*pack has no heads.*memeguard train --data DIR/);
  });
});
