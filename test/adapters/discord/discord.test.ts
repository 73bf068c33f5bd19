/**
 * The real discord.js client, the real engine on a tiny generated pack, the real store, against the fake Discord.
 * Each test asserts what the bot sent over the wire. Tests run in order on one connected bot.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL_EVALUATION_ID, parseReviewId } from '../../../src/bot/review-ids.js';
import { renderMeme } from '../../../src/synth/memes.js';
import { PERMISSIONS, snowflake, type FakeUser, type RecordedRequest } from './fake-discord.js';
import { startWorld, type DiscordWorld } from './world.js';

let w: DiscordWorld;
const alice: FakeUser = { id: snowflake(), username: 'alice' };
const admin: FakeUser = { id: snowflake(), username: 'admin' };
const mod: FakeUser = { id: snowflake(), username: 'mod' };

beforeAll(async () => {
  w = await startWorld({ evalItems: 6 });
});
afterAll(async () => w?.close());

const ws = () => ({ platform: 'discord', workspaceId: w.fake.guildId });

async function meme(seed: number, caption = `meme number ${seed}`): Promise<Buffer> {
  return renderMeme({ caption, style: 'plain', width: 120, seed });
}

/** Poll the store until the message has `n` judgements. */
async function judgementsOf(messageId: string, n = 1, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await w.store.listJudgements(ws())).filter((j) => j.messageId === messageId);
    if (rows.length >= n) return rows;
    if (Date.now() > deadline) throw new Error(`message ${messageId}: ${rows.length} of ${n} judgements`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Poll a judgement until its recorded action is final (the row is written before the actions run). */
async function settled(id: number) {
  for (let i = 0; i < 400; i++) {
    const j = await w.store.getJudgement(id);
    if (j && j.actionTaken !== 'pending') return j;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`judgement ${id} never settled`);
}

/** Run `/memeguard config set` as an administrator and wait for the answer. */
async function configSet(key: string, value: string): Promise<RecordedRequest> {
  const i = w.fake.configCommand(admin, PERMISSIONS.administrator, 'set', key, value);
  return w.fake.waitForEdit(i);
}

const isPost = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages`;

describe('start-up', () => {
  it('identifies with the intents it needs, answers heartbeats, and registers its commands in the guild', async () => {
    expect(w.fake.identifies).toHaveLength(1);
    const intents = w.fake.identifies[0].intents as number;
    expect(intents & 1).toBe(1); // Guilds
    expect(intents & 512).toBe(512); // GuildMessages
    expect(intents & 32768).toBe(32768); // MessageContent
    const reg = w.fake.find('PUT', /commands$/);
    expect(reg).toHaveLength(1);
    expect(reg[0]!.path).toBe(`/applications/${w.fake.applicationId}/guilds/${w.fake.guildId}/commands`);
    const byName = Object.fromEntries((reg[0]!.body as any[]).map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['Check meme', 'check', 'evaluate', 'memeguard']);
    expect(byName['Check meme'].type).toBe(3);
    expect(byName.check.options[0]).toMatchObject({ name: 'image', type: 11, required: true });
    expect(byName.evaluate.default_member_permissions).toBe('8');
    expect(byName.evaluate.options.map((o: any) => o.name)).toEqual(['split', 'limit']);
    expect(byName.memeguard.default_member_permissions).toBe('8');
    expect(byName.memeguard.options[0].options.map((o: any) => o.name)).toEqual(['show', 'set']);
    const deadline = Date.now() + 10_000;
    while (w.fake.heartbeats === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(w.fake.heartbeats).toBeGreaterThan(0);
    expect(w.fake.gatewayEvents.some((e) => e.op === 11)).toBe(true);
  });
});

describe('/memeguard config', () => {
  it('refuses members and sets values for administrators (deferred, ephemeral)', async () => {
    const denied = w.fake.configCommand(alice, PERMISSIONS.none, 'set', 'threshold', '0');
    const deniedEdit = await w.fake.waitForEdit(denied);
    expect(deniedEdit.body.content).toBe('❌ only administrators can change the settings');
    const callback = w.fake.interactionRequests(denied).find((r) => r.path.endsWith('/callback'))!;
    expect(callback.body).toMatchObject({ type: 5, data: { flags: 64 } });

    const bad = await configSet('threshold', '7');
    expect(bad.body.content).toMatch(/^❌ invalid value for threshold/);

    // threshold 0: every judged meme counts as hateful, so the actions below are deterministic
    const ok = await configSet('threshold', '0');
    expect(ok.body.content).toContain('threshold: 0');
    await configSet('mod-log-channel', `<#${w.fake.channels.modLog}>`);
    const shown = await w.fake.waitForEdit(w.fake.configCommand(admin, PERMISSIONS.administrator, 'show'));
    expect(shown.body.content).toContain(`mod-log-channel: ${w.fake.channels.modLog}`);
    expect(shown.body.content).toContain('action: flag');
  });
});

