import {
  Client,
  EmbedBuilder,
  Events,
  Routes,
  GatewayIntentBits,
  Partials,
  PermissionFlagsBits,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type MessageContextMenuCommandInteraction,
  type PartialMessage,
  type RepliableInteraction,
} from 'discord.js';
import { once } from 'node:events';
import { MemeguardError, asMemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import { CANCEL_EVALUATION_ID, parseReviewId } from '../../bot/review-ids.js';
import { isSettingKey } from '../../bot/settings.js';
import type { CommandPort, ModeratorApi, NeutralReply, Requester } from '../../bot/types.js';
import { COMMAND_NAMES, registerCommands } from './commands.js';
import type { DownloadPolicy } from './download.js';
import { imageKey, imagesOf } from './images.js';
import { DiscordPort } from './port.js';
import { clip, renderReply } from './render.js';

export interface DiscordAdapterOptions {
  token: string;
  moderator: ModeratorApi;
  /** REST base (default https://discord.com/api); the gateway URL comes from GET /gateway/bot on it. */
  apiUrl?: string;
  /** Register commands in this guild only; else globally. */
  guildId?: string;
  /** Download policy: timeout, and the TEST ONLY extra CDN origin. */
  download?: DownloadPolicy;
}

export interface DiscordAdapter {
  readonly client: Client;
  /** Logs in, waits for READY, registers the application commands. */
  start(): Promise<{ applicationId: string; commands: number }>;
  /** Stops taking events, waits for the handlers in flight, disconnects. */
  stop(): Promise<void>;
}

const EPHEMERAL = 64; // MessageFlags.Ephemeral

export function createDiscordAdapter(options: DiscordAdapterOptions): DiscordAdapter {
  const { moderator } = options;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    partials: [Partials.Message, Partials.Channel],
    rest: options.apiUrl ? { api: options.apiUrl } : {},
    allowedMentions: { parse: [] },
  });
  const port = new DiscordPort(client.rest, options.download ?? {});
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;

  /** Run an event handler: tracked for shutdown, never throwing into discord.js. */
  const handle = (what: string, fn: () => Promise<unknown>) => {
    if (stopping) return;
    const p = fn().catch((e: unknown) => {
      const err = asMemeguardError(e);
      logger.error(`discord ${what} failed`, { code: err.code, error: err.message });
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  // -------------------------------------------------------------------------------------------- messages

  const judgeMessage = async (message: Message | PartialMessage, edited: boolean) => {
    if (!message.inGuild() || !message.guildId) return;
    if (message.author?.id === client.user?.id) return;
    const images = imagesOf(message);
    if (images.length === 0) return;
    const outcome = await moderator.handlePost(
      {
        platform: 'discord',
        workspaceId: message.guildId,
        channelId: message.channelId,
        messageId: message.id,
        authorId: message.author?.id ?? 'unknown',
        authorIsBot: Boolean(message.author?.bot || message.webhookId),
        roles: message.member ? [...message.member.roles.cache.keys()] : [],
        images,
        link: message.url,
        edited,
      },
      port,
    );
    logger.info('discord post judged', {
      guild: message.guildId,
      message: message.id,
      skipped: outcome.skipped,
      verdicts: outcome.judged.map((j) => j.verdict.verdict),
      failed: outcome.failed.map((f) => f.code),
    });
  };

  client.on(Events.MessageCreate, (message) => handle('message', () => judgeMessage(message, false)));
  client.on(Events.MessageUpdate, (before, after) =>
    handle('edit', async () => {
      const now = imagesOf(after);
      if (now.length === 0) return;
      if (!before.partial && imageKey(imagesOf(before)) === imageKey(now)) return;
      await judgeMessage(after, true);
    }),
  );

  // -------------------------------------------------------------------------------------------- interactions

  const requesterOf = (i: Interaction): Requester => {
    const perms = i.memberPermissions;
    const member = i.member as { roles?: string[] | { cache: Map<string, unknown> } } | null;
    const roles = !member?.roles ? [] : Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
    return {
      platform: 'discord',
      workspaceId: i.guildId ?? 'dm',
      userId: i.user.id,
      isAdmin: Boolean(perms?.has(PermissionFlagsBits.Administrator)),
      isModerator: Boolean(perms?.has(PermissionFlagsBits.ManageMessages)),
      roles,
      channelId: i.channelId ?? undefined,
    };
  };

  const edit = async (i: RepliableInteraction, reply: NeutralReply) => {
    const p = renderReply(reply);
    await i.editReply({ content: p.content ?? '', embeds: p.embeds, components: p.components, files: p.files ?? [] });
  };

  /** Defer at once (the 3-second window), then answer with the moderator's reply. */
  const deferred = async (i: RepliableInteraction, run: () => Promise<NeutralReply>) => {
    await i.deferReply({ flags: EPHEMERAL });
    let reply: NeutralReply;
    try {
      reply = await run();
    } catch (e) {
      const err = asMemeguardError(e);
      reply = { kind: 'error', code: err.code, text: err.code === 'INTERNAL' ? 'memeguard hit an internal error; it was logged.' : err.toLine() };
    }
    await edit(i, reply);
  };

  const onCheck = (i: ChatInputCommandInteraction) =>
    deferred(i, async () => {
      const a = i.options.getAttachment('image', true);
      return moderator.handleCommand(
        { command: 'check', requester: requesterOf(i), image: { url: a.url, declaredSize: a.size, name: a.name, contentType: a.contentType ?? undefined } },
        port,
      );
    });

  const onCheckMeme = (i: MessageContextMenuCommandInteraction) =>
    deferred(i, async () => {
      const image = imagesOf(i.targetMessage)[0];
      if (!image) throw new MemeguardError('BAD_INPUT', 'that message has no image to check');
      return moderator.handleCommand({ command: 'check', requester: requesterOf(i), image }, port);
    });

  const onEvaluate = async (i: ChatInputCommandInteraction) => {
    const requester = requesterOf(i);
    if (!requester.isAdmin) {
      // default_member_permissions hides the command; this is the runtime check behind it.
      await i.reply({ content: '❌ only server administrators can run an evaluation', flags: EPHEMERAL });
      return;
    }
    await deferred(i, () => {
      const commandPort: CommandPort = {
        download: (img, o) => port.download(img, o),
        perform: (a) => port.perform(a),
        progress: (reply) => edit(i, reply),
      };
      return moderator.handleCommand(
        { command: 'evaluate', requester, split: i.options.getString('split') ?? undefined, limit: i.options.getInteger('limit') ?? undefined },
        commandPort,
      );
    });
  };

  const onConfig = (i: ChatInputCommandInteraction) =>
    deferred(i, async () => {
      const requester = requesterOf(i);
      const sub = i.options.getSubcommand(true);
      if (sub === 'show') return moderator.handleCommand({ command: 'config-show', requester }, port);
      const key = i.options.getString('key', true);
      if (!isSettingKey(key)) throw new MemeguardError('BAD_INPUT', `unknown setting "${key}"`);
      return moderator.handleCommand({ command: 'config-set', requester, key, value: i.options.getString('value', true) }, port);
    });

  const onButton = async (i: ButtonInteraction) => {
    if (i.customId === CANCEL_EVALUATION_ID) {
      await deferred(i, () => moderator.handleCommand({ command: 'evaluate-cancel', requester: requesterOf(i) }, port));
      return;
    }
    const review = parseReviewId(i.customId);
    if (!review) return;
    await deferred(i, async () => {
      const reply = await moderator.handleReview({ requester: requesterOf(i), ...review }, port);
      if (reply.kind === 'info') {
        await markReviewed(i, reply.text).catch((e: unknown) => logger.warn('could not mark the mod-log entry reviewed', { error: String(e) }));
      }
      return reply;
    });
  };

  /** Show the latest review on the mod-log entry itself (the buttons stay: a review can be changed). */
  const markReviewed = async (i: ButtonInteraction, text: string) => {
    const embed = i.message.embeds[0];
    if (!embed) return;
    const fields = (embed.fields ?? []).filter((f) => f.name !== 'Review');
    const updated = EmbedBuilder.from(embed).setFields(...fields, { name: 'Review', value: clip(text, 1024) });
    await client.rest.patch(Routes.channelMessage(i.message.channelId, i.message.id), { body: { embeds: [updated.toJSON()] } });
  };

  client.on(Events.InteractionCreate, (i) =>
    handle('interaction', async () => {
      if (!i.inGuild()) {
        if (i.isRepliable()) await i.reply({ content: 'memeguard works in servers only.', flags: EPHEMERAL });
        return;
      }
      if (i.isChatInputCommand()) {
        if (i.commandName === COMMAND_NAMES.check) return onCheck(i);
        if (i.commandName === COMMAND_NAMES.evaluate) return onEvaluate(i);
        if (i.commandName === COMMAND_NAMES.memeguard) return onConfig(i);
      } else if (i.isMessageContextMenuCommand() && i.commandName === COMMAND_NAMES.checkMeme) {
        return onCheckMeme(i);
      } else if (i.isButton()) {
        return onButton(i);
      }
    }),
  );

  client.on(Events.Error, (e) => logger.error('discord client error', { error: e.message }));
  client.on(Events.Warn, (m) => logger.warn('discord client warning', { warning: m }));
  client.on(Events.ShardDisconnect, (_event, shard) => logger.warn('discord gateway disconnected', { shard }));

  return {
    client,
    async start() {
      const ready = once(client, Events.ClientReady);
      try {
        await client.login(options.token);
        await ready;
      } catch (e) {
        const err = e as Error & { code?: string };
        throw new MemeguardError('USAGE', `cannot connect to Discord: ${err.code === 'TokenInvalid' ? 'the token was refused' : err.message}`, {
          hint: 'check DISCORD_TOKEN (and DISCORD_API_URL when set)',
          cause: e,
        });
      }
      const applicationId = client.application?.id;
      if (!applicationId) throw new MemeguardError('INTERNAL', 'Discord READY carried no application id');
      const commands = await registerCommands(client.rest, applicationId, options.guildId);
      logger.info('discord ready', { user: client.user?.tag, application: applicationId, commands, scope: options.guildId ? `guild ${options.guildId}` : 'global' });
      return { applicationId, commands };
    },
    async stop() {
      stopping = true;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await client.destroy();
    },
  };
}
