import { open } from 'node:fs/promises';
import { MemeguardError } from '../../errors.js';
import { DEFAULT_IMAGE_LIMITS } from '../../inference/image/load.js';

/**
 * Read an image from a path or stdin ('-'). At most maxBytes + 1 bytes are read, so a huge file costs no memory
 * and is still refused by the image loader as too large.
 */
export async function readImageArg(
  arg: string,
  maxBytes = DEFAULT_IMAGE_LIMITS.maxBytes,
  stdin: AsyncIterable<Buffer | string> = process.stdin,
): Promise<Uint8Array> {
  const limit = maxBytes + 1;
  if (arg === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stdin) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(b);
      total += b.length;
      if (total >= limit) break;
    }
    return Buffer.concat(chunks).subarray(0, limit);
  }
  let fh;
  try {
    fh = await open(arg, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new MemeguardError('BAD_INPUT', `cannot read ${arg}: ${why}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new MemeguardError('BAD_INPUT', `${arg} is not a file`);
    const buf = Buffer.alloc(Math.min(st.size, limit));
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await fh.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } catch (e) {
    if (e instanceof MemeguardError) throw e;
    throw new MemeguardError('BAD_INPUT', `cannot read ${arg}: ${(e as Error).message}`);
  } finally {
    await fh.close();
  }
}