describe('image posts', () => {
  let firstJudgement = 0;
  let modLogMessage: any;
  let flaggedMessageId = '';

  it('flags a hateful meme: ⚠️ reaction, an explaining reply, a mod-log embed with review buttons, an audit row', async () => {
    const att = w.fake.addAttachment('first.png', await meme(1, 'go back where you came from'));
    const msg = w.fake.postMessage(alice, { attachments: [att] });
    flaggedMessageId = msg.id;
    const reaction = await w.fake.waitFor((r) => r.method === 'PUT' && r.path === `/channels/${msg.channel_id}/messages/${msg.id}/reactions/${encodeURIComponent('⚠️')}/@me`);
    expect(reaction.status).toBe(204);
    const reply = await w.fake.waitFor((r) => isPost(w.fake.channels.memes)(r) && r.body?.message_reference?.message_id === msg.id);
    expect(reply.body.content).toContain('memeguard flagged this image');
    expect(reply.body.allowed_mentions).toEqual({ parse: [] });
    const log = await w.fake.waitFor((r) => isPost(w.fake.channels.modLog)(r) && JSON.stringify(r.body).includes(msg.id));
    const embed = log.body.embeds[0];
    expect(embed.url).toBe(`https://discord.com/channels/${w.fake.guildId}/${msg.channel_id}/${msg.id}`);
    expect(embed.fields.map((f: any) => f.name)).toEqual(expect.arrayContaining(['Verdict', 'Text', 'Image', 'Caption (ocr)', 'Action']));
    expect(embed.fields.find((f: any) => f.name === 'Action').value).toBe('reacted, replied');
    const buttons = log.body.components[0].components;
    expect(buttons.map((b: any) => b.label)).toEqual(['Confirm', 'Not hateful', 'Delete']);
    const ids = buttons.map((b: any) => parseReviewId(b.custom_id));
    const row = await settled((await judgementsOf(msg.id))[0]!.id);
    expect(ids.map((x: any) => x.judgementId)).toEqual([row!.id, row!.id, row!.id]);
    expect(row).toMatchObject({ verdict: 'hateful', channelId: msg.channel_id, authorId: alice.id, captionSource: 'ocr', cachedFrom: null, actionTaken: 'reacted, replied' });
    expect(row!.caption!.toLowerCase()).toContain('where');
    expect(row!.imageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.phash).toMatch(/^[0-9a-f]{16}$/);
    firstJudgement = row!.id;
    modLogMessage = { id: snowflake(), channel_id: w.fake.channels.modLog, embeds: log.body.embeds, components: log.body.components };
  });

  it('reuses the recorded verdict for the same image posted again: no model call', async () => {
    const before = w.analyzeCalls();
    const att = w.fake.addAttachment('again.png', await meme(1, 'go back where you came from'));
    const msg = w.fake.postMessage(alice, { attachments: [att] });
    const [row] = await judgementsOf(msg.id);
    await w.fake.waitFor((r) => isPost(w.fake.channels.modLog)(r) && JSON.stringify(r.body).includes(msg.id));
    expect(row!.cachedFrom).toBe(firstJudgement);
    expect(row!.verdict).toBe('hateful');
    expect(w.analyzeCalls()).toBe(before);
  });

  it('stores review button clicks with who clicked; refuses members; Delete deletes the message', async () => {
    const confirm = w.fake.clickButton(mod, PERMISSIONS.manageMessages, modLogMessage.components[0].components[0].custom_id, modLogMessage);
    expect((await w.fake.waitForEdit(confirm)).body.content).toContain(`Flag #${firstJudgement} confirmed as hateful by <@${mod.id}>`);
    const marked = await w.fake.waitFor((r) => r.method === 'PATCH' && r.path === `/channels/${w.fake.channels.modLog}/messages/${modLogMessage.id}`);
    expect(marked.body.embeds[0].fields.find((f: any) => f.name === 'Review').value).toContain('confirmed as hateful');
    expect(marked.body.embeds[0].fields.filter((f: any) => f.name === 'Verdict')).toHaveLength(1);
    const denied = w.fake.clickButton(alice, PERMISSIONS.none, modLogMessage.components[0].components[1].custom_id, modLogMessage);
    expect((await w.fake.waitForEdit(denied)).body.content).toBe('❌ only moderators can review flags');
    const del = w.fake.clickButton(admin, PERMISSIONS.administrator, modLogMessage.components[0].components[2].custom_id, modLogMessage);
    expect((await w.fake.waitForEdit(del)).body.content).toContain('Deleted message');
    expect(w.fake.find('DELETE', new RegExp(`/messages/${flaggedMessageId}$`))).toHaveLength(1);
    const reviews = await w.store.listReviews(firstJudgement);
    expect(reviews.map((r) => [r.reviewerId, r.decision])).toEqual([
      [mod.id, 'confirm'],
      [admin.id, 'delete'],
    ]);
    expect(await w.moderator.reviewStats(ws())).toMatchObject({ confirmed: 1, overturned: 0 });
  });

  it('delete action: deletes and tells the poster by DM; a 403 is reported in the mod-log and the bot keeps going', async () => {
    await configSet('action', 'delete');
    const ok = w.fake.postMessage(alice, { attachments: [w.fake.addAttachment('del.png', await meme(2))] });
    await w.fake.waitFor((r) => r.method === 'DELETE' && r.path.endsWith(`/messages/${ok.id}`));
    await w.fake.waitFor((r) => r.method === 'POST' && r.path === '/users/@me/channels' && r.body.recipient_id === alice.id);
    const dm = await w.fake.waitFor((r) => isPost(`dm-${alice.id}`)(r));
    expect(dm.body.content).toContain('Your image was removed');

    const deniedId = snowflake();
    w.fake.denyDelete.add(deniedId);
    w.fake.postMessage(alice, { id: deniedId, attachments: [w.fake.addAttachment('keep.png', await meme(3))] });
    const del = await w.fake.waitFor((r) => r.method === 'DELETE' && r.path.endsWith(`/messages/${deniedId}`));
    expect(del.status).toBe(403);
    const log = await w.fake.waitFor((r) => isPost(w.fake.channels.modLog)(r) && JSON.stringify(r.body).includes(deniedId));
    const action = log.body.embeds[0].fields.find((f: any) => f.name === 'Action').value;
    expect(action).toContain('delete failed: missing permission');
    await w.fake.waitFor((r) => r.method === 'PUT' && r.path.includes(`/messages/${deniedId}/reactions/`));
    const row = await settled((await judgementsOf(deniedId))[0]!.id);
    expect(row.actionTaken).toContain('delete failed: missing permission');
    await configSet('action', 'flag');
  });

  it('a 429 with retry_after is waited out and the request retried', async () => {
    w.fake.rateLimitNext('PUT', /\/reactions\//, 0.3);
    const msg = w.fake.postMessage(alice, { attachments: [w.fake.addAttachment('rl.png', await meme(4))] });
    const route = `/channels/${msg.channel_id}/messages/${msg.id}/reactions/${encodeURIComponent('⚠️')}/@me`;
    const tries = await w.fake.waitForCount((r) => r.method === 'PUT' && r.path === route, 2);
    expect(tries.map((t) => t.status)).toEqual([429, 204]);
  });

  it('refuses an attachment declared over 20 MB without downloading it, and says so in the mod-log', async () => {
    const att = w.fake.addAttachment('huge.png', await meme(5), { declaredSize: 25 * 1024 * 1024 });
    const msg = w.fake.postMessage(alice, { attachments: [att] });
    const note = await w.fake.waitFor((r) => isPost(w.fake.channels.modLog)(r) && String(r.body.content ?? '').includes('huge.png'));
    expect(note.body.content).toMatch(/25\.0 MB; the limit is 20 MB/);
    const [row] = await judgementsOf(msg.id);
    expect(row!.errorCode).toBe('IMAGE_TOO_LARGE');
    expect(w.fake.cdnRequests().some((p) => p.includes('huge.png'))).toBe(false);
  });

  it('ignores bots, and judges an edit only when it changes the image', async () => {
    const bot: FakeUser = { id: snowflake(), username: 'otherbot', bot: true };
    const fromBot = w.fake.postMessage(bot, { attachments: [w.fake.addAttachment('bot.png', await meme(6))] });
    const msg = w.fake.postMessage(alice, { attachments: [w.fake.addAttachment('v1.png', await meme(7))] });
    await judgementsOf(msg.id, 1);
    w.fake.editMessage(msg, msg.attachments); // same image: nothing new
    w.fake.editMessage(msg, [w.fake.addAttachment('v2.png', await meme(8))]);
    const rows = await judgementsOf(msg.id, 2);
    expect(rows).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));
    expect((await w.store.listJudgements(ws())).filter((j) => j.messageId === msg.id)).toHaveLength(2);
    expect((await w.store.listJudgements(ws())).filter((j) => j.messageId === fromBot.id)).toHaveLength(0);
  });
  it('judges image embeds through Discord\'s media proxy, and refuses an embed outside the CDN', async () => {
    const att = w.fake.addAttachment('embed.png', await meme(13));
    const viaProxy = w.fake.postMessage(alice, {
      content: 'https://example.com/funny.png',
      embeds: [{ type: 'image', url: 'https://example.com/funny.png', thumbnail: { url: 'https://example.com/funny.png', proxy_url: att.url, width: 120, height: 60 } }],
    });
    const [ok] = await judgementsOf(viaProxy.id);
    expect(ok!.errorCode).toBeNull();
    expect(w.fake.cdnRequests().some((p) => p.includes('embed.png'))).toBe(true);
    const outside = w.fake.postMessage(alice, { embeds: [{ type: 'rich', image: { url: 'https://example.com/other.png' } }] });
    const [refused] = await judgementsOf(outside.id);
    expect(refused!.errorCode).toBe('DOWNLOAD_FAILED');
    const note = await w.fake.waitFor((r) => isPost(w.fake.channels.modLog)(r) && String(r.body.content ?? '').includes(outside.id));
    expect(note.body.content).toContain("only Discord's CDN is allowed");
  });
});

