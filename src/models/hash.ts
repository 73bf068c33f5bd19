import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Feed a file's bytes into a hash, streaming (model files are hundreds of MB). */
export async function hashFileInto(file: string, hash: Hash): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

/** sha256 (lower-case hex) and size of a file. */
export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const size = await hashFileInto(file, hash);
  return { sha256: hash.digest('hex'), size };
}
