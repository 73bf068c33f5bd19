import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/bot/settings.js';
import { migrate, openSqliteStore } from '../../src/bot/store/sqlite.js';
import type { NewJudgement } from '../../src/bot/store/types.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mg-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ws = { platform: 'discord', workspaceId: 'g1' };
function judgement(over: Partial<NewJudgement> = {}): NewJudgement {
  return {
    ...ws,
    channelId: 'c1',
    messageId: 'm1',
    authorId: 'u1',
    imageSha256: 'a'.repeat(64),
    phash: '00ff00ff00ff00ff',
    packFingerprint: 'fp',
    caption: 'hello',
    captionSource: 'ocr',
    textScore: 0.7,
    imageScore: 0.6,
    score: 0.65,
    threshold: 0.5,
    fusion: 'seed-sum',
    verdict: 'hateful',
    explanation: null,
    cachedFrom: null,
    errorCode: null,
    actionTaken: 'reacted',
    ...over,
  };
}

describe('SqliteStore', () => {
  it('creates the folder and the schema, in WAL mode, with numbered migrations recorded', async () => {
    const file = path.join(tmp(), 'nested', 'deeper', 'mg.db');
    const store = openSqliteStore(file);
    expect(existsSync(file)).toBe(true);
    expect(store.migrationVersions()).toEqual([1]);
    expect(store.journalMode()).toBe('wal');
    await store.close();
    // reopening applies nothing twice and keeps the data
    const again = openSqliteStore(file);
    expect(again.migrationVersions()).toEqual([1]);
    await again.close();
  });

  it('applies only new migrations, in order', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [{ version: 1, name: 'a', sql: 'CREATE TABLE a (x)' }])).toEqual([1]);
    expect(
      migrate(db, [
        { version: 2, name: 'b', sql: 'CREATE TABLE b (x)' },
        { version: 1, name: 'a', sql: 'CREATE TABLE a (x)' },
      ]),
    ).toEqual([2]);
    db.close();
  });

  it('stores settings per workspace and validates them', async () => {
    const store = openSqliteStore(':memory:');
    expect(await store.getSettings(ws)).toBeNull();
    const s = { ...defaultSettings(), threshold: 0.7, action: 'delete' as const, modLogChannel: 'c9' };
    await store.saveSettings(ws, s);
    expect(await store.getSettings(ws)).toEqual(s);
    expect(await store.getSettings({ platform: 'slack', workspaceId: 'g1' })).toBeNull();
    await expect(store.saveSettings(ws, { ...s, threshold: 2 })).rejects.toThrow();
    await store.close();
  });

  it('records judgements and finds the first model-run verdict by sha256 and pack', async () => {
    const store = openSqliteStore(':memory:');
    const id1 = await store.recordJudgement(judgement());
    const id2 = await store.recordJudgement(judgement({ messageId: 'm2', cachedFrom: id1 }));
    expect(id2).toBeGreaterThan(id1);
    expect((await store.findVerdictBySha(ws, 'a'.repeat(64), 'fp'))?.id).toBe(id1);
    expect(await store.findVerdictBySha(ws, 'a'.repeat(64), 'other-pack')).toBeNull();
    expect(await store.findVerdictBySha({ platform: 'discord', workspaceId: 'g2' }, 'a'.repeat(64), 'fp')).toBeNull();
    expect(await store.hasJudgementForMessage(ws, 'm2', 'a'.repeat(64))).toBe(true);
    expect(await store.hasJudgementForMessage(ws, 'm3', 'a'.repeat(64))).toBe(false);
    await store.setJudgementAction(id1, 'deleted');
    const j = await store.getJudgement(id1);
    expect(j).toMatchObject({ actionTaken: 'deleted', caption: 'hello', score: 0.65, verdict: 'hateful', phash: '00ff00ff00ff00ff' });
    expect(await store.countJudgements(ws)).toBe(2);
    // a failed judgement (no verdict) is never a cache hit
    await store.recordJudgement(judgement({ imageSha256: 'b'.repeat(64), verdict: null, score: null, errorCode: 'CORRUPT_IMAGE' }));
    expect(await store.findVerdictBySha(ws, 'b'.repeat(64), 'fp')).toBeNull();
    await store.close();
  });

  it('counts confirmed and overturned flags by their latest review', async () => {
    const store = openSqliteStore(':memory:');
    const a = await store.recordJudgement(judgement());
    const b = await store.recordJudgement(judgement({ messageId: 'm2' }));
    const c = await store.recordJudgement(judgement({ messageId: 'm3' }));
    await store.recordJudgement(judgement({ messageId: 'm4', verdict: 'not_hateful' }));
    await store.recordReview({ ...ws, judgementId: a, reviewerId: 'mod', decision: 'confirm' });
    await store.recordReview({ ...ws, judgementId: b, reviewerId: 'mod', decision: 'confirm' });
    await store.recordReview({ ...ws, judgementId: b, reviewerId: 'mod2', decision: 'not_hateful' });
    await store.recordReview({ ...ws, judgementId: c, reviewerId: 'mod', decision: 'delete' });
    expect(await store.reviewCounts(ws)).toEqual({ flagged: 3, confirmed: 2, overturned: 1 });
    expect((await store.listReviews(b)).map((r) => r.decision)).toEqual(['confirm', 'not_hateful']);
    await store.close();
  });

  it('records evaluation runs from start to finish', async () => {
    const store = openSqliteStore(':memory:');
    const id = await store.startEvaluationRun({ ...ws, requesterId: 'admin', dataDir: '/data', split: 'dev', limit: 10 });
    expect(await store.getEvaluationRun(id)).toMatchObject({ status: 'running', split: 'dev', limit: 10, finishedAt: null });
    await store.finishEvaluationRun(id, 'done', '{"auroc":0.6}');
    expect(await store.getEvaluationRun(id)).toMatchObject({ status: 'done', result: '{"auroc":0.6}' });
    await store.close();
  });
});