describe('/check and "Check meme"', () => {
  it('answers /check with an ephemeral verdict embed', async () => {
    const i = w.fake.checkCommand(alice, w.fake.addAttachment('check.png', await meme(9, 'hello there friends')));
    const edit = await w.fake.waitForEdit(i);
    const callback = w.fake.interactionRequests(i).find((r) => r.path.endsWith('/callback'))!;
    expect(callback.body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(edit.body.content).toMatch(/^Hateful — score/); // threshold 0
    expect(edit.body.embeds[0].fields.find((f: any) => f.name === 'Verdict').value).toMatch(/^Hateful/);
  });

  it('answers a corrupt image clearly, in one line', async () => {
    const png = await meme(10);
    const i = w.fake.checkCommand(alice, w.fake.addAttachment('broken.png', png.subarray(0, 200)));
    const edit = await w.fake.waitForEdit(i);
    expect(edit.body.content).toMatch(/^❌ the PNG file is corrupt or truncated/);
    expect(edit.body.content).not.toContain('\n');
    const notImage = w.fake.checkCommand(alice, w.fake.addAttachment('notes.png', new TextEncoder().encode('just some text, not a picture')));
    expect((await w.fake.waitForEdit(notImage)).body.content).toBe('❌ the file is not an image (no known image signature)');
  });

  it('answers the "Check meme" context menu on a message', async () => {
    const msg = w.fake.messageObject(w.fake.channels.general, alice, { attachments: [w.fake.addAttachment('ctx.png', await meme(11))] });
    const i = w.fake.checkMemeCommand(alice, msg);
    const edit = await w.fake.waitForEdit(i);
    expect(edit.body.embeds[0].title).toBe('memeguard check');
    const none = w.fake.checkMemeCommand(alice, w.fake.messageObject(w.fake.channels.general, alice, { content: 'no picture' }));
    expect((await w.fake.waitForEdit(none)).body.content).toBe('❌ that message has no image to check');
  });
});

describe('/evaluate', () => {
  it('refuses a member at once (ephemeral), whatever the default permissions', async () => {
    const i = w.fake.slashCommand(alice, PERMISSIONS.none, 'evaluate', []);
    const cb = await w.fake.waitFor((r) => r.path === `/interactions/${i.id}/${i.token}/callback`);
    expect(cb.body).toMatchObject({ type: 4, data: { content: '❌ only server administrators can run an evaluation', flags: 64 } });
  });

  it('runs for an administrator: deferred, progress edits, then the table and the ROC plot as an attachment', async () => {
    const i = w.fake.slashCommand(admin, PERMISSIONS.administrator, 'evaluate', [{ name: 'split', type: 3, value: 'dev' }]);
    const final = await w.fake.waitForEdit(i, (r) => r.files.length > 0);
    const cb = w.fake.interactionRequests(i).find((r) => r.path.endsWith('/callback'))!;
    expect(cb.body).toMatchObject({ type: 5 });
    const progress = w.fake.interactionRequests(i).filter((r) => r.method === 'PATCH' && String(r.body?.content ?? '').startsWith('Evaluating dev'));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.body.components[0].components[0].custom_id).toBe(CANCEL_EVALUATION_ID);
    expect(final.files[0]!.name).toBe('roc-dev.png');
    expect(Buffer.from(final.files[0]!.bytes.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect((await sharp(final.files[0]!.bytes).metadata()).width).toBeGreaterThan(100);
    expect(final.body.embeds[0].title).toBe('Evaluation of dev');
    expect(final.body.embeds[0].description).toContain('seed-sum');
    expect(final.body.embeds[0].image.url).toBe('attachment://roc-dev.png');
    expect(final.body.components).toEqual([]);
  });

  it('runs one evaluation at a time and can be cancelled with the button', async () => {
    const first = w.fake.slashCommand(admin, PERMISSIONS.administrator, 'evaluate', [{ name: 'split', type: 3, value: 'slow' }]);
    await w.fake.waitForEdit(first, (r) => String(r.body?.content ?? '').startsWith('Evaluating slow'));
    const second = w.fake.slashCommand(admin, PERMISSIONS.administrator, 'evaluate', [{ name: 'limit', type: 4, value: 2 }]);
    expect((await w.fake.waitForEdit(second)).body.content).toMatch(/^❌ an evaluation is already running/);
    const cancel = w.fake.clickButton(admin, PERMISSIONS.administrator, CANCEL_EVALUATION_ID, { channel_id: w.fake.channels.memes });
    expect((await w.fake.waitForEdit(cancel)).body.content).toBe('Cancelling the evaluation…');
    const last = await w.fake.waitForEdit(first, (r) => String(r.body?.content ?? '').startsWith('❌'));
    expect(last.body.content).toBe('❌ the evaluation was cancelled');
  });
});

describe('load', () => {
  it('judges and records a burst of 100 image posts, losing none', async () => {
    await configSet('mod-log-channel', 'none');
    const before = await w.store.countJudgements(ws());
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const raw = Buffer.alloc(40 * 40 * 3);
      for (let p = 0; p < raw.length; p++) raw[p] = (p * 31 + i * 97 + ((p * i) % 13)) & 255;
      const png = await sharp(raw, { raw: { width: 40, height: 40, channels: 3 } }).png().toBuffer();
      ids.push(w.fake.postMessage(alice, { attachments: [w.fake.addAttachment(`burst-${i}.png`, png)] }).id);
    }
    const deadline = Date.now() + 150_000;
    let rows = await w.store.listJudgements(ws());
    while (rows.length < before + 100 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await w.store.listJudgements(ws());
    }
    const judged = new Set(rows.map((r) => r.messageId));
    expect(ids.filter((id) => !judged.has(id))).toEqual([]);
    expect(rows.filter((r) => ids.includes(r.messageId)).every((r) => r.verdict === 'hateful' && r.errorCode === null)).toBe(true);
    const reactions = await w.fake.waitForCount((r) => r.method === 'PUT' && ids.some((id) => r.path.includes(`/messages/${id}/reactions/`)), 100);
    expect(reactions).toHaveLength(100);
  });
});

describe('shutdown', () => {
  it('stops taking events, finishes what is in flight and disconnects from the gateway', async () => {
    const msg = w.fake.postMessage(alice, { attachments: [w.fake.addAttachment('last.png', await meme(12))] });
    const deadline0 = Date.now() + 10_000;
    while (!w.fake.cdnRequests().some((p) => p.includes('last.png')) && Date.now() < deadline0) await new Promise((r) => setTimeout(r, 5));
    await w.adapter.stop();
    await w.moderator.drain();
    const deadline = Date.now() + 5000;
    while (w.fake.connected > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(w.fake.connected).toBe(0);
    // the post that arrived before the stop was judged and recorded
    expect((await w.store.listJudgements(ws())).some((j) => j.messageId === msg.id)).toBe(true);
  });
});
