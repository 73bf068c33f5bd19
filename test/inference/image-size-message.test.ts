import { describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { loadImage } from '../../src/inference/image/load.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function refusal(bytes: Uint8Array, maxBytes: number): Promise<MemeguardError> {
  const e = await loadImage(bytes, { maxBytes }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MemeguardError);
  expect((e as MemeguardError).code).toBe('IMAGE_TOO_LARGE');
  return e as MemeguardError;
}

/** A 30 MB file read by the CLI (which stops at 20 MB + 1 byte) must not be reported as "20.0 MB". */
describe('the too-large message', () => {
  const MB = 1024 * 1024;

  it('bytes cut at the cap (limit + 1, what capped readers hand over): no made-up size', async () => {
    const e = await refusal(Buffer.concat([PNG_SIGNATURE, Buffer.alloc(2 * MB + 1 - PNG_SIGNATURE.length)]), 2 * MB);
    expect(e.message).toBe('the file is over the 2 MB limit');
  });

  it('the whole file in memory: its real size', async () => {
    const e = await refusal(Buffer.concat([PNG_SIGNATURE, Buffer.alloc(3 * MB)]), 2 * MB);
    expect(e.message).toBe('the file is 3.0 MB, over the 2 MB limit');
  });
});
