import { describe, expect, it } from 'vitest';
import type { EvaluationRunner } from '../../src/bot/evaluation.js';
import { Moderator } from '../../src/bot/moderator.js';
import { parseReviewId } from '../../src/bot/review-ids.js';
import { openSqliteStore } from '../../src/bot/store/sqlite.js';
import type { ImagePost, ModAction, Requester } from '../../src/bot/types.js';
import { RecordingPort, RednessEngine, solidPng } from './helpers.js';

const ws = { platform: 'discord', workspaceId: 'g1' };
const admin: Requester = { ...ws, userId: 'admin', isAdmin: true, roles: [] };
const member: Requester = { ...ws, userId: 'member', isAdmin: false, roles: [] };

function post(over: Partial<ImagePost> = {}): ImagePost {
  return { ...ws, channelId: 'c1', messageId: 'm1', authorId: 'u1', authorIsBot: false, roles: [], images: [{ url: 'cdn/red.png', name: 'red.png' }], link: 'https://x/m1', ...over };
}

async function setup(options: { evaluate?: EvaluationRunner; evalDataDir?: string } = {}) {
  const engine = new RednessEngine();
  const store = openSqliteStore(':memory:');
  const files = new Map<string, Uint8Array>([
    ['cdn/red.png', await solidPng(250, 10, 10)],
    ['cdn/red2.png', await solidPng(240, 20, 5)],
    ['cdn/grey.png', await solidPng(120, 120, 120)],
    ['cdn/corrupt.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5])],
  ]);
  const moderator = new Moderator({ engine, store, ...options });
  const set = async (key: Parameters<typeof moderator.handleCommand>[0] extends infer R ? (R extends { key: infer K } ? K : never) : never, value: string) =>
    moderator.handleCommand({ command: 'config-set', requester: admin, key, value }, new RecordingPort());
  return { engine, store, files, moderator, set, port: () => new RecordingPort(files) };
}

describe('Moderator: posts', () => {
  it('flags a hateful image: reacts, replies with the explanation, posts a mod-log entry with review buttons, records it', async () => {
    const { moderator, set, port, store } = await setup();
    await set('mod-log-channel', 'log1');
    const p = port();
    const out = await moderator.handlePost(post(), p);
    expect(out.failed).toEqual([]);
    expect(out.judged).toHaveLength(1);
    expect(out.judged[0]!.verdict.verdict).toBe('hateful');
    expect(p.kinds()).toEqual(['react', 'reply', 'mod-log']);
    const reply = p.actions[1] as Extract<ModAction, { kind: 'reply' }>;
    expect(reply.audience).toBe('channel');
    expect(reply.message.text).toContain('the picture drove the decision');
    const log = p.actions[2] as Extract<ModAction, { kind: 'mod-log' }>;
    expect(log.channelId).toBe('log1');
    expect(log.entry.link).toBe('https://x/m1');
    expect(log.entry.buttons.map((b) => parseReviewId(b.customId))).toEqual([
      { decision: 'confirm', judgementId: out.judged[0]!.judgementId },
      { decision: 'not_hateful', judgementId: out.judged[0]!.judgementId },
      { decision: 'delete', judgementId: out.judged[0]!.judgementId },
    ]);
    const j = await store.getJudgement(out.judged[0]!.judgementId);
    expect(j).toMatchObject({ verdict: 'hateful', channelId: 'c1', messageId: 'm1', authorId: 'u1', actionTaken: 'reacted, replied' });
    expect(j!.imageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j!.phash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('records a harmless image and does nothing on the platform', async () => {
    const { moderator, port, store } = await setup();
    const p = port();
    const out = await moderator.handlePost(post({ images: [{ url: 'cdn/grey.png' }] }), p);
    expect(out.judged[0]!.verdict.verdict).toBe('not_hateful');
    expect(p.actions).toEqual([]);
    expect(await store.countJudgements(ws)).toBe(1);
  });

  it('reuses the recorded verdict for the same image in the same workspace, without a model call', async () => {
    const { moderator, port, engine, store } = await setup();
    await moderator.handlePost(post(), port());
    await moderator.handlePost(post({ messageId: 'm2' }), port());
    expect(engine.calls).toBe(1);
    const [first, second] = await store.listJudgements(ws);
    expect(second!.cachedFrom).toBe(first!.id);
    expect(second!.verdict).toBe('hateful');
    // another workspace runs the models again
    await moderator.handlePost(post({ workspaceId: 'g2' }), port());
    expect(engine.calls).toBe(2);
  });

  it('follows the policy: disabled, bots, ignored and unwatched channels, exempt roles', async () => {
    const { moderator, set, port, engine } = await setup();
    expect((await moderator.handlePost(post({ authorIsBot: true }), port())).skipped).toBe('bot author');
    await set('exempt-roles', 'r1');
    expect((await moderator.handlePost(post({ roles: ['r1'] }), port())).skipped).toBe('exempt role');
    await set('watched-channels', 'c2');
    expect((await moderator.handlePost(post(), port())).skipped).toBe('channel not watched');
    await set('watched-channels', 'none');
    await set('ignored-channels', 'c1');
    expect((await moderator.handlePost(post(), port())).skipped).toBe('channel ignored');
    await set('ignored-channels', 'none');
    await set('enabled', 'false');
    expect((await moderator.handlePost(post(), port())).skipped).toBe('disabled');
    expect(engine.calls).toBe(0);
  });

  it('log action: only the mod-log', async () => {
    const { moderator, set, port } = await setup();
    await set('action', 'log');
    await set('mod-log-channel', 'log1');
    const p = port();
    await moderator.handlePost(post(), p);
    expect(p.kinds()).toEqual(['mod-log']);
  });

  it('mod-only explanations: no public reply', async () => {
    const { moderator, set, port } = await setup();
    await set('explanations', 'mod-only');
    const p = port();
    await moderator.handlePost(post(), p);
    expect(p.kinds()).toEqual(['react']);
  });

  it('delete action: deletes, tells the poster, logs; a refused delete is reported in the mod-log, not thrown', async () => {
    const { moderator, set, files, store } = await setup();
    await set('action', 'delete');
    await set('mod-log-channel', 'log1');
    const ok = new RecordingPort(files);
    await moderator.handlePost(post(), ok);
    expect(ok.kinds()).toEqual(['delete', 'reply', 'mod-log']);
    expect((ok.actions[1] as Extract<ModAction, { kind: 'reply' }>).audience).toBe('author');

    const refused = new RecordingPort(files, { delete: { ok: false, code: 'PERMISSION_DENIED', message: 'Missing Permissions' } });
    const out = await moderator.handlePost(post({ messageId: 'm2', images: [{ url: 'cdn/red2.png' }] }), refused);
    expect(refused.kinds()).toEqual(['delete', 'react', 'mod-log']);
    const log = refused.actions[2] as Extract<ModAction, { kind: 'mod-log' }>;
    expect(log.entry.actionTaken).toContain('delete failed: missing permission');
    expect((await store.getJudgement(out.judged[0]!.judgementId))!.actionTaken).toContain('delete failed: missing permission');
  });

  it('a corrupt image, a huge declared size and a failed download are reported and recorded, never thrown', async () => {
    const { moderator, set, port, store } = await setup();
    await set('mod-log-channel', 'log1');
    const p = port();
    const out = await moderator.handlePost(
      post({ images: [{ url: 'cdn/corrupt.png', name: 'bad.png' }, { url: 'cdn/big.png', declaredSize: 25 * 1024 * 1024 }, { url: 'cdn/missing.png' }, { url: 'cdn/grey.png' }] }),
      p,
    );
    expect(out.failed.map((f) => f.code).sort()).toEqual(['CORRUPT_IMAGE', 'DOWNLOAD_FAILED', 'IMAGE_TOO_LARGE']);
    expect(out.judged).toHaveLength(1);
    // the declared size refusal happened before any download
    expect(p.downloads.map((d) => d.url)).not.toContain('cdn/big.png');
    const notes = p.actions.filter((a) => a.kind === 'mod-note') as Extract<ModAction, { kind: 'mod-note' }>[];
    expect(notes).toHaveLength(3);
    expect(notes.some((n) => n.text.includes('"bad.png"') && n.text.includes('cannot be decoded'))).toBe(true);
    // the poster is told too, through the neutral reply action (public by default)
    const replies = p.actions.filter((a) => a.kind === 'reply') as Extract<ModAction, { kind: 'reply' }>[];
    const errorReplies = replies.filter((r) => r.message.kind === 'error');
    expect(errorReplies).toHaveLength(3);
    expect(errorReplies.every((r) => r.audience === 'channel' && r.userId === post().authorId)).toBe(true);
    expect(errorReplies.some((r) => r.message.text.includes('“bad.png”') && r.message.text.includes('cannot be decoded'))).toBe(true);
    const rows = await store.listJudgements(ws);
    expect(rows.map((r) => r.errorCode).sort()).toEqual(['CORRUPT_IMAGE', 'DOWNLOAD_FAILED', 'IMAGE_TOO_LARGE', null]);
  });

  it('an edit re-sending an already judged image of the message does not judge it again', async () => {
    const { moderator, port, store } = await setup();
    await moderator.handlePost(post(), port());
    const out = await moderator.handlePost(post({ edited: true, images: [{ url: 'cdn/red.png' }, { url: 'cdn/grey.png' }] }), port());
    expect(out.judged.map((j) => j.index)).toEqual([1]);
    expect(await store.countJudgements(ws)).toBe(2);
  });

  it('judges a burst of posts concurrently and loses none', async () => {
    const { moderator, port, store } = await setup();
    const p = port();
    const outs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => moderator.handlePost(post({ messageId: `m${i}`, images: [{ url: i % 2 ? 'cdn/red.png' : 'cdn/grey.png' }] }), p)),
    );
    expect(outs.every((o) => o.judged.length === 1)).toBe(true);
    expect(await store.countJudgements(ws)).toBe(40);
  });
});

describe('Moderator: reviews', () => {
  it('stores confirm / not hateful / delete with who, deletes on request, and counts the false-positive rate', async () => {
    const { moderator, port, files, store } = await setup();
    const a = (await moderator.handlePost(post(), port())).judged[0]!.judgementId;
    const b = (await moderator.handlePost(post({ messageId: 'm2', images: [{ url: 'cdn/red2.png' }] }), port())).judged[0]!.judgementId;
    const mod: Requester = { ...member, userId: 'mod1', isModerator: true };
    expect((await moderator.handleReview({ requester: mod, judgementId: a, decision: 'confirm' }, port())).text).toContain('confirmed');
    expect((await moderator.handleReview({ requester: mod, judgementId: b, decision: 'not_hateful' }, port())).text).toContain('not hateful');
    const refused = new RecordingPort(files, { delete: { ok: false, code: 'PERMISSION_DENIED', message: 'Missing Permissions' } });
    const r = await moderator.handleReview({ requester: admin, judgementId: a, decision: 'delete' }, refused);
    expect(refused.actions).toEqual([{ kind: 'delete', channelId: 'c1', messageId: 'm1' }]);
    expect(r.text).toContain('missing permission');
    expect((await store.listReviews(a)).map((x) => [x.reviewerId, x.decision])).toEqual([
      ['mod1', 'confirm'],
      ['admin', 'delete'],
    ]);
    expect(await moderator.reviewStats(ws)).toEqual({ flagged: 2, confirmed: 1, overturned: 1, falsePositiveRate: 0.5 });
    const shown = await moderator.handleCommand({ command: 'config-show', requester: admin }, port());
    expect(shown.text).toContain('flags: 2 · reviewed: 1 confirmed, 1 overturned · false-positive rate: 50.0%');
  });

  it('refuses members and unknown or foreign judgements', async () => {
    const { moderator, port } = await setup();
    const a = (await moderator.handlePost(post(), port())).judged[0]!.judgementId;
    expect(await moderator.handleReview({ requester: member, judgementId: a, decision: 'confirm' }, port())).toMatchObject({ kind: 'error', code: 'PERMISSION_DENIED' });
    expect(await moderator.handleReview({ requester: admin, judgementId: 999, decision: 'confirm' }, port())).toMatchObject({ kind: 'error', code: 'BAD_INPUT' });
    expect(await moderator.handleReview({ requester: { ...admin, workspaceId: 'g2' }, judgementId: a, decision: 'confirm' }, port())).toMatchObject({ kind: 'error', code: 'BAD_INPUT' });
  });
});

describe('Moderator: commands', () => {
  it('check answers a verdict and an explanation; a corrupt image gets a clear error', async () => {
    const { moderator, port, engine } = await setup();
    const ok = await moderator.handleCommand({ command: 'check', requester: member, image: { url: 'cdn/red.png' } }, port());
    // /check always explains; posts get word effects only when flagged (they cost more than the verdict)
    expect(engine.explainArgs).toEqual([true]);
    await moderator.handlePost(post({ images: [{ url: 'cdn/grey.png' }] }), port());
    expect(engine.explainArgs).toEqual([true, 'hateful']);
    expect(ok.kind).toBe('verdict');
    expect(ok.text).toMatch(/^Hateful — score/);
    const bad = await moderator.handleCommand({ command: 'check', requester: member, image: { url: 'cdn/corrupt.png' } }, port());
    expect(bad).toMatchObject({ kind: 'error', code: 'CORRUPT_IMAGE' });
    expect(bad.text).not.toContain('\n');
  });

  it('config show/set is admin only and validated', async () => {
    const { moderator, port } = await setup();
    expect(await moderator.handleCommand({ command: 'config-show', requester: member }, port())).toMatchObject({ kind: 'error', code: 'PERMISSION_DENIED' });
    expect(await moderator.handleCommand({ command: 'config-set', requester: member, key: 'threshold', value: '0.9' }, port())).toMatchObject({ kind: 'error', code: 'PERMISSION_DENIED' });
    expect(await moderator.handleCommand({ command: 'config-set', requester: admin, key: 'threshold', value: '9' }, port())).toMatchObject({ kind: 'error', code: 'BAD_INPUT' });
    const set = await moderator.handleCommand({ command: 'config-set', requester: admin, key: 'threshold', value: '0.9' }, port());
    expect(set.kind === 'config' && set.settings.threshold).toBe(0.9);
    const shown = await moderator.handleCommand({ command: 'config-show', requester: admin }, port());
    expect(shown.text).toContain('threshold: 0.9');
  });

  it('a changed threshold applies to repeat images too (recorded scores, new decision)', async () => {
    const { moderator, port, engine, set } = await setup();
    expect((await moderator.handlePost(post(), port())).judged[0]!.verdict.verdict).toBe('hateful');
    await set('threshold', '0.99');
    const again = await moderator.handlePost(post({ messageId: 'm2' }), port());
    expect(engine.calls).toBe(1);
    expect(again.judged[0]!.verdict).toMatchObject({ verdict: 'not_hateful', cached: true, threshold: 0.99 });
  });

  it('evaluate: admin only, progress, one run at a time, cancellable, recorded', async () => {
    let release: () => void = () => {};
    const runner: EvaluationRunner = async ({ onProgress, signal, limit, split }) => {
      const total = limit ?? 20;
      for (let i = 1; i <= total; i++) {
        if (signal.aborted) throw new Error('aborted');
        onProgress(i, total);
        if (i === 5) await new Promise<void>((r) => (release = r));
      }
      return { split: split ?? 'dev_seen', table: 'rule | auroc\nfused | 0.6', rocPng: new Uint8Array([0x89, 0x50]), summary: { auroc: 0.6 } };
    };
    const { moderator, port, store } = await setup({ evaluate: runner, evalDataDir: '/data' });
    expect(await moderator.handleCommand({ command: 'evaluate', requester: member }, port())).toMatchObject({ kind: 'error', code: 'PERMISSION_DENIED' });

    const progress: string[] = [];
    const first = moderator.handleCommand({ command: 'evaluate', requester: admin, split: 'dev', limit: 10 }, { ...port(), download: async () => new Uint8Array(), perform: async () => ({ ok: true }), progress: async (r) => void progress.push(r.text) });
    await new Promise((r) => setTimeout(r, 20));
    expect(moderator.evaluationRunning).toBe(true);
    expect(await moderator.handleCommand({ command: 'evaluate', requester: admin }, port())).toMatchObject({ kind: 'error', code: 'USAGE' });
    release();
    const report = await first;
    expect(report).toMatchObject({ kind: 'report', table: expect.stringContaining('fused'), rocName: 'roc-dev.png' });
    expect(progress[0]).toBe('Evaluating dev: 1/10 (10%)');
    expect(progress.at(-1)).toBe('Evaluating dev: 10/10 (100%)');
    expect(await store.getEvaluationRun(1)).toMatchObject({ status: 'done', split: 'dev', limit: 10 });

    const second = moderator.handleCommand({ command: 'evaluate', requester: admin }, port());
    await new Promise((r) => setTimeout(r, 20));
    expect(await moderator.handleCommand({ command: 'evaluate-cancel', requester: admin }, port())).toMatchObject({ kind: 'info' });
    release();
    expect(await second).toMatchObject({ kind: 'error', code: 'CANCELLED' });
    expect(await store.getEvaluationRun(2)).toMatchObject({ status: 'cancelled' });
    expect(moderator.evaluationRunning).toBe(false);
  });

  it('evaluate without a data folder says which variable to set', async () => {
    const { moderator, port } = await setup({ evaluate: async () => ({ split: 'dev', table: '', summary: null }) });
    const r = await moderator.handleCommand({ command: 'evaluate', requester: admin }, port());
    expect(r).toMatchObject({ kind: 'error', code: 'USAGE' });
    expect(r.text).toContain('MEMEGUARD_EVAL_DATA');
  });

  it('drain waits for judgements in flight and then refuses new posts', async () => {
    const { moderator, port, store } = await setup();
    const inflight = Promise.all(Array.from({ length: 6 }, (_, i) => moderator.handlePost(post({ messageId: `d${i}` }), port())));
    await moderator.drain();
    expect(await store.countJudgements(ws)).toBe(6);
    await inflight;
    expect((await moderator.handlePost(post({ messageId: 'late' }), port())).skipped).toBe('shutting down');
  });
});
