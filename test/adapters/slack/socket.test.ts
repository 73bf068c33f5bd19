/**
 * The same flows over Socket Mode: the real bolt App opens the connection through apps.connections.open (app
 * token, at SLACK_API_URL) and receives envelopes on the fake's websocket, acknowledging each. With an admin user
 * token the mod-log offers Delete, and Delete removes the member's message with that token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL_EVALUATION_ID } from '../../../src/bot/review-ids.js';
import {
  ADMIN,
  ADMIN_TOKEN,
  APP_TOKEN,
  BOT_TOKEN,
  buttonClick,
  buttonsOf,
  checkMemeShortcut,
  createCore,
  GENERAL,
  MEMBER,
  messageEvent,
  MODS,
  POSTER,
  slashCommand,
  startWorld,
  textOf,
  type Core,
  type World,
} from './world.js';

let core: Core;
let world: World;

beforeAll(async () => {
  core = await createCore();
  world = await startWorld(core, { transport: 'socket', adminToken: true });
});

afterAll(async () => {
  await world?.stop();
  await core?.close();
});

async function command(name: string, text: string, user: string) {
  const cmd = slashCommand(world.fake, name, text, user);
  const ack = await world.fake.sendEnvelope('slash_commands', cmd.fields);
  return { id: cmd.id, ack };
}

describe('Slack over Socket Mode', () => {
  it('connects with the app token through apps.connections.open at SLACK_API_URL', () => {
    const open = world.fake.callsTo('apps.connections.open');
    expect(open.length).toBeGreaterThan(0);
    expect(open[0]).toMatchObject({ token: APP_TOKEN, ok: true });
    // the Web API calls never use the app token
    expect(world.fake.calls.filter((c) => c.method !== 'apps.connections.open').every((c) => c.token !== APP_TOKEN)).toBe(true);
  });

  it('judges an image post and lets a moderator delete it with the admin token', async () => {
    for (const text of [`set mod-log-channel ${MODS}`, 'set threshold 0']) {
      const { id } = await command('/memeguard-config', text, ADMIN);
      await world.fake.waitForResponse(id);
    }
    const file = world.fake.addFile({ name: 'meme.png', mimetype: 'image/png', bytes: core.memes[0]!, user: POSTER });
    const posted = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [file] });
    const ack = await world.fake.sendEnvelope('events_api', messageEvent(GENERAL, POSTER, posted.ts, [file]));
    expect(ack).toEqual({});

    const modLog = await world.fake.waitForCall('chat.postMessage', (c) => c.args.channel === MODS);
    expect(world.fake.downloads).toContainEqual({ fileId: file.id, authorized: true });
    expect(modLog.token).toBe(BOT_TOKEN);
    const buttons = buttonsOf(modLog.args.blocks);
    expect(buttons.map((b) => b.text)).toEqual(['Confirm', 'Not hateful', 'Delete']);
    const del = buttons.find((b) => b.text === 'Delete')!;
    const judgementId = Number(del.value);

    const modMessage = world.fake.messages.find((m) => m.channel === MODS && m.ts === modLog.result?.ts)!;
    const click = buttonClick(world.fake, MEMBER, MODS, { ts: modMessage.ts, blocks: modMessage.blocks }, del);
    await world.fake.sendEnvelope('interactive', click.payload);
    const deleted = await world.fake.waitForCall('chat.delete');
    expect(deleted).toMatchObject({ token: ADMIN_TOKEN, ok: true, args: { channel: GENERAL, ts: posted.ts } });
    expect(world.fake.messages.some((m) => m.channel === GENERAL && m.ts === posted.ts)).toBe(false);
    expect(textOf(await world.fake.waitForResponse(click.id))).toMatch(/Deleted message/);
    const reviews = await core.store.listReviews(judgementId);
    expect(reviews.map((r) => r.decision)).toEqual(['delete']);
  });

  it('answers a corrupt file to the poster', async () => {
    const corrupt = world.fake.addFile({ name: 'bad.gif', mimetype: 'image/gif', bytes: Buffer.from('GIF89a-not-really') });
    const post = world.fake.addMessage({ channel: GENERAL, user: POSTER, files: [corrupt] });
    await world.fake.sendEnvelope('events_api', messageEvent(GENERAL, POSTER, post.ts, [corrupt]));
    const reply = await world.fake.waitForCall('chat.postMessage', (c) => c.args.thread_ts === post.ts && textOf(c.args).includes('bad.gif'));
    expect(textOf(reply.args)).toMatch(/could not check/);
  });

  it('/check acks within the envelope and answers privately after', async () => {
    await command('/memeguard-config', 'set threshold default', ADMIN);
    const file = world.fake.addFile({ name: 'c.png', mimetype: 'image/png', bytes: core.memes[2]! });
    const { id, ack } = await command('/check', file.id, MEMBER);
    expect(ack).toMatchObject({ response_type: 'ephemeral', text: 'Checking…' });
    const answer = await world.fake.waitForResponse(id, (b) => textOf(b).includes('score'));
    expect(answer.response_type).toBe('ephemeral');
  });

  it('the “Check meme” shortcut works over the socket', async () => {
    const file = world.fake.addFile({ name: 's.png', mimetype: 'image/png', bytes: core.memes[3]! });
    const sc = checkMemeShortcut(world.fake, MEMBER, GENERAL, { ts: '1700000300.000001', user: POSTER, files: [file] });
    await world.fake.sendEnvelope('interactive', sc.payload);
    expect(textOf(await world.fake.waitForResponse(sc.id, (b) => textOf(b).includes('score')))).toMatch(/threshold/);
  });

  it('/evaluate is refused to a member; the Cancel button says when nothing runs', async () => {
    const { id } = await command('/evaluate', '', MEMBER);
    expect(textOf(await world.fake.waitForResponse(id))).toMatch(/only .*administrators/i);
    const click = buttonClick(world.fake, ADMIN, GENERAL, { ts: '1700000400.000001' }, { action_id: CANCEL_EVALUATION_ID, value: 'cancel' });
    await world.fake.sendEnvelope('interactive', click.payload);
    expect(textOf(await world.fake.waitForResponse(click.id))).toMatch(/No evaluation is running/);
  });
});
