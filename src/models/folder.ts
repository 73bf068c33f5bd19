import { mkdir } from 'node:fs/promises';
import { MemeguardError } from '../errors.js';

/**
 * Creates a pack folder (and its parents) for `models pull` / `models demo`, turning the file-system refusals a
 * user can cause with --dir (a file in the way, no write permission, a read-only disk, a full disk) into one clear
 * MemeguardError instead of a raw errno and a stack trace.
 */
export async function makePackFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = 'pass --dir ROOT with a folder you can write';
    switch (code) {
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        throw new MemeguardError('PERMISSION_DENIED', `cannot create the pack folder ${dir}: no permission to write there (${code})`, { hint, cause: e });
      case 'ENOTDIR':
      case 'EEXIST':
        throw new MemeguardError('BAD_INPUT', `cannot create the pack folder ${dir}: a file is in the way (${code})`, { hint, cause: e });
      case 'ENOSPC':
        throw new MemeguardError('BAD_INPUT', `cannot create the pack folder ${dir}: the disk is full (${code})`, { hint, cause: e });
      default:
        throw new MemeguardError('BAD_INPUT', `cannot create the pack folder ${dir}: ${(e as Error).message}`, { hint, cause: e });
    }
  }
}
