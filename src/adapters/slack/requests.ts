/**
 * Slack payloads → the neutral requests of src/bot: which files of a message are images, the ImagePost of a
 * message event, and the arguments of /check, /evaluate and /memeguard-config.
 */
import { z } from 'zod';
import { MemeguardError } from '../../errors.js';
import { SETTING_KEYS } from '../../bot/settings.js';
import type { ImagePost, IncomingImage, SettingKey } from '../../bot/types.js';

/** The fields of a Slack file object memeguard reads (events, files.info, shortcuts). */
export const SlackFileSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  mimetype: z.string().optional(),
  size: z.number().optional(),
  url_private_download: z.string().optional(),
  url_private: z.string().optional(),
  /** 'check_file_info': the event carries a stub; files.info has the rest. */
  file_access: z.string().optional(),
});
export type SlackFile = z.infer<typeof SlackFileSchema>;

export const MessageEventSchema = z.object({
  type: z.literal('message'),
  subtype: z.string().optional(),
  channel: z.string(),
  ts: z.string(),
  /** Set on replies in a thread (the parent's ts) and on thread parents (their own ts). */
  thread_ts: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  files: z.array(z.unknown()).optional(),
});
export type MessageEvent = z.infer<typeof MessageEventSchema>;

/** The parseable files of a payload (malformed entries are dropped). */
export function parseFiles(files: unknown[] | undefined): SlackFile[] {
  return (files ?? []).flatMap((f) => {
    const parsed = SlackFileSchema.safeParse(f);
    return parsed.success ? [parsed.data] : [];
  });
}

export function isImageFile(file: SlackFile): boolean {
  return (file.mimetype ?? '').toLowerCase().startsWith('image/');
}

/** A stub that needs files.info before it can be judged (Slack Connect, or fields missing). */
export function needsFileInfo(file: SlackFile): boolean {
  return file.file_access === 'check_file_info' || !file.mimetype || !(file.url_private_download ?? file.url_private);
}

export function incomingImage(file: SlackFile): IncomingImage {
  return {
    url: file.url_private_download ?? file.url_private,
    declaredSize: file.size,
    name: file.name,
    contentType: file.mimetype,
  };
}

/** The message's link (Slack resolves /archives/<channel>/p<ts without the dot> for members). */
export function messageLink(channel: string, ts: string, threadTs?: string): string {
  const base = `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channel}` : base;
}

/** The neutral post for a message event whose (already resolved) files include images. */
export function imagePostFromMessage(teamId: string, event: MessageEvent, files: SlackFile[]): ImagePost {
  return {
    platform: 'slack',
    workspaceId: teamId,
    channelId: event.channel,
    messageId: event.ts,
    authorId: event.user ?? event.bot_id ?? 'unknown',
    authorIsBot: event.bot_id !== undefined || event.subtype === 'bot_message',
    roles: [],
    images: files.filter(isImageFile).map(incomingImage),
    link: messageLink(event.channel, event.ts, event.thread_ts),
  };
}

/** What `/check <argument>` points at: a file (id from a file link or a bare id) or a message (permalink). */
export type CheckTarget = { fileId: string } | { channel: string; ts: string };

const CHECK_USAGE = 'usage: /check <file link, message link or file id> (or use the “Check meme” message shortcut)';

export function parseCheckArgument(text: string): CheckTarget {
  const arg = text.trim().replace(/^<|>$/g, '').split('|')[0]!.trim();
  if (!arg) throw new MemeguardError('USAGE', CHECK_USAGE);
  // Message permalink: https://<team>.slack.com/archives/C0123/p1700000000123456
  const message = /\/archives\/([CDG][A-Z0-9]+)\/p(\d{10})(\d{6})/.exec(arg);
  if (message) return { channel: message[1]!, ts: `${message[2]}.${message[3]}` };
  // File links: https://<team>.slack.com/files/U0123/F0456/name.png, files-pri/T0-F0456/..., or the id itself
  const file = /(?:^|[/-])(F[A-Z0-9]{6,})(?:$|[/?#])/.exec(arg);
  if (file) return { fileId: file[1]! };
  throw new MemeguardError('USAGE', `“${arg.slice(0, 80)}” is not a Slack file or message link; ${CHECK_USAGE}`);
}

export type EvaluateArgs = { cancel: true } | { cancel: false; split?: string; limit?: number };

const EVALUATE_USAGE = 'usage: /evaluate [split] [limit]  or  /evaluate cancel';

export function parseEvaluateArguments(text: string): EvaluateArgs {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 1 && words[0]!.toLowerCase() === 'cancel') return { cancel: true };
  if (words.length > 2) throw new MemeguardError('USAGE', EVALUATE_USAGE);
  let split: string | undefined;
  let limit: number | undefined;
  for (const word of words) {
    if (/^\d+$/.test(word)) {
      if (limit !== undefined) throw new MemeguardError('USAGE', EVALUATE_USAGE);
      limit = Number(word);
      if (limit < 1) throw new MemeguardError('USAGE', `the limit must be at least 1; ${EVALUATE_USAGE}`);
    } else if (/^[A-Za-z0-9_.-]{1,64}$/.test(word)) {
      if (split !== undefined) throw new MemeguardError('USAGE', EVALUATE_USAGE);
      split = word;
    } else {
      throw new MemeguardError('USAGE', `“${word.slice(0, 40)}” is not a split name; ${EVALUATE_USAGE}`);
    }
  }
  return { cancel: false, split, limit };
}


const CONFIG_USAGE = `usage: /memeguard-config show  |  /memeguard-config set <key> <value>  (keys: ${SETTING_KEYS.join(', ')})`;

export type ConfigArgs = { show: true } | { show: false; key: SettingKey; value: string };

/**
 * Slack sends channel mentions as `<#C0123|general>` and user groups as `<!subteam^S0123|@mods>`: the ids are kept,
 * so `set mod-log-channel #mods` stores the channel id.
 */
function slackIds(value: string): string {
  return value
    .replace(/<#([CG][A-Z0-9]+)(?:\|[^>]*)?>/g, '$1')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>/g, '$1')
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, '$1');
}

export function parseConfigArguments(text: string): ConfigArgs {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const verb = (words[0] ?? 'show').toLowerCase();
  if (verb === 'show' && words.length <= 1) return { show: true };
  if (verb !== 'set' || words.length < 3) throw new MemeguardError('USAGE', CONFIG_USAGE);
  const key = words[1]!.toLowerCase() as SettingKey;
  if (!SETTING_KEYS.includes(key)) throw new MemeguardError('USAGE', `unknown setting “${words[1]!.slice(0, 40)}”; ${CONFIG_USAGE}`);
  return { show: false, key, value: slackIds(words.slice(2).join(' ')) };
}
