import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/bot/store/sqlite.js';
import { humanLines, runCli } from '../inference/engine/cli-helper.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mg-store-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openError(file: string): MemeguardError {
  try {
    openSqliteStore(file).close();
  } catch (e) {
    if (e instanceof MemeguardError) return e;
    throw e;
  }
  throw new Error(`${file} opened`);
}

/** A bad MEMEGUARD_DB / --db is the operator's input: a clear exit-1 error, not an INTERNAL one with a stack trace. */
describe('opening a database the operator pointed at something unusable', () => {
  it('a file where the folder should be, and a file that is not a database: BAD_INPUT, exit 1', () => {
    const notAFolder = path.join(dir, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const inFile = openError(path.join(notAFolder, 'memeguard.db'));
    expect(inFile.code).toBe('BAD_INPUT');
    expect(inFile.exitCode).toBe(1);
    expect(inFile.toLine()).toMatch(/cannot open the database .*MEMEGUARD_DB/);

    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'these are not the pages of a database, just words '.repeat(200));
    const notDb = openError(text);
    expect(notDb.code).toBe('BAD_INPUT');
    expect(notDb.message).toContain('not a database');
  });

  it('memeguard serve --db under a file: one line on stderr, exit 1, no "unexpected error" log', async () => {
    const notAFolder = path.join(dir, 'another-file');
    writeFileSync(notAFolder, 'x');
    const r = await runCli(['serve', '--db', path.join(notAFolder, 'x.db')], {
      env: { DISCORD_TOKEN: 'not-a-real-token', DISCORD_API_URL: 'http://127.0.0.1:9', SLACK_BOT_TOKEN: undefined },
    });
    expect(r.code).toBe(1);
    expect(humanLines(r.stderr)).toEqual([expect.stringContaining('cannot open the database')]);
    expect(r.stderr).not.toContain('unexpected error');
  });
});
