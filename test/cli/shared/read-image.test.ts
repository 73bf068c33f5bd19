import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageArg } from '../../../src/cli/shared/read-image.js';
import { MemeguardError } from '../../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mg-read-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(parts: Buffer[], seen: { n: number }) {
  for (const p of parts) {
    seen.n++;
    yield p;
  }
}

async function refusal(p: Promise<unknown>): Promise<MemeguardError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MemeguardError);
  expect((e as MemeguardError).code).toBe('BAD_INPUT');
  return e as MemeguardError;
}

describe('readImageArg', () => {
  it('reads a whole small file', async () => {
    const f = path.join(dir, 'small.bin');
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    await writeFile(f, data);
    expect(Buffer.from(await readImageArg(f, 5000))).toEqual(data);
  });

  it('reads at most maxBytes + 1 of a large file, so the loader still sees it is too large', async () => {
    const f = path.join(dir, 'large.bin');
    await writeFile(f, Buffer.alloc(10_000, 3));
    const got = await readImageArg(f, 100);
    expect(got.length).toBe(101);
  });

  it('reads stdin for "-", stopping once past the cap', async () => {
    const seen = { n: 0 };
    const parts = Array.from({ length: 10 }, (_, i) => Buffer.alloc(40, i));
    const got = await readImageArg('-', 100, chunks(parts, seen));
    expect(got.length).toBe(101);
    expect(seen.n).toBe(3);
    expect(got[0]).toBe(0);
    expect(got[100]).toBe(2);
    const small = await readImageArg('-', 100, chunks([Buffer.from('ab'), Buffer.from('c')], { n: 0 }));
    expect(Buffer.from(small).toString()).toBe('abc');
  });

  it('a missing file, or a folder, is a one-line BAD_INPUT error', async () => {
    const missing = path.join(dir, 'nope.png');
    expect((await refusal(readImageArg(missing))).message).toBe(`cannot read ${missing}: no such file`);
    expect((await refusal(readImageArg(dir))).message).toBe(`${dir} is not a file`);
  });
});
