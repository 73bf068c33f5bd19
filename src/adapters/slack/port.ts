/**
 * The PlatformPort/CommandPort the moderator acts through on Slack: downloads with the bot token, reactions,
 * thread replies or ephemeral messages, mod-log entries with review buttons, deletes with the admin user token,
 * and evaluation progress through chat.update.
 */
import type { webApi } from '@slack/bolt';
import type { ErrorCode } from '../../errors.js';
import { MemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import type { ActionResult, CommandPort, IncomingImage, ModAction, NeutralReply, PlatformPort } from '../../bot/types.js';
import { escapeKeepingMentions, renderModLogEntry, renderReply, type SlackMessage } from './blocks.js';
import { downloadSlackFile } from './download.js';

type WebClient = webApi.WebClient;

export interface SlackPortDeps {
  /** The bot's client (bot token). */
  client: WebClient;
  botToken: string;
  /** A client with the admin user token; without it members' messages cannot be deleted. */
  adminClient?: WebClient;
  /** Hosts besides *.slack.com allowed to receive the bot token on downloads (the SLACK_API_URL host). */
  extraHosts: string[];
}

/** Slack Web API errors that mean "memeguard is not allowed to", not "something broke". */
const PERMISSION_ERRORS = new Set([
  'cant_delete_message',
  'cant_update_message',
  'not_in_channel',
  'channel_not_found',
  'missing_scope',
  'restricted_action',
  'not_allowed_token_type',
  'invalid_auth',
  'not_authed',
  'is_archived',
  'ekm_access_denied',
]);

/** The `error` of a Slack Web API failure (e.g. 'cant_delete_message'), or the exception's message. */
export function slackErrorOf(e: unknown): string {
  const data = (e as { data?: { error?: unknown } } | undefined)?.data;
  if (data && typeof data.error === 'string') return data.error;
  return e instanceof Error ? e.message : String(e);
}

export function failure(method: string, e: unknown): ActionResult & { ok: false } {
  const error = slackErrorOf(e);
  const code: ErrorCode = PERMISSION_ERRORS.has(error) ? 'PERMISSION_DENIED' : 'INTERNAL';
  return { ok: false, code, message: `Slack ${method}: ${error}` };
}

const UNICODE_EMOJI: Record<string, string> = {
  '⚠️': 'warning',
  '⚠': 'warning',
  '🚫': 'no_entry_sign',
  '⛔': 'no_entry',
  '🛑': 'octagonal_sign',
  '👀': 'eyes',
  '🚩': 'triangular_flag_on_post',
  '❗': 'exclamation',
};

/** A Slack reaction name for a neutral emoji (a Slack name with or without colons, or a unicode emoji). */
export function slackEmojiName(emoji: string): string {
  const trimmed = emoji.trim();
  const name = trimmed.replace(/^:|:$/g, '');
  if (/^[a-z0-9_+'-]+$/.test(name)) return name;
  return UNICODE_EMOJI[trimmed] ?? 'warning';
}

/**
 * Which thread a message is in. Slack wants replies to a reply posted under the thread's parent (thread_ts of the
 * parent), while the moderator knows only the message; the adapter remembers what the events said (bounded).
 */
export class ThreadIndex {
  private readonly parents = new Map<string, string>();
  constructor(private readonly capacity = 5000) {}

  remember(channel: string, ts: string, threadTs: string | undefined): void {
    if (!threadTs || threadTs === ts) return;
    const key = `${channel}:${ts}`;
    this.parents.delete(key);
    this.parents.set(key, threadTs);
    if (this.parents.size > this.capacity) this.parents.delete(this.parents.keys().next().value!);
  }

  /** The ts to reply under: the thread's parent for a reply, the message itself otherwise. */
  replyTarget(channel: string, ts: string): string {
    return this.parents.get(`${channel}:${ts}`) ?? ts;
  }
}

export class SlackPort implements PlatformPort {
  constructor(
    protected readonly deps: SlackPortDeps,
    readonly threads: ThreadIndex = new ThreadIndex(),
  ) {}

  get canDelete(): boolean {
    return this.deps.adminClient !== undefined;
  }

  async download(image: IncomingImage, options: { maxBytes: number; signal?: AbortSignal }): Promise<Uint8Array> {
    if (image.bytes) return image.bytes;
    if (!image.url) {
      // e.g. a file hidden by the workspace's plan limits, or shared from an organisation the app cannot see
      throw new MemeguardError('DOWNLOAD_FAILED', 'Slack gave no download link for this file');
    }
    return downloadSlackFile(image.url, {
      botToken: this.deps.botToken,
      maxBytes: options.maxBytes,
      declaredSize: image.declaredSize,
      extraHosts: this.deps.extraHosts,
      signal: options.signal,
    });
  }

  async perform(action: ModAction): Promise<ActionResult> {
    const { client } = this.deps;
    try {
      switch (action.kind) {
        case 'react':
          try {
            await client.reactions.add({ channel: action.channelId, timestamp: action.messageId, name: slackEmojiName(action.emoji) });
          } catch (e) {
            if (slackErrorOf(e) !== 'already_reacted') throw e;
          }
          return { ok: true };
        case 'reply': {
          const message = renderReply(action.message);
          const thread_ts = this.threads.replyTarget(action.channelId, action.messageId);
          if (action.audience === 'channel') {
            await client.chat.postMessage({ channel: action.channelId, thread_ts, ...message });
          } else {
            await client.chat.postEphemeral({ channel: action.channelId, user: action.userId, thread_ts, ...message });
          }
          return { ok: true };
        }
        case 'delete':
          if (!this.deps.adminClient) {
            return {
              ok: false,
              code: 'PERMISSION_DENIED',
              message: 'deleting a member’s message needs an admin user token (SLACK_ADMIN_TOKEN)',
            };
          }
          await this.deps.adminClient.chat.delete({ channel: action.channelId, ts: action.messageId });
          return { ok: true };
        case 'mod-log':
          await client.chat.postMessage({ channel: action.channelId, ...renderModLogEntry(action.entry, { canDelete: this.canDelete }) });
          return { ok: true };
        case 'mod-note':
          await client.chat.postMessage({ channel: action.channelId, text: escapeKeepingMentions(action.text) });
          return { ok: true };
      }
    } catch (e) {
      const result = failure(methodOf(action), e);
      logger.warn('slack action failed', { action: action.kind, channel: action.channelId, error: result.message });
      return result;
    }
  }
}

function methodOf(action: ModAction): string {
  switch (action.kind) {
    case 'react':
      return 'reactions.add';
    case 'reply':
      return action.audience === 'channel' ? 'chat.postMessage' : 'chat.postEphemeral';
    case 'delete':
      return 'chat.delete';
    default:
      return 'chat.postMessage';
  }
}

/**
 * A command's port: progress goes to one message in the channel where the command was typed, posted on the first
 * update and edited (chat.update) on the next ones; the final report replaces it and its ROC plot is uploaded
 * (files.uploadV2) in its thread.
 */
export class SlackCommandPort extends SlackPort implements CommandPort {
  private progressTs?: string;
  private progressFailed = false;

  constructor(
    deps: SlackPortDeps,
    private readonly channelId: string | undefined,
  ) {
    super(deps);
  }

  async progress(reply: NeutralReply): Promise<void> {
    if (!this.channelId || this.progressFailed) return;
    await this.show(renderReply(reply));
  }

  /** Posts or edits the progress message; false when the channel refuses (e.g. the bot is not in it). */
  private async show(message: SlackMessage): Promise<boolean> {
    const { client } = this.deps;
    try {
      if (this.progressTs) {
        await client.chat.update({ channel: this.channelId!, ts: this.progressTs, ...message });
      } else {
        const posted = await client.chat.postMessage({ channel: this.channelId!, ...message });
        this.progressTs = posted.ts;
      }
      return true;
    } catch (e) {
      this.progressFailed = true;
      logger.warn('slack progress message failed', { channel: this.channelId, error: slackErrorOf(e) });
      return false;
    }
  }

  /**
   * Shows the final reply in the channel (replacing the progress message) and uploads a report's ROC plot.
   * Returns false when nothing could be posted in the channel, so the caller answers privately instead.
   */
  async finish(reply: NeutralReply): Promise<boolean> {
    if (!this.channelId || (this.progressFailed && !this.progressTs)) return false;
    this.progressFailed = false;
    const shown = await this.show(renderReply(reply));
    if (!shown) return false;
    if (reply.kind === 'report' && reply.rocPng) {
      try {
        await this.deps.client.files.uploadV2({
          channel_id: this.channelId,
          thread_ts: this.progressTs!,
          file: Buffer.from(reply.rocPng),
          filename: reply.rocName ?? 'roc.png',
          title: `${reply.title} — ROC`,
        });
      } catch (e) {
        logger.warn('slack ROC upload failed', { channel: this.channelId, error: slackErrorOf(e) });
      }
    }
    return true;
  }
}
