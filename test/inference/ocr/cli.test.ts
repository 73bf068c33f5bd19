import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeForScoring } from '../../../src/inference/ocr/metrics.js';
import { renderMeme } from '../../../src/synth/memes.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let dir: string;
let meme: string;

function cli(args: string[], stdin?: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/memeguard.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, MEMEGUARD_LOG: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mg-ocr-cli-'));
  meme = path.join(dir, 'meme.jpg');
  await writeFile(
    meme,
    await renderMeme({ caption: { top: 'ONE DOES NOT SIMPLY', bottom: 'WALK INTO MORDOR' }, style: 'classic', width: 480, height: 400, format: 'jpeg', jpegQuality: 70, seed: 4 }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('memeguard ocr', () => {
  it('prints the caption', async () => {
    const r = await cli(['ocr', meme]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(normalizeForScoring(r.stdout)).toBe('one does not simply walk into mordor');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('--json prints {text, lines: [{text, confidence}], ms}; - reads stdin', async () => {
    const { readFile } = await import('node:fs/promises');
    const r = await cli(['ocr', '--json', '-'], await readFile(meme));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['lines', 'ms', 'text']);
    expect(normalizeForScoring(out.text)).toBe('one does not simply walk into mordor');
    expect(out.lines.map((l: { text: string }) => normalizeForScoring(l.text))).toEqual(['one does not simply', 'walk into mordor']);
    for (const l of out.lines) expect(l.confidence).toBeGreaterThan(50);
    expect(out.ms).toBeGreaterThan(0);
  });

  it('refuses bad input with exit 1 and one line', async () => {
    const notImage = path.join(dir, 'notes.txt');
    await writeFile(notImage, 'hello, I am text');
    for (const args of [['ocr', notImage], ['ocr', path.join(dir, 'missing.png')], ['ocr'], ['ocr', '--bogus', meme], ['ocr', dir]]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^memeguard: /);
    }
    const empty = await cli(['ocr', '-'], Buffer.alloc(0));
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim().split('\n')).toHaveLength(1);
  });
});
