/**
 * Every bad input of the image loader's list, through the real CLI: exit code 1, one clear line on stderr,
 * no stack trace. A 100k-character caption is fine.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanLines, runCli } from './engine/cli-helper.js';
import { noiseImage, removeTempDirs, tempDir, tinyPack } from './engine/fixtures.js';

let pack: string;
let dir: string;

beforeAll(async () => {
  pack = await tinyPack({ seed: 31 });
  dir = await tempDir('mg-bad-');
});
afterAll(removeTempDirs);

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** A PNG whose header claims 100000×100000 pixels (a decompression bomb's header). */
function headerBombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}

async function cases(): Promise<[string, () => Promise<string>, RegExp][]> {
  const png = await noiseImage(1, 120, 90);
  const jpeg = await sharp(png).jpeg({ quality: 90 }).toBuffer();
  return [
    ['empty file', () => file('empty.png', new Uint8Array(0)), /empty/i],
    ['text file', () => file('notes.png', Buffer.from('hello, this is just text\n'.repeat(20))), /not an image|not .*image/i],
    [
      'SVG',
      () => file('pic.png', Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')),
      /SVG/,
    ],
    ['truncated PNG', () => file('cut.png', png.subarray(0, Math.floor(png.length / 2))), /corrupt|truncated/i],
    ['truncated JPEG', () => file('cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2))), /corrupt|truncated/i],
    ['21 MB file', () => file('huge.png', Buffer.concat([png, Buffer.alloc(21 * 1024 * 1024)])), /MB limit/],
    ['header bomb', () => file('bomb.png', headerBombPng()), /megapixel/],
  ];
}

describe('check refuses bad images with exit 1 and one clear line', async () => {
  for (const [name, make, pattern] of await cases()) {
    it(name, async () => {
      const p = await make();
      const r = await runCli(['check', p, '--models', pack, '--caption', 'hello']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^memeguard: /);
      expect(lines[0]).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('the same refusal through stdin', async () => {
    const r = await runCli(['check', '-', '--models', pack, '--caption', 'x'], { stdin: Buffer.from('plain text') });
    expect(r.code).toBe(1);
    expect(humanLines(r.stderr)).toHaveLength(1);
  });

  it('with logging on, the refusal is also a structured log line with its code', async () => {
    const p = await file('empty2.png', new Uint8Array(0));
    const r = await runCli(['check', p, '--models', pack, '--caption', 'x'], { env: { MEMEGUARD_LOG: 'warn' } });
    expect(r.code).toBe(1);
    expect(humanLines(r.stderr)).toHaveLength(1);
    const logs = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(logs.some((l) => l.code === 'EMPTY_FILE')).toBe(true);
  });

  it('a missing file and a folder are bad input too', async () => {
    const a = await runCli(['check', path.join(dir, 'nope.png'), '--models', pack]);
    expect(a.code).toBe(1);
    expect(a.stderr.trim()).toMatch(/^memeguard: cannot read .*nope\.png: no such file$/);
    const b = await runCli(['check', dir, '--models', pack]);
    expect(b.code).toBe(1);
    expect(b.stderr.trim()).toMatch(/is not a file/);
  });

  it('a 100k-character caption is fine', async () => {
    const p = await file('ok.png', await noiseImage(2));
    const caption = 'word '.repeat(20_000);
    expect(caption.length).toBe(100_000);
    const r = await runCli(['check', p, '--models', pack, '--caption', caption, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.caption.source).toBe('given');
    expect(v.text.score).toBeTypeOf('number');
    expect(v.explanation.words.length).toBeLessThanOrEqual(32);
  });
});
