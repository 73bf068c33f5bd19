/**
 * Neutral replies (src/bot/types.ts) rendered as Slack messages: a plain-text fallback plus Block Kit blocks.
 * Everything a user or a model wrote (captions, titles) is escaped, so a caption cannot ping @channel.
 */
import type { types } from '@slack/bolt';
import { verdictLines } from '../../bot/messages.js';
import { CANCEL_EVALUATION_ID } from '../../bot/review-ids.js';
import type { ModLogEntry, NeutralReply, ReviewButton } from '../../bot/types.js';

type KnownBlock = types.KnownBlock;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits: section text 3000 characters, header 150, button text 75. */
const SECTION_MAX = 3000;

/** Escapes &, < and > the way Slack's mrkdwn wants (so `<!channel>` in a caption stays text). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes a text the moderator wrote but keeps its user and channel mentions (`<@U…>`, `<#C…>`), which the neutral
 * messages write in the same syntax Slack uses. Broadcasts (`<!channel>`, `<!here>`) and links are escaped.
 */
export function escapeKeepingMentions(text: string): string {
  const mention = /<([@#])([UWCG][A-Z0-9]{1,20})(?:\|[^<>]*)?>/g;
  let out = '';
  let last = 0;
  for (const m of text.matchAll(mention)) {
    out += escapeMrkdwn(text.slice(last, m.index)) + `<${m[1]}${m[2]}>`;
    last = m.index! + m[0].length;
  }
  return out + escapeMrkdwn(text.slice(last));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function section(mrkdwn: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, SECTION_MAX) } };
}

function context(mrkdwn: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn, SECTION_MAX) }] };
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(2);
}

/** One neutral reply as a Slack message (the fallback `text` is escaped like the blocks: it notifies). */
export function renderReply(reply: NeutralReply): SlackMessage {
  const message = renderBlocks(reply);
  const keepMentions = reply.kind === 'info' || reply.kind === 'error';
  return { ...message, text: keepMentions ? escapeKeepingMentions(message.text) : escapeMrkdwn(message.text) };
}

function renderBlocks(reply: NeutralReply): SlackMessage {
  switch (reply.kind) {
    case 'verdict': {
      const v = reply.verdict;
      const icon = v.verdict === 'hateful' ? ':warning:' : ':white_check_mark:';
      const words = v.topWords.length > 0 ? ` · words: ${v.topWords.map((w) => escapeMrkdwn(w.word)).join(', ')}` : '';
      return {
        text: `${reply.title}: ${reply.text}`,
        blocks: [
          section(`${icon} *${escapeMrkdwn(reply.title)}*\n${escapeMrkdwn(reply.text)}`),
          context(
            `score ${v.score.toFixed(2)} (threshold ${v.threshold.toFixed(2)}, ${escapeMrkdwn(v.fusion)}) · text ${pct(v.textScore)} · ` +
              `image ${pct(v.imageScore)}${words}${v.cached ? ' · cached' : ''}`,
          ),
        ],
      };
    }
    case 'report': {
      const table = clip(reply.table, SECTION_MAX - 10);
      return {
        text: `${reply.title}\n${reply.text}`,
        blocks: [section(`:bar_chart: *${escapeMrkdwn(reply.title)}*`), section('```' + table + '```')],
      };
    }
    case 'error':
      return { text: `⚠ ${reply.text}`, blocks: [section(`:warning: ${escapeKeepingMentions(reply.text)}`)] };
    case 'progress': {
      const blocks: KnownBlock[] = [section(`:hourglass_flowing_sand: ${escapeMrkdwn(reply.text)}`)];
      if (reply.cancellable) {
        blocks.push({
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'Cancel' }, action_id: CANCEL_EVALUATION_ID, value: 'cancel' }],
        });
      }
      return { text: reply.text, blocks };
    }
    case 'config':
      return { text: reply.text, blocks: [section('```' + clip(reply.text, SECTION_MAX - 10) + '```')] };
    case 'info':
      return { text: reply.text, blocks: [section(escapeKeepingMentions(reply.text))] };
  }
}

/** Why Delete is missing from a mod-log entry. */
export const DELETE_NEEDS_ADMIN_TOKEN =
  'Delete is not offered: Slack lets only a workspace admin delete other members’ messages, and memeguard has no admin user token (SLACK_ADMIN_TOKEN).';

function button(b: ReviewButton, judgementId: number) {
  return {
    type: 'button' as const,
    text: { type: 'plain_text' as const, text: clip(b.label, 75) },
    action_id: b.customId,
    value: String(judgementId),
    ...(b.style === 'secondary' ? {} : { style: b.style }),
  };
}

/**
 * A mod-log entry with its review buttons (action_id = the neutral custom id, value = the judgement id).
 * `canDelete` false drops the Delete button and says why.
 */
export function renderModLogEntry(entry: ModLogEntry, options: { canDelete: boolean }): SlackMessage {
  const buttons = entry.buttons.filter((b) => options.canDelete || b.decision !== 'delete');
  const v = entry.verdict;
  const link = entry.link && /^https:\/\/[^\s<>|]+$/.test(entry.link) ? entry.link : undefined;
  const where = link ? `<${link.replace(/&/g, '&amp;')}|message> in <#${entry.channelId}>` : `a message in <#${entry.channelId}>`;
  // Composed from the entry's fields rather than its neutral text, so that only memeguard's own mentions are live.
  const blocks: KnownBlock[] = [
    section(`:rotating_light: *${escapeMrkdwn(entry.title)}*\n${where} by <@${entry.authorId}>\n${verdictLines(v).map(escapeMrkdwn).join('\n')}`),
    context(
      `score ${v.score.toFixed(2)} (threshold ${v.threshold.toFixed(2)}) · text ${pct(v.textScore)} · image ${pct(v.imageScore)} · ` +
        `action: ${escapeMrkdwn(entry.actionTaken)} · judgement #${entry.judgementId}`,
    ),
  ];
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `mg-review-${entry.judgementId}`, elements: buttons.map((b) => button(b, entry.judgementId)) });
  if (!options.canDelete && entry.buttons.some((b) => b.decision === 'delete')) blocks.push(context(DELETE_NEEDS_ADMIN_TOKEN));
  return { text: escapeMrkdwn(`${entry.title} (judgement #${entry.judgementId}): ${v.verdict === 'hateful' ? 'hateful' : 'not hateful'}, score ${v.score.toFixed(2)}`), blocks };
}
