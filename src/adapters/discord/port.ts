import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { ErrorCode } from '../../errors.js';
import { MemeguardError } from '../../errors.js';
import type { ActionResult, IncomingImage, ModAction, PlatformPort } from '../../bot/types.js';
import { downloadImage, type DownloadPolicy } from './download.js';
import { clip, renderModLog, renderReply } from './render.js';

/** Discord API error codes that mean "the bot may not do this". */
const PERMISSION_CODES = new Set([50001, 50013, 50007]);

/** A Discord REST failure as an ActionResult: a missing permission is PERMISSION_DENIED. */
export function actionFailure(e: unknown): ActionResult & { ok: false } {
  if (e instanceof DiscordAPIError) {
    const code: ErrorCode = e.status === 403 || PERMISSION_CODES.has(Number(e.code)) ? 'PERMISSION_DENIED' : e.status === 404 ? 'BAD_INPUT' : 'INTERNAL';
    return { ok: false, code, message: `${e.message} (HTTP ${e.status}, code ${e.code})` };
  }
  if (e instanceof MemeguardError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

/** Performs the moderator's actions through Discord's REST API and downloads from its CDN. */
export class DiscordPort implements PlatformPort {
  constructor(
    private readonly rest: REST,
    private readonly policy: DownloadPolicy = {},
  ) {}

  download(image: IncomingImage, options: { maxBytes: number; signal?: AbortSignal }): Promise<Uint8Array> {
    if (image.bytes) return Promise.resolve(image.bytes);
    if (!image.url) return Promise.reject(new MemeguardError('BAD_INPUT', 'the image has no URL'));
    return downloadImage(image.url, { ...this.policy, ...options });
  }

  async perform(action: ModAction): Promise<ActionResult> {
    try {
      await this.execute(action);
      return { ok: true };
    } catch (e) {
      return actionFailure(e);
    }
  }

  private async post(channelId: string, body: Record<string, unknown>): Promise<void> {
    await this.rest.post(Routes.channelMessages(channelId), { body: { allowed_mentions: { parse: [] }, ...body } });
  }

  private async execute(action: ModAction): Promise<void> {
    switch (action.kind) {
      case 'react':
        await this.rest.put(Routes.channelMessageOwnReaction(action.channelId, action.messageId, encodeURIComponent(action.emoji)));
        return;
      case 'delete':
        await this.rest.delete(Routes.channelMessage(action.channelId, action.messageId));
        return;
      case 'mod-log': {
        const p = renderModLog(action.entry);
        await this.post(action.channelId, { content: p.content, embeds: p.embeds, components: p.components });
        return;
      }
      case 'mod-note':
        await this.post(action.channelId, { content: clip(action.text, 2000) });
        return;
      case 'reply': {
        const p = renderReply(action.message);
        const body = { content: p.content, embeds: p.embeds, components: p.components };
        if (action.audience === 'channel') {
          await this.post(action.channelId, { ...body, message_reference: { message_id: action.messageId, fail_if_not_exists: false } });
          return;
        }
        // Only the poster: a direct message; when DMs are closed, a channel message that mentions only them.
        try {
          const dm = (await this.rest.post(Routes.userChannels(), { body: { recipient_id: action.userId } })) as { id: string };
          await this.post(dm.id, body);
        } catch (e) {
          if (!(e instanceof DiscordAPIError)) throw e;
          await this.post(action.channelId, {
            ...body,
            content: clip(`<@${action.userId}> ${p.content ?? ''}`, 2000),
            allowed_mentions: { users: [action.userId] },
          });
        }
        return;
      }
    }
  }
}
