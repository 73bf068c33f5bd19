/**
 * The Slack app: a @slack/bolt App on the HTTP Events API (signed requests, PORT) or Socket Mode, turning Slack
 * events, commands, the "Check meme" shortcut and review buttons into the moderator's neutral requests, and its
 * replies back into Slack messages. Every listener acknowledges first (Slack's 3 seconds) and works after.
 */
import { App, HTTPReceiver, SocketModeReceiver, type webApi } from '@slack/bolt';
import { CANCEL_EVALUATION_ID, parseReviewId } from '../../bot/review-ids.js';
import type { CommandRequest, ModeratorApi, NeutralReply, Requester, WorkspaceRef } from '../../bot/types.js';
import { asMemeguardError, MemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import { escapeKeepingMentions, renderReply, type SlackMessage } from './blocks.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackConfig } from './config.js';
import { SlackCommandPort, SlackPort, slackErrorOf, type SlackPortDeps } from './port.js';
import {
  imagePostFromMessage,
  incomingImage,
  isImageFile,
  MessageEventSchema,
  needsFileInfo,
  parseCheckArgument,
  parseConfigArguments,
  parseEvaluateArguments,
  parseFiles,
  SlackFileSchema,
  type SlackFile,
} from './requests.js';

type WebClient = webApi.WebClient;

/** The message shortcut's callback id (slack-manifest.yaml). */
export const CHECK_MEME_CALLBACK_ID = 'check_meme';
export const COMMANDS = { check: '/check', evaluate: '/evaluate', config: '/memeguard-config' } as const;

export interface SlackAdapterOptions {
  config: SlackConfig;
  moderator: ModeratorApi;
  /** How long an admin lookup (users.info) is trusted, ms (default 60 s). */
  adminCacheMs?: number;
  /** Socket Mode: give up starting when no connection is up after this long, ms (default 60 s). */
  connectTimeoutMs?: number;
}

export interface SlackAdapter {
  readonly app: App;
  /** Starts listening (HTTP: on config.port, 0 picks a free one) or connects (Socket Mode). */
  start(): Promise<{ transport: SlackConfig['transport']; port?: number }>;
  stop(): Promise<void>;
}

type Respond = (message: Record<string, unknown>) => Promise<unknown>;

/** An ephemeral answer through the response_url (works in channels the bot is not in). */
async function answer(respond: Respond, message: SlackMessage): Promise<void> {
  try {
    await respond({ response_type: 'ephemeral', replace_original: false, ...message });
  } catch (e) {
    logger.warn('slack response_url answer failed', { error: slackErrorOf(e) });
  }
}

function errorMessage(e: unknown): SlackMessage {
  const err = asMemeguardError(e);
  return renderReply({ kind: 'error', code: err.code, text: err.toLine() });
}

/** The HTTP receiver could not listen on PORT: the operator's setting, said in one line. */
function listenError(e: unknown, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new MemeguardError('BAD_INPUT', `cannot listen on port ${port} for Slack events: the port is already in use`, {
      hint: 'set PORT to a free port, or stop what is using it',
      cause: e,
    });
  }
  if (code === 'EACCES') {
    return new MemeguardError('PERMISSION_DENIED', `cannot listen on port ${port} for Slack events: permission denied`, {
      hint: 'set PORT to 1024 or above',
      cause: e,
    });
  }
  return e;
}

