/**
 * The Slack adapter's pure parts: environment, argument parsing, Block Kit rendering (escaping, buttons) and the
 * token-guarded download (against the fake Slack's file server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELETE_NEEDS_ADMIN_TOKEN, escapeKeepingMentions, escapeMrkdwn, renderModLogEntry, renderReply } from '../../../src/adapters/slack/blocks.js';
import { slackConfigFromEnv, slackRequested } from '../../../src/adapters/slack/config.js';
import { downloadSlackFile, isSlackFileHost } from '../../../src/adapters/slack/download.js';
import { slackEmojiName } from '../../../src/adapters/slack/port.js';
import { imagePostFromMessage, parseCheckArgument, parseConfigArguments, parseEvaluateArguments, parseFiles } from '../../../src/adapters/slack/requests.js';
import { reviewButtons } from '../../../src/bot/review-ids.js';
import type { ModLogEntry, VerdictSummary } from '../../../src/bot/types.js';
import { MemeguardError } from '../../../src/errors.js';
import { redact } from '../../../src/log.js';
import { FakeSlack } from './fake-slack.js';
import { buttonsOf, textOf } from './inspect.js';

const BOT = 'xoxb-1-2-unit';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof MemeguardError ? e.code : 'not a MemeguardError';
  }
  return undefined;
}

describe('slackConfigFromEnv', () => {
  it('chooses Socket Mode when an app token is set, else HTTP with the signing secret', () => {
    const socket = slackConfigFromEnv({ SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: 'xapp-1-x', SLACK_SIGNING_SECRET: 's' });
    expect(socket.transport).toBe('socket');
    const http = slackConfigFromEnv({ SLACK_BOT_TOKEN: BOT, SLACK_SIGNING_SECRET: 's', PORT: '8080', SLACK_API_URL: 'http://127.0.0.1:9/api', MEMEGUARD_SLACK_ADMINS: 'U1, U2 U3' });
    expect(http).toMatchObject({ transport: 'http', port: 8080, apiUrl: 'http://127.0.0.1:9/api/', admins: ['U1', 'U2', 'U3'] });
    expect(slackRequested({ SLACK_BOT_TOKEN: BOT })).toBe(true);
    expect(slackRequested({})).toBe(false);
  });

  it('names what is missing or malformed, never the secret values', () => {
    const missing = () => slackConfigFromEnv({ SLACK_BOT_TOKEN: BOT });
    expect(codeOf(missing)).toBe('USAGE');
    expect(() => missing()).toThrow(/SLACK_SIGNING_SECRET .*SLACK_APP_TOKEN/);
    const malformed = () => slackConfigFromEnv({ SLACK_BOT_TOKEN: 'xoxp-secret-user-token', SLACK_SIGNING_SECRET: 's', PORT: 'eighty' });
    expect(() => malformed()).toThrow(/SLACK_BOT_TOKEN: a bot token starts with xoxb-; PORT: must be a port number/);
    expect(() => malformed()).not.toThrow(/secret-user-token/);
  });

  it('the logger redacts Slack tokens', () => {
    expect(redact({ msg: `using ${BOT}`, header: 'Bearer xoxb-9-9-abc' })).toEqual({ msg: 'using [redacted]', header: '[redacted]' });
  });
});

describe('argument parsing', () => {
  it('/check finds the file id in file links and the message in permalinks', () => {
    expect(parseCheckArgument('https://team.slack.com/files/U0ABC/F0123ABCD/meme.png')).toEqual({ fileId: 'F0123ABCD' });
    expect(parseCheckArgument('<https://files.slack.com/files-pri/T0-F0999XYZ1/download/a.png>')).toEqual({ fileId: 'F0999XYZ1' });
    expect(parseCheckArgument('F0AAAAAAA')).toEqual({ fileId: 'F0AAAAAAA' });
    expect(parseCheckArgument('https://team.slack.com/archives/C0123ABC/p1700000000123456')).toEqual({ channel: 'C0123ABC', ts: '1700000000.123456' });
    expect(codeOf(() => parseCheckArgument(''))).toBe('USAGE');
    expect(codeOf(() => parseCheckArgument('https://evil.example/F0123ABCDx.png'))).toBe('USAGE');
  });

  it('/evaluate takes an optional split and limit, or cancel', () => {
    expect(parseEvaluateArguments('')).toEqual({ cancel: false, split: undefined, limit: undefined });
    expect(parseEvaluateArguments('dev_seen 50')).toEqual({ cancel: false, split: 'dev_seen', limit: 50 });
    expect(parseEvaluateArguments('20 test')).toEqual({ cancel: false, split: 'test', limit: 20 });
    expect(parseEvaluateArguments('cancel')).toEqual({ cancel: true });
    expect(codeOf(() => parseEvaluateArguments('0'))).toBe('USAGE');
    expect(codeOf(() => parseEvaluateArguments('a b c'))).toBe('USAGE');
    expect(codeOf(() => parseEvaluateArguments('../etc'))).toBe('USAGE');
  });

  it('/memeguard-config keeps the ids of Slack mentions', () => {
    expect(parseConfigArguments('')).toEqual({ show: true });
    expect(parseConfigArguments('set mod-log-channel <#C0MODS|mods>')).toEqual({ show: false, key: 'mod-log-channel', value: 'C0MODS' });
    expect(parseConfigArguments('set watched-channels <#C1|a> <#C2>')).toEqual({ show: false, key: 'watched-channels', value: 'C1 C2' });
    expect(parseConfigArguments('SET Threshold 0.7')).toEqual({ show: false, key: 'threshold', value: '0.7' });
    expect(codeOf(() => parseConfigArguments('set colour blue'))).toBe('USAGE');
    expect(codeOf(() => parseConfigArguments('set threshold'))).toBe('USAGE');
  });

  it('an image post keeps only image files, with their declared sizes', () => {
    const files = parseFiles([
      { id: 'F1', name: 'a.png', mimetype: 'image/png', size: 10, url_private_download: 'https://files.slack.com/a' },
      { id: 'F2', name: 'b.pdf', mimetype: 'application/pdf', size: 10, url_private_download: 'https://files.slack.com/b' },
      { nonsense: true },
    ]);
    const post = imagePostFromMessage('T1', { type: 'message', channel: 'C1', ts: '1.000002', user: 'U1' }, files);
    expect(post.images).toEqual([{ url: 'https://files.slack.com/a', declaredSize: 10, name: 'a.png', contentType: 'image/png' }]);
    expect(post).toMatchObject({ platform: 'slack', workspaceId: 'T1', authorIsBot: false, link: 'https://slack.com/archives/C1/p1000002' });
  });
});

const verdict: VerdictSummary = {
  verdict: 'hateful',
  score: 0.8,
  threshold: 0.5,
  fusion: 'seed-sum',
  caption: '<!channel> hello & bye',
  captionSource: 'ocr',
  textScore: 0.7,
  imageScore: null,
  explanation: 'the words drove it',
  topWords: [{ word: '<!here>', effect: 0.3 }],
  cached: false,
  imageSha256: 'ab',
};

describe('Block Kit rendering', () => {
  it('escapes what users and models wrote', () => {
    expect(escapeMrkdwn('<!channel> & <@U1>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
    const message = renderReply({ kind: 'verdict', title: 'check', verdict, text: `caption: ${verdict.caption}` });
    const blocksText = textOf({ blocks: message.blocks });
    expect(blocksText).toContain('&lt;!channel&gt; hello &amp; bye');
    expect(blocksText).toContain('&lt;!here&gt;');
    expect(blocksText).not.toContain('<!channel>');
  });

  it('keeps memeguard’s user and channel mentions but nothing that broadcasts or links', () => {
    expect(escapeKeepingMentions('by <@U123> in <#C9|general>: <!channel> <https://x.example|y> & more')).toBe(
      'by <@U123> in <#C9>: &lt;!channel&gt; &lt;https://x.example|y&gt; &amp; more',
    );
    const info = renderReply({ kind: 'info', text: 'Flag #3 confirmed as hateful by <@U7>.' });
    expect(textOf(info)).toContain('<@U7>');
    const error = renderReply({ kind: 'error', code: 'BAD_INPUT', text: 'file “<!here>.png” is broken' });
    expect(textOf(error)).not.toContain('<!here>');
  });

  it('a mod-log entry carries the judgement id in every button; Delete only with an admin token', () => {
    const entry: ModLogEntry = {
      judgementId: 42,
      title: 'Hateful meme',
      channelId: 'C1',
      messageId: '1.2',
      authorId: 'U9',
      verdict,
      actionTaken: 'reacted',
      buttons: reviewButtons(42),
      text: 'score 0.80',
    };
    const withDelete = renderModLogEntry(entry, { canDelete: true });
    expect(buttonsOf(withDelete.blocks).map((b) => [b.text, b.action_id, b.value])).toEqual([
      ['Confirm', 'mg:review:confirm:42', '42'],
      ['Not hateful', 'mg:review:not_hateful:42', '42'],
      ['Delete', 'mg:review:delete:42', '42'],
    ]);
    expect(textOf(withDelete)).not.toContain(DELETE_NEEDS_ADMIN_TOKEN);
    expect(textOf(withDelete)).toContain('<@U9>');
    expect(textOf(withDelete)).not.toContain('<!channel>');
    expect(textOf(withDelete)).toContain('&lt;!channel&gt; hello &amp; bye');
    const without = renderModLogEntry(entry, { canDelete: false });
    expect(buttonsOf(without.blocks).map((b) => b.text)).toEqual(['Confirm', 'Not hateful']);
    expect(textOf(without)).toContain(DELETE_NEEDS_ADMIN_TOKEN);
  });

  it('reaction names: Slack names pass, unicode emoji are mapped', () => {
    expect(slackEmojiName(':warning:')).toBe('warning');
    expect(slackEmojiName('⚠️')).toBe('warning');
    expect(slackEmojiName('no_entry_sign')).toBe('no_entry_sign');
  });
});

describe('downloadSlackFile', () => {
  let fake: FakeSlack;
  const extraHosts = () => [new URL(fake.url).host];
  beforeAll(async () => {
    fake = await new FakeSlack({ botToken: BOT }).start();
  });
  afterAll(async () => fake.stop());

  it('sends the bot token and returns the bytes', async () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    const file = fake.addFile({ name: 'x.png', mimetype: 'image/png', bytes });
    const got = await downloadSlackFile(file.url_private_download, { botToken: BOT, maxBytes: 100, extraHosts: extraHosts() });
    expect([...got]).toEqual([1, 2, 3, 4, 5]);
    expect(fake.downloads.at(-1)).toEqual({ fileId: file.id, authorized: true });
  });

  it('recognises Slack’s sign-in page (a wrong token) as a failed download', async () => {
    const file = fake.addFile({ name: 'x.png', mimetype: 'image/png', bytes: new Uint8Array([1]) });
    await expect(downloadSlackFile(file.url_private_download, { botToken: 'xoxb-wrong', maxBytes: 100, extraHosts: extraHosts() })).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringMatching(/sign-in page/),
    });
    expect(fake.downloads.at(-1)).toEqual({ fileId: file.id, authorized: false });
  });

  it('refuses from the declared size without a request, and stops reading past the limit', async () => {
    const file = fake.addFile({ name: 'big.png', mimetype: 'image/png', bytes: new Uint8Array(5000) });
    const before = fake.downloads.length;
    await expect(downloadSlackFile(file.url_private_download, { botToken: BOT, maxBytes: 1000, declaredSize: 5000, extraHosts: extraHosts() })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    expect(fake.downloads.length).toBe(before);
    await expect(downloadSlackFile(file.url_private_download, { botToken: BOT, maxBytes: 1000, extraHosts: extraHosts() })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it('never sends the token to a host that is not Slack’s', async () => {
    expect(isSlackFileHost(new URL('https://files.slack.com/files-pri/T-F/x.png'))).toBe(true);
    expect(isSlackFileHost(new URL('http://files.slack.com/x.png'))).toBe(false);
    expect(isSlackFileHost(new URL('https://slack.com.evil.example/x.png'))).toBe(false);
    const before = fake.downloads.length;
    await expect(downloadSlackFile(`${fake.url}/files-pri/T-F1/x.png`, { botToken: BOT, maxBytes: 100 })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
    expect(fake.downloads.length).toBe(before);
  });

  it('a file Slack does not have is a clear failure', async () => {
    await expect(downloadSlackFile(`${fake.url}/files-pri/T0FAKE-F404/x.png`, { botToken: BOT, maxBytes: 100, extraHosts: extraHosts() })).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
      message: expect.stringMatching(/404/),
    });
  });
});

describe('slack-manifest.json', () => {
  it('declares what the app uses: its commands, the shortcut, the scopes of every Web API method it calls, events, interactivity', async () => {
    const { readFile } = await import('node:fs/promises');
    const { COMMANDS, CHECK_MEME_CALLBACK_ID } = await import('../../../src/adapters/slack/app.js');
    const manifest = JSON.parse(await readFile(new URL('../../../slack-manifest.json', import.meta.url), 'utf8'));
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command).sort()).toEqual(Object.values(COMMANDS).sort());
    // Slack escapes mentions only when asked: /memeguard-config needs <#C…> to store channel ids.
    expect(manifest.features.slash_commands.every((c: { should_escape: boolean }) => c.should_escape)).toBe(true);
    expect(manifest.features.shortcuts).toEqual([expect.objectContaining({ type: 'message', callback_id: CHECK_MEME_CALLBACK_ID, name: 'Check meme' })]);
    const usedScopes = {
      'chat.postMessage / postEphemeral / update': 'chat:write',
      'reactions.add': 'reactions:write',
      'files.info + downloads': 'files:read',
      'files.uploadV2': 'files:write',
      'conversations.history (public)': 'channels:history',
      'conversations.history (private)': 'groups:history',
      'users.info': 'users:read',
      'slash commands': 'commands',
    };
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual([...new Set(Object.values(usedScopes))].sort());
    expect(manifest.oauth_config.scopes.user).toEqual(['chat:write']);
    expect(manifest.settings.event_subscriptions.bot_events.sort()).toEqual(['message.channels', 'message.groups']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    const urls = [
      ...manifest.features.slash_commands.map((c: { url: string }) => c.url),
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
    ];
    expect(urls.every((u: string) => new URL(u).pathname === '/slack/events')).toBe(true);
  });
});

describe('SlackPort', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await new FakeSlack({ botToken: BOT }).start();
  });
  afterAll(async () => fake.stop());

  async function port() {
    const { webApi } = await import('@slack/bolt');
    const { SlackPort } = await import('../../../src/adapters/slack/port.js');
    const client = new webApi.WebClient(BOT, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
    return new SlackPort({ client, botToken: BOT, extraHosts: [new URL(fake.url).host] });
  }

  it('maps Slack refusals to results and never throws', async () => {
    const p = await port();
    const posted = fake.addMessage({ channel: 'C1', user: 'U1' });
    expect(await p.perform({ kind: 'react', channelId: 'C1', messageId: posted.ts, emoji: '⚠️' })).toEqual({ ok: true });
    // reacting twice is not a failure
    expect(await p.perform({ kind: 'react', channelId: 'C1', messageId: posted.ts, emoji: '⚠️' })).toEqual({ ok: true });
    fake.channelsWithoutBot.add('CX');
    expect(await p.perform({ kind: 'react', channelId: 'CX', messageId: posted.ts, emoji: 'warning' })).toEqual({
      ok: false,
      code: 'PERMISSION_DENIED',
      message: 'Slack reactions.add: not_in_channel',
    });
  });

  it('a mod note keeps channel mentions and escapes the rest', async () => {
    const p = await port();
    expect(await p.perform({ kind: 'mod-note', channelId: 'CMODS', text: 'could not judge "<!here>.png" in <#C1>' })).toEqual({ ok: true });
    expect(fake.callsTo('chat.postMessage').at(-1)!.args.text).toBe('could not judge "&lt;!here&gt;.png" in <#C1>');
  });

  it('without an admin token, delete is refused without calling Slack', async () => {
    const p = await port();
    const before = fake.callsTo('chat.delete').length;
    const result = await p.perform({ kind: 'delete', channelId: 'C1', messageId: '1.1' });
    expect(result).toMatchObject({ ok: false, code: 'PERMISSION_DENIED', message: expect.stringMatching(/SLACK_ADMIN_TOKEN/) });
    expect(fake.callsTo('chat.delete').length).toBe(before);
  });

  it('a file without a download link is a clear DOWNLOAD_FAILED', async () => {
    const p = await port();
    await expect(p.download({ name: 'hidden.png', declaredSize: 10 }, { maxBytes: 100 })).rejects.toMatchObject({ code: 'DOWNLOAD_FAILED' });
  });
});
