import { REST } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../../src/errors.js';
import { commandDefinitions, registerCommands } from '../../../src/adapters/discord/commands.js';
import { downloadImage, isAllowedImageUrl } from '../../../src/adapters/discord/download.js';
import { renderModLog, renderReply } from '../../../src/adapters/discord/render.js';
import { reviewButtons } from '../../../src/bot/review-ids.js';
import type { VerdictSummary } from '../../../src/bot/types.js';
import { loadEnv } from '../../../src/config/env.js';
import { FakeDiscord } from './fake-discord.js';

let fake: FakeDiscord;
beforeAll(async () => {
  fake = await new FakeDiscord().start();
});
afterAll(async () => fake?.stop());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(e).toBeInstanceOf(MemeguardError);
    return (e as MemeguardError).code;
  }
}

describe('CDN download', () => {
  it('allows only Discord CDN hosts over https, and exactly the test origin when one is given', () => {
    expect(isAllowedImageUrl('https://cdn.discordapp.com/attachments/1/2/a.png?ex=1')).toBe(true);
    expect(isAllowedImageUrl('https://media.discordapp.net/attachments/1/2/a.png')).toBe(true);
    expect(isAllowedImageUrl('http://cdn.discordapp.com/attachments/1/2/a.png')).toBe(false);
    expect(isAllowedImageUrl('https://cdn.discordapp.com.evil.example/a.png')).toBe(false);
    expect(isAllowedImageUrl('https://evil.example/cdn.discordapp.com/a.png')).toBe(false);
    expect(isAllowedImageUrl('https://user:pw@cdn.discordapp.com/a.png')).toBe(false);
    expect(isAllowedImageUrl('https://cdn.discordapp.com:8443/a.png')).toBe(false);
    expect(isAllowedImageUrl('not a url')).toBe(false);
    expect(isAllowedImageUrl(`${fake.baseUrl}/attachments/a.png`)).toBe(false);
    expect(isAllowedImageUrl(`${fake.baseUrl}/attachments/a.png`, { testOrigin: fake.baseUrl })).toBe(true);
    expect(isAllowedImageUrl('http://127.0.0.1:1/attachments/a.png', { testOrigin: fake.baseUrl })).toBe(false);
  });

  it('downloads from the allowed origin and refuses other hosts before any request', async () => {
    const att = fake.addAttachment('ok.png', new Uint8Array([1, 2, 3, 4]));
    expect(await downloadImage(att.url, { maxBytes: 100, testOrigin: fake.baseUrl })).toEqual(new Uint8Array([1, 2, 3, 4]));
    const hits = fake.cdnRequests().length;
    expect(await codeOf(downloadImage(att.url, { maxBytes: 100 }))).toBe('DOWNLOAD_FAILED');
    expect(fake.cdnRequests().length).toBe(hits);
  });

  it('refuses a Content-Length over the limit, stops an endless stream at the limit, and times out a stalled one', async () => {
    const big = fake.addAttachment('big.png', new Uint8Array(5000));
    expect(await codeOf(downloadImage(big.url, { maxBytes: 1000, testOrigin: fake.baseUrl }))).toBe('IMAGE_TOO_LARGE');
    expect(await codeOf(downloadImage(`${fake.baseUrl}/attachments/stream/x.png`, { maxBytes: 1024 * 1024, testOrigin: fake.baseUrl }))).toBe('IMAGE_TOO_LARGE');
    // the server saw the connection closed long before its 200 MB were sent
    const deadline = Date.now() + 5000;
    let closed: string | undefined;
    while (!(closed = fake.cdnRequests().find((p) => p.startsWith('closed after'))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(Number(closed!.split(' ').pop())).toBeLessThan(50 * 1024 * 1024);
    expect(await codeOf(downloadImage(`${fake.baseUrl}/attachments/stall/x.png`, { maxBytes: 1000, testOrigin: fake.baseUrl, timeoutMs: 300 }))).toBe('TIMEOUT');
    expect(await codeOf(downloadImage(`${fake.baseUrl}/attachments/redirect/x.png`, { maxBytes: 1000, testOrigin: fake.baseUrl }))).toBe('DOWNLOAD_FAILED');
    expect(await codeOf(downloadImage(`${fake.baseUrl}/attachments/missing.png`, { maxBytes: 1000, testOrigin: fake.baseUrl }))).toBe('DOWNLOAD_FAILED');
  });
});

describe('command registration', () => {
  it('overwrites the global commands when no guild is given, with the bot token', async () => {
    const rest = new REST({ api: fake.apiUrl }).setToken(fake.token);
    expect(await registerCommands(rest, fake.applicationId)).toBe(4);
    const put = fake.find('PUT', /commands$/).at(-1)!;
    expect(put.path).toBe(`/applications/${fake.applicationId}/commands`);
    expect(put.authorization).toBe(`Bot ${fake.token}`);
    expect(put.body).toEqual(commandDefinitions());
  });
});

describe('rendering', () => {
  const v: VerdictSummary = {
    verdict: 'hateful',
    score: 0.8,
    threshold: 0.5,
    fusion: 'seed-sum',
    caption: 'x'.repeat(3000),
    captionSource: 'ocr',
    textScore: 0.9,
    imageScore: null,
    explanation: 'the caption drove it',
    topWords: [{ word: 'x', effect: 0.3 }],
    cached: false,
    imageSha256: 'ab'.repeat(32),
  };
  it('keeps within Discord limits and lays out the review buttons', () => {
    const p = renderModLog({ judgementId: 9, title: 'Hateful meme', link: 'https://discord.com/channels/1/2/3', channelId: '2', messageId: '3', authorId: '4', verdict: v, actionTaken: 'reacted', buttons: reviewButtons(9), text: '' });
    const caption = p.embeds[0]!.fields!.find((f) => f.name === 'Caption (ocr)')!;
    expect(caption.value.length).toBeLessThanOrEqual(1024);
    expect(p.embeds[0]!.fields!.find((f) => f.name === 'Image')!.value).toBe('n/a');
    expect((p.components[0] as any).components.map((b: any) => [b.custom_id, b.style])).toEqual([
      ['mg:review:confirm:9', 4],
      ['mg:review:not_hateful:9', 2],
      ['mg:review:delete:9', 1],
    ]);
    const long = renderReply({ kind: 'info', text: 'y'.repeat(5000) });
    expect(long.content!.length).toBe(2000);
    const report = renderReply({ kind: 'report', title: 'Evaluation of dev', table: 't', rocPng: new Uint8Array([1]), rocName: 'roc-dev.png', text: '' });
    expect(report.files).toHaveLength(1);
    expect(report.embeds[0]!.image!.url).toBe('attachment://roc-dev.png');
  });
});

describe('environment', () => {
  it('parses the Discord section only when DISCORD_TOKEN is set, and names bad variables without their values', () => {
    expect(loadEnv({}).platforms.discord).toBeUndefined();
    expect(loadEnv({}).core).toMatchObject({ MEMEGUARD_DB: 'data/memeguard.db', MEMEGUARD_CONCURRENCY: 4 });
    const env = loadEnv({ DISCORD_TOKEN: 'secret-token-value', DISCORD_API_URL: 'http://127.0.0.1:9/api/', MEMEGUARD_DISCORD_GUILD: '123456789012345678' });
    expect(env.platforms.discord).toEqual({ token: 'secret-token-value', apiUrl: 'http://127.0.0.1:9/api', guildId: '123456789012345678', testCdnOrigin: undefined });
    try {
      loadEnv({ DISCORD_TOKEN: 'secret-token-value', DISCORD_API_URL: 'ftp://x', MEMEGUARD_DISCORD_GUILD: 'general' });
      expect.unreachable();
    } catch (e) {
      const line = (e as MemeguardError).toLine();
      expect((e as MemeguardError).code).toBe('USAGE');
      expect(line).toContain('DISCORD_API_URL');
      expect(line).toContain('MEMEGUARD_DISCORD_GUILD');
      expect(line).not.toContain('secret-token-value');
    }
  });
});