export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { config, moderator } = options;
  const adminCacheMs = options.adminCacheMs ?? 60_000;
  const clientOptions = config.apiUrl ? { slackApiUrl: config.apiUrl } : {};
  const boltLog = boltLogger();

  const receiver =
    config.transport === 'socket'
      ? new SocketModeReceiver({ appToken: config.appToken!, logger: boltLog, installerOptions: { clientOptions } })
      : new HTTPReceiver({ signingSecret: config.signingSecret!, port: config.port, logger: boltLog, processBeforeResponse: false });

  const app = new App({ token: config.botToken, receiver, clientOptions, logger: boltLog, ignoreSelf: true });
  const client: WebClient = app.client;
  const adminClient = config.adminToken ? new (app.client.constructor as typeof webApi.WebClient)(config.adminToken, { ...clientOptions, logger: boltLog }) : undefined;
  const deps: SlackPortDeps = {
    client,
    botToken: config.botToken,
    adminClient,
    extraHosts: config.apiUrl ? [new URL(config.apiUrl).host] : [],
  };
  const port = new SlackPort(deps);

  // ------------------------------------------------------------------------------------------------ who asks

  const adminCache = new Map<string, { isAdmin: boolean; at: number }>();
  async function isWorkspaceAdmin(userId: string): Promise<boolean> {
    if (config.admins.includes(userId)) return true;
    const cached = adminCache.get(userId);
    if (cached && Date.now() - cached.at < adminCacheMs) return cached.isAdmin;
    try {
      const info = await client.users.info({ user: userId });
      const isAdmin = Boolean(info.user?.is_admin || info.user?.is_owner || info.user?.is_primary_owner);
      adminCache.set(userId, { isAdmin, at: Date.now() });
      return isAdmin;
    } catch (e) {
      logger.warn('slack users.info failed; treating the user as a member', { user: userId, error: slackErrorOf(e) });
      return false;
    }
  }

  async function requester(teamId: string, userId: string, channelId?: string): Promise<Requester> {
    return { platform: 'slack', workspaceId: teamId, userId, isAdmin: await isWorkspaceAdmin(userId), roles: [], channelId };
  }

  // ------------------------------------------------------------------------------------------------ files

  async function fileInfo(fileId: string): Promise<SlackFile> {
    try {
      const info = await client.files.info({ file: fileId });
      const parsed = SlackFileSchema.safeParse(info.file);
      if (!parsed.success) throw new MemeguardError('BAD_INPUT', `Slack's files.info answer for ${fileId} is not a file`);
      return parsed.data;
    } catch (e) {
      if (e instanceof MemeguardError) throw e;
      const error = slackErrorOf(e);
      if (error === 'file_not_found' || error === 'file_deleted') {
        throw new MemeguardError('BAD_INPUT', `memeguard cannot see file ${fileId} (deleted, or shared where the app is not)`);
      }
      throw new MemeguardError('DOWNLOAD_FAILED', `Slack files.info failed: ${error}`, { cause: e });
    }
  }

  /** Files of a message with stubs (Slack Connect) completed through files.info. */
  async function resolveFiles(files: SlackFile[]): Promise<SlackFile[]> {
    return Promise.all(files.map((f) => (needsFileInfo(f) ? fileInfo(f.id).catch(() => f) : Promise.resolve(f))));
  }

  function firstImage(files: SlackFile[]): SlackFile {
    if (files.length === 0) throw new MemeguardError('BAD_INPUT', 'that message has no file to check');
    const image = files.find(isImageFile);
    if (!image) {
      throw new MemeguardError('NOT_AN_IMAGE', `“${files[0]!.name ?? files[0]!.id}” is not an image (${files[0]!.mimetype ?? 'unknown type'}); memeguard checks images only`);
    }
    return image;
  }

  async function messageFiles(channel: string, ts: string): Promise<SlackFile[]> {
    try {
      const history = await client.conversations.history({ channel, latest: ts, inclusive: true, limit: 1 });
      const message = history.messages?.find((m) => m.ts === ts);
      if (!message) throw new MemeguardError('BAD_INPUT', 'memeguard cannot see that message (is the app in the channel?)');
      return resolveFiles(parseFiles(message.files as unknown[] | undefined));
    } catch (e) {
      if (e instanceof MemeguardError) throw e;
      throw new MemeguardError('BAD_INPUT', `memeguard cannot read that message: ${slackErrorOf(e)}`, { cause: e });
    }
  }

  /** Judge one image file for /check or the shortcut and answer privately. */
  async function checkFile(who: Requester, file: SlackFile, respond: Respond): Promise<void> {
    const request: CommandRequest = { command: 'check', requester: who, image: incomingImage(file) };
    const reply = await moderator.handleCommand(request, new SlackCommandPort(deps, undefined));
    await answer(respond, renderReply(reply));
  }

  // ------------------------------------------------------------------------------------------------ events

  // Slack redelivers an event it thinks was not acknowledged in time (X-Slack-Retry-Num); judge each event once.
  const seenEvents = new Set<string>();
  const firstDelivery = (eventId: string | undefined): boolean => {
    if (!eventId) return true;
    if (seenEvents.has(eventId)) return false;
    seenEvents.add(eventId);
    if (seenEvents.size > 10_000) seenEvents.delete(seenEvents.values().next().value!);
    return true;
  };

  app.event('message', async ({ event, body }) => {
    const parsed = MessageEventSchema.safeParse(event);
    if (!parsed.success) return;
    const eventId = (body as { event_id?: unknown }).event_id;
    if (!firstDelivery(typeof eventId === 'string' ? eventId : undefined)) {
      logger.info('slack event redelivered: already handled', { eventId });
      return;
    }
    const message = parsed.data;
    if (message.subtype !== undefined && message.subtype !== 'file_share') return;
    const files = parseFiles(message.files);
    if (files.length === 0) return;
    const teamId = String((body as { team_id?: unknown }).team_id ?? '');
    const resolved = await resolveFiles(files);
    const post = imagePostFromMessage(teamId, message, resolved);
    if (post.images.length === 0) return;
    port.threads.remember(message.channel, message.ts, message.thread_ts);
    // The moderator tells the poster about images it could not judge (a neutral 'reply' action).
    await moderator.handlePost(post, port);
  });

  // ------------------------------------------------------------------------------------------------ commands

  app.command(COMMANDS.check, async ({ command, ack, respond }) => {
    await ack({ response_type: 'ephemeral', text: 'Checking…' });
    try {
      const target = parseCheckArgument(command.text);
      const file = 'fileId' in target ? await fileInfo(target.fileId) : firstImage(await messageFiles(target.channel, target.ts));
      if (!isImageFile(file)) firstImage([file]);
      await checkFile(await requester(command.team_id, command.user_id, command.channel_id), file, respond);
    } catch (e) {
      logger.warn('slack /check refused', { user: command.user_id, error: asMemeguardError(e).message });
      await answer(respond, errorMessage(e));
    }
  });

  app.command(COMMANDS.evaluate, async ({ command, ack, respond }) => {
    await ack({ response_type: 'ephemeral', text: 'Evaluation requested…' });
    try {
      const args = parseEvaluateArguments(command.text);
      const who = await requester(command.team_id, command.user_id, command.channel_id);
      if (args.cancel) {
        await answer(respond, renderReply(await moderator.handleCommand({ command: 'evaluate-cancel', requester: who }, port)));
        return;
      }
      const commandPort = new SlackCommandPort(deps, command.channel_id);
      const reply = await moderator.handleCommand({ command: 'evaluate', requester: who, split: args.split, limit: args.limit }, commandPort);
      if (reply.kind === 'error' || !(await commandPort.finish(reply))) await answer(respond, renderReply(reply));
    } catch (e) {
      logger.warn('slack /evaluate refused', { user: command.user_id, error: asMemeguardError(e).message });
      await answer(respond, errorMessage(e));
    }
  });

  app.command(COMMANDS.config, async ({ command, ack, respond }) => {
    await ack();
    try {
      const args = parseConfigArguments(command.text);
      const who = await requester(command.team_id, command.user_id, command.channel_id);
      const request: CommandRequest = args.show
        ? { command: 'config-show', requester: who }
        : { command: 'config-set', requester: who, key: args.key, value: args.value };
      await answer(respond, renderReply(await moderator.handleCommand(request, port)));
    } catch (e) {
      logger.warn('slack /memeguard-config refused', { user: command.user_id, error: asMemeguardError(e).message });
      await answer(respond, errorMessage(e));
    }
  });

  // ------------------------------------------------------------------------------------------------ shortcut

  app.shortcut(CHECK_MEME_CALLBACK_ID, async ({ shortcut, ack, respond }) => {
    await ack();
    const body = shortcut as unknown as {
      team?: { id?: string };
      user: { id: string };
      channel?: { id?: string };
      message?: { files?: unknown[] };
    };
    try {
      const files = await resolveFiles(parseFiles(body.message?.files));
      const file = firstImage(files);
      await checkFile(await requester(body.team?.id ?? '', body.user.id, body.channel?.id), file, respond as Respond);
    } catch (e) {
      logger.warn('slack Check meme refused', { user: body.user.id, error: asMemeguardError(e).message });
      await answer(respond as Respond, errorMessage(e));
    }
  });

  // ------------------------------------------------------------------------------------------------ buttons

  app.action(/^mg:review:/, async ({ action, body, ack, respond }) => {
    await ack();
    const b = body as unknown as {
      team?: { id?: string };
      user: { id: string };
      channel?: { id?: string };
      message?: { ts?: string; blocks?: { type: string }[] };
    };
    const actionId = (action as { action_id?: string }).action_id ?? '';
    const parsed = parseReviewId(actionId);
    if (!parsed) {
      logger.warn('slack review button with a malformed id ignored', { actionId: actionId.slice(0, 80), user: b.user.id });
      return;
    }
    const teamId = b.team?.id ?? '';
    const who = await requester(teamId, b.user.id, b.channel?.id);
    // In Slack the mod-log channel is the moderators' room: whoever can click there may review.
    const ref: WorkspaceRef = { platform: 'slack', workspaceId: teamId };
    const modLog = (await moderator.getSettings(ref)).modLogChannel;
    const reviewer: Requester = { ...who, isModerator: who.isAdmin || (modLog !== null && modLog === b.channel?.id) };
    const reply = await moderator.handleReview({ requester: reviewer, judgementId: parsed.judgementId, decision: parsed.decision }, port);
    if (reply.kind !== 'error' && b.channel?.id && b.message?.ts && b.message.blocks) {
      // The entry keeps its verdict; the buttons give way to who decided what.
      const blocks = b.message.blocks.filter((block) => block.type !== 'actions');
      const outcome = renderReply(reply);
      try {
        await client.chat.update({
          channel: b.channel.id,
          ts: b.message.ts,
          text: outcome.text,
          blocks: [
            ...(blocks as SlackMessage['blocks']),
            { type: 'context', elements: [{ type: 'mrkdwn', text: `:ballot_box_with_check: ${escapeKeepingMentions(reply.text)}` }] },
          ],
        });
      } catch (e) {
        logger.warn('slack mod-log update failed', { channel: b.channel.id, error: slackErrorOf(e) });
      }
    }
    await answer(respond as Respond, renderReply(reply));
  });

  app.action(CANCEL_EVALUATION_ID, async ({ body, ack, respond }) => {
    await ack();
    const b = body as unknown as { team?: { id?: string }; user: { id: string }; channel?: { id?: string } };
    const who = await requester(b.team?.id ?? '', b.user.id, b.channel?.id);
    await answer(respond as Respond, renderReply(await moderator.handleCommand({ command: 'evaluate-cancel', requester: who }, port)));
  });

  app.error(async (error) => {
    logger.error('slack listener failed', { error: error.message, code: (error as { code?: string }).code });
  });

  return {
    app,
    async start() {
      if (config.transport === 'socket') {
        // bolt retries apps.connections.open for ever; a server that cannot reach Slack should say so and stop.
        const timeoutMs = options.connectTimeoutMs ?? 60_000;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new MemeguardError('TIMEOUT', `Slack Socket Mode did not connect within ${Math.round(timeoutMs / 1000)} s`, {
                  hint: 'check SLACK_APP_TOKEN (connections:write), SLACK_API_URL and the network',
                }),
              ),
            timeoutMs,
          );
        });
        try {
          await Promise.race([app.start(), timeout]);
        } catch (e) {
          await app.stop().catch(() => undefined);
          throw e;
        } finally {
          clearTimeout(timer);
        }
        logger.info('slack connected (Socket Mode)');
        return { transport: 'socket' };
      }
      let server: { address(): { port: number } | string | null };
      try {
        server = (await app.start(config.port)) as typeof server;
      } catch (e) {
        await app.stop().catch(() => undefined);
        throw listenError(e, config.port);
      }
      const address = server.address();
      const listening = typeof address === 'object' && address ? address.port : config.port;
      logger.info('slack listening (Events API)', { port: listening });
      return { transport: 'http', port: listening };
    },
    async stop() {
      await app.stop();
    },
  };
}
