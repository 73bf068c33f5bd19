import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  EmbedBuilder,
  type APIEmbed,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
} from 'discord.js';
import { CANCEL_EVALUATION_ID } from '../../bot/review-ids.js';
import type { ModLogEntry, NeutralReply, ReviewButton, VerdictSummary } from '../../bot/types.js';

/** Neutral replies as Discord message payloads (content, embeds, buttons, files). */

export interface DiscordPayload {
  content?: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIComponentInMessageActionRow>[];
  files?: AttachmentBuilder[];
}

const RED = 0xd83c3e;
const GREEN = 0x2e9e5b;
const GREY = 0x7f8c8d;
const BLUE = 0x3b82f6;

const pct = (p: number | null) => (p === null ? 'n/a' : `${(p * 100).toFixed(1)}%`);

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function verdictFields(v: VerdictSummary) {
  const fields = [
    { name: 'Verdict', value: `${v.verdict === 'hateful' ? 'Hateful' : 'Not hateful'} (${pct(v.score)} vs ${pct(v.threshold)})`, inline: true },
    { name: 'Text', value: pct(v.textScore), inline: true },
    { name: 'Image', value: pct(v.imageScore), inline: true },
    { name: `Caption (${v.captionSource})`, value: clip(v.caption ? v.caption : '(none read)', 1024) },
  ];
  if (v.explanation) fields.push({ name: 'Why', value: clip(v.explanation, 1024), inline: false });
  if (v.topWords.length) fields.push({ name: 'Words', value: clip(v.topWords.map((w) => `${w.word} (+${w.effect.toFixed(2)})`).join(', '), 1024), inline: false });
  return fields;
}

function buttonStyle(b: ReviewButton['style']): ButtonStyle {
  return b === 'danger' ? ButtonStyle.Danger : b === 'primary' ? ButtonStyle.Primary : ButtonStyle.Secondary;
}

export function renderReply(reply: NeutralReply): DiscordPayload {
  switch (reply.kind) {
    case 'verdict': {
      const v = reply.verdict;
      const embed = new EmbedBuilder()
        .setTitle(clip(reply.title, 256))
        .setColor(v.verdict === 'hateful' ? RED : GREEN)
        .addFields(verdictFields(v))
        .setFooter({ text: clip(`${v.fusion}${v.cached ? ' · recorded verdict reused' : ''} · sha256 ${v.imageSha256.slice(0, 12)}`, 2048) });
      const head = reply.text.split('\n')[0] ?? '';
      return { content: clip(head, 2000), embeds: [embed.toJSON()], components: [] };
    }
    case 'report': {
      const files = reply.rocPng ? [new AttachmentBuilder(Buffer.from(reply.rocPng), { name: reply.rocName ?? 'roc.png' })] : [];
      const embed = new EmbedBuilder().setTitle(clip(reply.title, 256)).setColor(BLUE).setDescription(clip('```\n' + reply.table + '\n```', 4096));
      if (reply.rocPng) embed.setImage(`attachment://${reply.rocName ?? 'roc.png'}`);
      return { content: '', embeds: [embed.toJSON()], components: [], files };
    }
    case 'progress': {
      const components = reply.cancellable
        ? [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(CANCEL_EVALUATION_ID).setLabel('Cancel').setStyle(ButtonStyle.Secondary)).toJSON()]
        : [];
      return { content: clip(reply.text, 2000), embeds: [], components };
    }
    case 'error':
      return { content: clip(`❌ ${reply.text}`, 2000), embeds: [], components: [] };
    case 'config':
      return { content: clip('```\n' + reply.text + '\n```', 2000), embeds: [], components: [] };
    case 'info':
      return { content: clip(reply.text, 2000), embeds: [], components: [] };
  }
}

export function renderModLog(entry: ModLogEntry): DiscordPayload {
  const embed = new EmbedBuilder()
    .setTitle(clip(`${entry.title} — #${entry.judgementId}`, 256))
    .setColor(entry.verdict.verdict === 'hateful' ? RED : GREY)
    .setDescription(clip(`${entry.link ? `[Jump to the message](${entry.link})` : `message ${entry.messageId}`} in <#${entry.channelId}> by <@${entry.authorId}>`, 4096))
    .addFields(...verdictFields(entry.verdict), { name: 'Action', value: clip(entry.actionTaken || 'none', 1024) });
  if (entry.link) embed.setURL(entry.link);
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    entry.buttons.map((b) => new ButtonBuilder().setCustomId(b.customId).setLabel(b.label).setStyle(buttonStyle(b.style))),
  );
  return { content: '', embeds: [embed.toJSON()], components: [row.toJSON()] };
}
