/**
 * The real bolt App on the HTTP Events API, against the fake Slack, with the real engine on a tiny pack:
 * signed requests only; image posts flagged with a reaction and a mod-log entry; review buttons; /check,
 * the "Check meme" shortcut, /evaluate (admins only) and /memeguard-config; corrupt and oversized files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETE_NEEDS_ADMIN_TOKEN } from '../../../src/adapters/slack/blocks.js';
import {
  ADMIN,
  buttonClick,
  buttonsOf,
  checkMemeShortcut,
  createCore,
  GENERAL,
  LISTED,
  MEMBER,
  messageEvent,
  MODS,
  POSTER,
  postSigned,
  slashCommand,
  startWorld,
  TEAM,
  textOf,
  type Core,
  type World,
} from './world.js';

let core: Core;
let world: World;

beforeAll(async () => {
  core = await createCore();
  world = await startWorld(core, { transport: 'http' });
});

afterAll(async () => {
  await world?.stop();
  await core?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const interactive = (payload: object) => form({ payload: JSON.stringify(payload) });

async function command(text: string, name: string, user: string, channel = GENERAL) {
  const cmd = slashCommand(world.fake, name, text, user, channel);
  const res = await postSigned(world.eventsUrl!, form(cmd.fields), { contentType: 'application/x-www-form-urlencoded' });
  return { id: cmd.id, res };
}

async function configure(text: string): Promise<string> {
  const { id, res } = await command(text, '/memeguard-config', ADMIN);
  expect(res.status).toBe(200);
  return textOf(await world.fake.waitForResponse(id));
}

describe('Slack over HTTP: request verification', () => {
  it('answers the url_verification challenge', async () => {
    const body = JSON.stringify({ type: 'url_verification', token: 't', challenge: 'chal-123' });
    const res = await postSigned(world.eventsUrl!, body, { contentType: 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('chal-123');
  });

  it('rejects unsigned, wrongly signed and stale requests, and acts on none of them', async () => {
    const file = world.fake.addFile({ name: 'meme.png', mimetype: 'image/png', bytes: core.memes[0]! });
    const body = JSON.stringify(messageEvent(GENERAL, POSTER, '1700000100.000100', [file]));
    const before = world.fake.calls.length;
    const unsigned = await postSigned(world.eventsUrl!, body, { contentType: 'application/json', secret: null });
    const wrong = await postSigned(world.eventsUrl!, body, { contentType: 'application/json', secret: 'not-the-secret' });
    const stale = await postSigned(world.eventsUrl!, body, { contentType: 'application/json', timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([unsigned.status, wrong.status, stale.status]).toEqual([401, 401, 401]);
    await new Promise((r) => setTimeout(r, 300));
    expect(world.fake.calls.length).toBe(before);
    expect(world.fake.downloads.filter((d) => d.fileId === file.id)).toEqual([]);
  });

  it('rejects a signed slash command whose body was altered', async () => {
    const cmd = slashCommand(world.fake, '/memeguard-config', 'show', ADMIN);
    const ts = Math.floor(Date.now() / 1000);
    const { slackSignature, SIGNING_SECRET } = await import('./world.js');
    const signature = slackSignature(SIGNING_SECRET, ts, form(cmd.fields));
    const res = await fetch(world.eventsUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signature },
      body: form({ ...cmd.fields, text: 'set threshold 0' }),
    });
    expect(res.status).toBe(401);
  });
});

describe('Slack over HTTP: settings and image posts', () => {
  it('lets an admin set the mod-log channel (a channel mention) and refuses a member', async () => {
    expect(await configure(`set mod-log-channel <#${MODS}|mods>`)).toContain(MODS);
    const { id } = await command('set threshold 0.9', '/memeguard-config', MEMBER);
    expect(textOf(await world.fake.waitForResponse(id))).toMatch(/only .*administrators/i);
    const settings = await core.moderator.getSettings({ platform: 'slack', workspaceId: TEAM });
    expect(settings.modLogChannel).toBe(MODS);
    expect(settings.threshold).toBeNull();
  });

  it('downloads an image post with the bot token, reacts, and posts a mod-log entry with review buttons (no Delete without an admin token)', async () => {
    // Threshold 0: every scored meme is hateful, so the whole flag flow runs on the real engine.
    await configure('set threshold 0');
    const file = world.fake.addFile({ name: 'meme.png', mimetype: 'image/png', bytes: core.memes[0]!, user: POSTER });
    const posted = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [file] });
    const res = await postSigned(world.eventsUrl!, JSON.stringify(messageEvent(GENERAL, POSTER, posted.ts, [file])), { contentType: 'application/json' });
    expect(res.status).toBe(200);

    const modLog = await world.fake.waitForCall('chat.postMessage', (c) => c.args.channel === MODS);
    expect(world.fake.downloads).toContainEqual({ fileId: file.id, authorized: true });
    const reaction = await world.fake.waitForCall('reactions.add');
    expect(reaction.args).toMatchObject({ channel: GENERAL, timestamp: posted.ts, name: 'warning' });
    // explanations are public by default: the reason goes in the thread
    const reply = await world.fake.waitForCall('chat.postMessage', (c) => c.args.channel === GENERAL && c.args.thread_ts === posted.ts);
    expect(textOf(reply.args)).toMatch(/hateful/i);

    const buttons = buttonsOf(modLog.args.blocks);
    expect(buttons.map((b) => b.text)).toEqual(['Confirm', 'Not hateful']);
    expect(buttons[0]!.action_id).toMatch(/^mg:review:confirm:\d+$/);
    const judgementId = Number(buttons[0]!.value);
    expect(buttons[0]!.action_id).toBe(`mg:review:confirm:${judgementId}`);
    expect(textOf(modLog.args)).toContain(DELETE_NEEDS_ADMIN_TOKEN);
    expect(textOf(modLog.args)).toContain(`<@${POSTER}>`);
    const judgement = await core.store.getJudgement(judgementId);
    expect(judgement).toMatchObject({ platform: 'slack', workspaceId: TEAM, channelId: GENERAL, messageId: posted.ts, authorId: POSTER, verdict: 'hateful' });

    // A moderator clicks "Not hateful" in the mod-log channel: stored as a review, the entry shows who decided.
    const modMessage = world.fake.messages.find((m) => m.channel === MODS && m.ts === modLog.result?.ts)!;
    const click = buttonClick(world.fake, MEMBER, MODS, { ts: modMessage.ts, blocks: modMessage.blocks }, buttons[1]!);
    const clicked = await postSigned(world.eventsUrl!, interactive(click.payload), { contentType: 'application/x-www-form-urlencoded' });
    expect(clicked.status).toBe(200);
    expect(textOf(await world.fake.waitForResponse(click.id))).toMatch(/not hateful/i);
    const reviews = await core.store.listReviews(judgementId);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ decision: 'not_hateful', reviewerId: MEMBER });
    const update = await world.fake.waitForCall('chat.update', (c) => c.args.channel === MODS && c.args.ts === modMessage.ts);
    expect(buttonsOf(update.args.blocks)).toEqual([]);
    expect(textOf(update.args)).toContain(`<@${MEMBER}>`);
  });

  it('answers a post inside a thread under the thread’s parent, and links to it in the mod-log', async () => {
    const parent = world.fake.addMessage({ channel: GENERAL, user: MEMBER, text: 'post your memes here' });
    const file = world.fake.addFile({ name: 'in-thread.png', mimetype: 'image/png', bytes: core.memes[3]!, user: POSTER });
    const reply = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [file], thread_ts: parent.ts });
    await postSigned(world.eventsUrl!, JSON.stringify(messageEvent(GENERAL, POSTER, reply.ts, [file], parent.ts)), { contentType: 'application/json' });
    const modLog = await world.fake.waitForCall('chat.postMessage', (c) => c.args.channel === MODS && textOf(c.args).includes(reply.ts.replace('.', '')));
    expect(textOf(modLog.args)).toContain(`thread_ts=${parent.ts}`);
    const explained = await world.fake.waitForCall('chat.postMessage', (c) => c.args.channel === GENERAL && c.args.thread_ts === parent.ts);
    expect(textOf(explained.args)).toMatch(/hateful/i);
    expect((await world.fake.waitForCall('reactions.add', (c) => c.args.timestamp === reply.ts)).args.channel).toBe(GENERAL);
  });

  it('refuses a review click from outside the mod-log channel by a non-admin', async () => {
    const before = (await core.store.listReviews(1)).length;
    const click = buttonClick(world.fake, MEMBER, GENERAL, { ts: '1700000000.000001' }, { action_id: 'mg:review:confirm:1', value: '1' });
    await postSigned(world.eventsUrl!, interactive(click.payload), { contentType: 'application/x-www-form-urlencoded' });
    expect(textOf(await world.fake.waitForResponse(click.id))).toMatch(/only moderators/i);
    expect(await core.store.listReviews(1)).toHaveLength(before);
  });

  it('answers a corrupt image in the thread and an oversized one from its declared size, without downloading it', async () => {
    const corrupt = world.fake.addFile({ name: 'broken.png', mimetype: 'image/png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]) });
    const huge = world.fake.addFile({ name: 'huge.png', mimetype: 'image/png', bytes: core.memes[1]!, declaredSize: 25_000_000 });
    const post = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [corrupt, huge] });
    await postSigned(world.eventsUrl!, JSON.stringify(messageEvent(GENERAL, POSTER, post.ts, [corrupt, huge])), { contentType: 'application/json' });
    const corruptReply = await world.fake.waitForCall('chat.postMessage', (c) => c.args.thread_ts === post.ts && textOf(c.args).includes('broken.png'));
    expect(textOf(corruptReply.args)).toMatch(/could not check “broken\.png”/);
    const hugeReply = await world.fake.waitForCall('chat.postMessage', (c) => c.args.thread_ts === post.ts && textOf(c.args).includes('huge.png'));
    expect(textOf(hugeReply.args)).toMatch(/MB; the limit is/);
    expect(world.fake.downloads.some((d) => d.fileId === huge.id)).toBe(false);
  });

  it('tells the poster privately when explanations are mod-only', async () => {
    await configure('set explanations mod-only');
    const corrupt = world.fake.addFile({ name: 'garbage.jpg', mimetype: 'image/jpeg', bytes: new Uint8Array(64).fill(7) });
    const post = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [corrupt] });
    await postSigned(world.eventsUrl!, JSON.stringify(messageEvent(GENERAL, POSTER, post.ts, [corrupt])), { contentType: 'application/json' });
    const ephemeral = await world.fake.waitForCall('chat.postEphemeral', (c) => textOf(c.args).includes('garbage.jpg'));
    expect(ephemeral.args).toMatchObject({ channel: GENERAL, user: POSTER });
    await configure('set explanations public');
  });

  it('judges an event once when Slack redelivers it', async () => {
    const file = world.fake.addFile({ name: 'twice.png', mimetype: 'image/png', bytes: core.memes[2]!, user: POSTER });
    const post = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [file] });
    const body = JSON.stringify(messageEvent(GENERAL, POSTER, post.ts, [file]));
    await postSigned(world.eventsUrl!, body, { contentType: 'application/json' });
    await world.fake.waitForCall('reactions.add', (c) => c.args.timestamp === post.ts);
    const retry = await postSigned(world.eventsUrl!, body, { contentType: 'application/json' });
    expect(retry.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const judgements = await core.store.listJudgements({ platform: 'slack', workspaceId: TEAM }, { limit: 1000 });
    expect(judgements.filter((j) => j.messageId === post.ts)).toHaveLength(1);
    expect(world.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === MODS && textOf(c.args).includes(post.ts.replace('.', '')))).toHaveLength(1);
  });

  it('ignores files that are not images', async () => {
    const pdf = world.fake.addFile({ name: 'notes.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4') });
    const post = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [pdf] });
    const before = (await core.store.countJudgements({ platform: 'slack', workspaceId: TEAM }));
    const res = await postSigned(world.eventsUrl!, JSON.stringify(messageEvent(GENERAL, POSTER, post.ts, [pdf])), { contentType: 'application/json' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(world.fake.downloads.some((d) => d.fileId === pdf.id)).toBe(false);
    expect(await core.store.countJudgements({ platform: 'slack', workspaceId: TEAM })).toBe(before);
  });
});

describe('Slack over HTTP: commands and the shortcut', () => {
  it('/check with a file link answers privately with the verdict', async () => {
    await configure('set threshold default');
    const file = world.fake.addFile({ name: 'check.png', mimetype: 'image/png', bytes: core.memes[2]! });
    const { id, res } = await command(file.permalink, '/check', MEMBER);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Checking');
    const answer = await world.fake.waitForResponse(id, (b) => textOf(b).includes('score'));
    expect(answer.response_type).toBe('ephemeral');
    expect(textOf(answer)).toMatch(/hateful/i);
    expect((await world.fake.waitForCall('files.info')).args.file).toBe(file.id);
  });

  it('/check with a message permalink checks that message’s image', async () => {
    const file = world.fake.addFile({ name: 'linked.png', mimetype: 'image/png', bytes: core.memes[3]! });
    const posted = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [file] });
    const link = `https://fake.slack.com/archives/${GENERAL}/p${posted.ts.replace('.', '')}`;
    const { id } = await command(link, '/check', MEMBER);
    expect(textOf(await world.fake.waitForResponse(id, (b) => textOf(b).includes('score')))).toMatch(/threshold/);
    expect(world.fake.downloads).toContainEqual({ fileId: file.id, authorized: true });
  });

  it('/check refuses a non-image file and a link that is not Slack’s', async () => {
    const pdf = world.fake.addFile({ name: 'doc.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4') });
    const a = await command(pdf.id, '/check', MEMBER);
    expect(textOf(await world.fake.waitForResponse(a.id))).toMatch(/not an image/);
    const b = await command('https://example.com/cat.png', '/check', MEMBER);
    expect(textOf(await world.fake.waitForResponse(b.id))).toMatch(/not a Slack file or message link/);
  });

  it('the “Check meme” shortcut answers privately; a message without an image gets a clear answer', async () => {
    const file = world.fake.addFile({ name: 'shortcut.png', mimetype: 'image/png', bytes: core.memes[1]! });
    const sc = checkMemeShortcut(world.fake, MEMBER, GENERAL, { ts: '1700000200.000001', user: POSTER, files: [file] });
    const res = await postSigned(world.eventsUrl!, interactive(sc.payload), { contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    const answer = await world.fake.waitForResponse(sc.id, (b) => textOf(b).includes('score'));
    expect(answer.response_type).toBe('ephemeral');
    const empty = checkMemeShortcut(world.fake, MEMBER, GENERAL, { ts: '1700000200.000002', user: POSTER, files: [] });
    await postSigned(world.eventsUrl!, interactive(empty.payload), { contentType: 'application/x-www-form-urlencoded' });
    expect(textOf(await world.fake.waitForResponse(empty.id))).toMatch(/no file to check/);
  });

  it('/evaluate is refused to a member and posts nothing in the channel', async () => {
    const posts = world.fake.callsTo('chat.postMessage').length;
    const { id } = await command('dev 2', '/evaluate', MEMBER);
    expect(textOf(await world.fake.waitForResponse(id))).toMatch(/only .*administrators/i);
    expect(world.fake.callsTo('users.info').some((c) => c.args.user === MEMBER)).toBe(true);
    expect(world.fake.callsTo('chat.postMessage').length).toBe(posts);
  });

  it('/evaluate by a listed admin shows progress with chat.update, then the table and the ROC plot (files.uploadV2)', async () => {
    const { id } = await command('dev 4', '/evaluate', LISTED);
    const complete = await world.fake.waitForCall('files.completeUploadExternal', () => true, 120_000);
    const progress = world.fake.callsTo('chat.postMessage').find((c) => c.args.channel === GENERAL && textOf(c.args).includes('Evaluating'));
    expect(progress).toBeDefined();
    expect(buttonsOf(progress!.args.blocks).map((b) => b.action_id)).toEqual(['mg:evaluate:cancel']);
    const updates = world.fake.callsTo('chat.update').filter((c) => c.args.channel === GENERAL);
    expect(updates.length).toBeGreaterThan(0);
    expect(textOf(updates.at(-1)!.args)).toMatch(/AUROC/);
    const files = complete.args.files as { id: string }[];
    const upload = world.fake.uploads.get(files[0]!.id)!;
    expect(upload.filename).toBe('roc-dev.png');
    expect(upload.bytes!.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(complete.args.channel_id).toBe(GENERAL);
    expect(world.fake.responses.filter((r) => r.id === id).every((r) => !textOf(r.body).includes('only'))).toBe(true);
  });

  it('/evaluate from a channel the bot is not in answers the requester privately, and cancel says when nothing runs', async () => {
    world.fake.channelsWithoutBot.add('CNOBOT');
    const { id } = await command('dev 2', '/evaluate', ADMIN, 'CNOBOT');
    const report = await world.fake.waitForResponse(id, (b) => textOf(b).includes('AUROC'), 120_000);
    expect(report.response_type).toBe('ephemeral');
    expect(world.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === 'CNOBOT').every((c) => c.error === 'not_in_channel')).toBe(true);
    const cancel = await command('cancel', '/evaluate', ADMIN);
    expect(textOf(await world.fake.waitForResponse(cancel.id))).toMatch(/No evaluation is running/);
  });

  it('/memeguard-config show answers an admin and usage errors are clear', async () => {
    expect(await configure('show')).toMatch(/threshold/);
    expect(await configure('set colour blue')).toMatch(/unknown setting/);
  });
});
