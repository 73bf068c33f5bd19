/**
 * A fake Discord on 127.0.0.1 that speaks the real wire formats, so the real discord.js client runs against it:
 * - REST under /api/v10 (JSON and multipart/form-data bodies): users/@me, gateway/bot, application command bulk
 *   overwrites (global and guild), channel messages POST/PATCH/DELETE, own reactions PUT, DM channels,
 *   interaction callbacks, webhook @original PATCH and follow-ups. Every request is recorded.
 * - the v10 gateway over a websocket (json encoding, no compression): HELLO, IDENTIFY (token checked) → READY
 *   (with the application) → GUILD_CREATE (channels, roles, members), heartbeats answered with ACK, then
 *   MESSAGE_CREATE / MESSAGE_UPDATE / INTERACTION_CREATE dispatched on demand.
 * - a CDN route (`/attachments/...`) serving generated images, plus routes that stream forever or stall.
 * - failure switches: answer 403 to DELETEs of chosen messages, answer one 429 (retry_after) to a chosen route.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface RecordedRequest {
  method: string;
  /** Path under /api/v10, e.g. /channels/1/messages. */
  path: string;
  query: Record<string, string>;
  authorization: string | null;
  /** The JSON body, or payload_json of a multipart body. */
  body: any;
  /** Files of a multipart body. */
  files: { field: string; name: string; size: number; contentType: string; bytes: Uint8Array }[];
  status: number;
}

export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

/** Discord permission bits used by the tests. */
export const PERMISSIONS = { administrator: 1n << 3n, manageMessages: 1n << 13n, none: 0n };

let nextSnowflake = 1_300_000_000_000_000_000n;
/** A fresh, increasing snowflake. */
export function snowflake(): string {
  nextSnowflake += 1n;
  return nextSnowflake.toString();
}

function userObject(u: FakeUser) {
  return { id: u.id, username: u.username, discriminator: '0', global_name: u.username, avatar: null, bot: u.bot ?? false, flags: 0, public_flags: 0 };
}

export interface FakeDiscordOptions {
  token?: string;
  heartbeatIntervalMs?: number;
}

export class FakeDiscord {
  readonly token: string;
  readonly applicationId = snowflake();
  readonly guildId = snowflake();
  readonly botUser: FakeUser = { id: this.applicationId, username: 'memeguard', bot: true };
  readonly owner: FakeUser = { id: snowflake(), username: 'owner' };
  readonly channels = { general: snowflake(), memes: snowflake(), modLog: snowflake() };
  readonly roles = { everyone: this.guildId, trusted: snowflake() };

  readonly requests: RecordedRequest[] = [];
  readonly gatewayEvents: { op: number; t?: string }[] = [];
  identifies: any[] = [];
  heartbeats = 0;
  /** Message ids whose DELETE is answered 403 Missing Permissions. */
  readonly denyDelete = new Set<string>();
  /** Whether DM channel creation is refused (DMs closed). */
  denyDm = false;

  private server!: Server;
  private wss!: WebSocketServer;
  private sockets = new Set<WebSocket>();
  private seq = 0;
  private readonly cdn = new Map<string, { bytes: Uint8Array; contentType: string }>();
  private rateLimitOnce: { method: string; pattern: RegExp; retryAfterS: number } | null = null;
  private readonly heartbeatIntervalMs: number;
  private readonly waiters: { test: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  private readonly messages = new Map<string, any>();
  private readonly cdnHits: string[] = [];
  baseUrl = '';

  constructor(options: FakeDiscordOptions = {}) {
    this.token = options.token ?? 'fake-bot-token-' + 'x'.repeat(24);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
  }

  /** REST base for DISCORD_API_URL / rest.api. */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}/gateway`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(e), code: 0 }));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/gateway')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGatewayConnection(ws, req));
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------------ CDN

  /** Serve bytes on the CDN route; returns an attachment object as Discord would put it in a message. */
  addAttachment(filename: string, bytes: Uint8Array, options: { contentType?: string; declaredSize?: number } = {}): FakeAttachment {
    const id = snowflake();
    const path = `/attachments/${this.channels.memes}/${id}/${encodeURIComponent(filename)}`;
    const contentType = options.contentType ?? 'image/png';
    this.cdn.set(path, { bytes, contentType });
    const url = `${this.baseUrl}${path}?ex=1&is=2&hm=3`;
    return { id, filename, size: options.declaredSize ?? bytes.byteLength, url, proxy_url: url, content_type: contentType };
  }

  /** CDN paths requested so far. */
  cdnRequests(): string[] {
    return [...this.cdnHits];
  }

  private async serveCdn(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    this.cdnHits.push(path);
    if (path.startsWith('/attachments/stream/')) {
      // endless stream without a Content-Length: the client must stop reading at its limit
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (!res.destroyed && sent < 200 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      res.on('close', () => this.cdnHits.push(`closed after ${sent}`));
      pump();
      return;
    }
    if (path.startsWith('/attachments/stall/')) {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(10));
      return; // never ends
    }
    if (path.startsWith('/attachments/redirect/')) {
      res.writeHead(302, { location: 'http://example.com/x.png' });
      res.end();
      return;
    }
    const file = this.cdn.get(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes.byteLength) });
    res.end(Buffer.from(file.bytes));
  }

  // ------------------------------------------------------------------------------------------------ REST

  /** Answer the next request matching method + path pattern with 429 and retry_after. */
  rateLimitNext(method: string, pattern: RegExp, retryAfterS = 0.3): void {
    this.rateLimitOnce = { method, pattern, retryAfterS };
  }

  /** Recorded requests matching method and a path pattern. */
  find(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  /** Resolves with the first request (already recorded or future) for which `test` holds. */
  waitFor(test: (r: RecordedRequest) => boolean, timeoutMs = 60_000): Promise<RecordedRequest> {
    const found = this.requests.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fake discord: timed out waiting for a request')), timeoutMs);
      this.waiters.push({
        test,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }

  /** Resolves when `count` requests satisfy `test`. */
  async waitForCount(test: (r: RecordedRequest) => boolean, count: number, timeoutMs = 120_000): Promise<RecordedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hits = this.requests.filter(test);
      if (hits.length >= count) return hits;
      if (Date.now() > deadline) throw new Error(`fake discord: ${hits.length} of ${count} requests arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private record(r: RecordedRequest): void {
    this.requests.push(r);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.test(r)) {
        this.waiters.splice(i, 1);
        w.resolve(r);
      }
    }
  }

  private async readBody(req: IncomingMessage): Promise<{ body: any; files: RecordedRequest['files'] }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    if (raw.length === 0) return { body: null, files: [] };
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      let body: any = null;
      const files: RecordedRequest['files'] = [];
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') body = JSON.parse(value);
        } else {
          const bytes = new Uint8Array(await value.arrayBuffer());
          files.push({ field, name: value.name, size: bytes.byteLength, contentType: value.type, bytes });
        }
      }
      return { body, files };
    }
    return { body: JSON.parse(raw.toString('utf8')), files: [] };
  }

  private send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): number {
    if (body === undefined) {
      res.writeHead(status, headers);
      res.end();
    } else {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    }
    return status;
  }

  /** A message object as Discord returns it. */
  messageObject(channelId: string, author: FakeUser, fields: Record<string, any> = {}) {
    const id = fields.id ?? snowflake();
    const m = {
      id,
      channel_id: channelId,
      guild_id: this.guildId,
      author: userObject(author),
      content: '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      type: 0,
      flags: 0,
      ...fields,
    };
    this.messages.set(id, m);
    return m;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname.startsWith('/attachments/')) return this.serveCdn(req, res, url.pathname);
    if (!url.pathname.startsWith('/api/v10/')) {
      this.send(res, 404, { message: '404: Not Found', code: 0 });
      return;
    }
    // discord.js percent-encodes "@original"; record the path as Discord documents it
    const path = url.pathname.slice('/api/v10'.length).replace(/%40original$/, '@original');
    const method = req.method ?? 'GET';
    const { body, files } = await this.readBody(req);
    const rec: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization ?? null,
      body,
      files,
      status: 0,
    };
    rec.status = this.answer(rec, res);
    this.record(rec);
  }

  private answer(r: RecordedRequest, res: ServerResponse): number {
    const { method, path, body } = r;
    const rl = this.rateLimitOnce;
    if (rl && rl.method === method && rl.pattern.test(path)) {
      this.rateLimitOnce = null;
      return this.send(
        res,
        429,
        { message: 'You are being rate limited.', retry_after: rl.retryAfterS, global: false },
        {
          'retry-after': String(rl.retryAfterS),
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset-after': String(rl.retryAfterS),
          'x-ratelimit-bucket': 'fakebucket',
          'x-ratelimit-scope': 'user',
        },
      );
    }
    const isInteraction = path.startsWith('/interactions/') || path.startsWith('/webhooks/');
    if (!isInteraction && r.authorization !== `Bot ${this.token}`) return this.send(res, 401, { message: '401: Unauthorized', code: 0 });

    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return this.send(res, 200, {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/users/@me') return this.send(res, 200, userObject(this.botUser));
    if (method === 'PUT' && (m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      const list = (body as any[]).map((c) => ({ ...c, id: snowflake(), application_id: m![1], guild_id: m![2], version: snowflake() }));
      return this.send(res, 200, list);
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      if (this.denyDm) return this.send(res, 403, { message: 'Cannot send messages to this user', code: 50007 });
      return this.send(res, 200, { id: `dm-${body.recipient_id}`, type: 1, recipients: [userObject({ id: body.recipient_id, username: 'user' })] });
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/([\w-]+)\/messages$/))) {
      return this.send(res, 200, this.messageObject(m[1]!, this.botUser, { ...(body ?? {}), attachments: this.attachmentsOf(r) }));
    }
    if (method === 'PATCH' && (m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      return this.send(res, 200, this.messageObject(m[1]!, this.botUser, { ...(body ?? {}), id: m[2] }));
    }
    if (method === 'DELETE' && (m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      if (this.denyDelete.has(m[2]!)) return this.send(res, 403, { message: 'Missing Permissions', code: 50013 });
      this.messages.delete(m[2]!);
      return this.send(res, 204);
    }
    if (method === 'PUT' && /^\/channels\/\d+\/messages\/\d+\/reactions\/[^/]+\/@me$/.test(path)) return this.send(res, 204);
    if (method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      if (r.query.with_response === 'true') return this.send(res, 200, { interaction: { id: path.split('/')[2], type: 2 }, resource: { type: body.type } });
      return this.send(res, 204);
    }
    if (method === 'PATCH' && (m = path.match(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/))) {
      return this.send(res, 200, this.messageObject(this.channels.memes, this.botUser, { ...(body ?? {}), webhook_id: m[1], attachments: this.attachmentsOf(r) }));
    }
    if (method === 'POST' && (m = path.match(/^\/webhooks\/(\d+)\/([^/]+)$/))) {
      return this.send(res, 200, this.messageObject(this.channels.memes, this.botUser, { ...(body ?? {}), webhook_id: m[1], attachments: this.attachmentsOf(r) }));
    }
    return this.send(res, 404, { message: `fake discord has no route ${method} ${path}`, code: 0 });
  }

  private attachmentsOf(r: RecordedRequest) {
    return r.files.map((f) => ({ id: snowflake(), filename: f.name, size: f.size, url: `${this.baseUrl}/attachments/x/${f.name}`, proxy_url: `${this.baseUrl}/attachments/x/${f.name}` }));
  }

  // ------------------------------------------------------------------------------------------------ gateway

  private sendWs(ws: WebSocket, payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void {
    this.gatewayEvents.push({ op: payload.op, t: payload.t ?? undefined });
    ws.send(JSON.stringify({ s: null, t: null, ...payload }));
  }

  private onGatewayConnection(ws: WebSocket, req: IncomingMessage): void {
    const q = new URL(req.url ?? '/', this.baseUrl).searchParams;
    if (q.get('v') !== '10' || q.get('encoding') !== 'json' || q.has('compress')) {
      ws.close(4012, 'Invalid API version or encoding');
      return;
    }
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (raw) => this.onGatewayMessage(ws, JSON.parse(String(raw))));
    this.sendWs(ws, { op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs } });
  }

  private onGatewayMessage(ws: WebSocket, payload: { op: number; d: any }): void {
    switch (payload.op) {
      case 1: // heartbeat
        this.heartbeats++;
        this.sendWs(ws, { op: 11, d: null });
        return;
      case 2: {
        // identify
        this.identifies.push(payload.d);
        if (payload.d?.token !== this.token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        this.sendWs(ws, {
          op: 0,
          t: 'READY',
          s: ++this.seq,
          d: {
            v: 10,
            user: userObject(this.botUser),
            guilds: [{ id: this.guildId, unavailable: true }],
            session_id: 'fake-session-' + snowflake(),
            resume_gateway_url: this.gatewayUrl,
            shard: [0, 1],
            application: { id: this.applicationId, flags: 0 },
            private_channels: [],
            presences: [],
            relationships: [],
            guild_join_requests: [],
            user_settings: {},
          },
        });
        this.sendWs(ws, { op: 0, t: 'GUILD_CREATE', s: ++this.seq, d: this.guildObject() });
        return;
      }
      default:
        return; // presence updates etc.
    }
  }

  guildObject() {
    const text = (id: string, name: string, position: number) => ({ id, type: 0, name, guild_id: this.guildId, position, permission_overwrites: [], nsfw: false, parent_id: null, topic: null, rate_limit_per_user: 0 });
    const role = (id: string, name: string, permissions: bigint, position: number) => ({ id, name, permissions: permissions.toString(), position, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, managed: false, mentionable: false, flags: 0, icon: null, unicode_emoji: null });
    return {
      id: this.guildId,
      name: 'Fake Meme Server',
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: this.owner.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [role(this.roles.everyone, '@everyone', 1024n | 2048n | 65536n, 0), role(this.roles.trusted, 'trusted', 1024n | 2048n, 1)],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [{ user: userObject(this.botUser), roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 }],
      channels: [text(this.channels.general, 'general', 0), text(this.channels.memes, 'memes', 1), text(this.channels.modLog, 'mod-log', 2)],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** Send a dispatch to every connected gateway client. */
  dispatch(t: string, d: unknown): void {
    for (const ws of this.sockets) this.sendWs(ws, { op: 0, t, s: ++this.seq, d });
  }

  get connected(): number {
    return this.sockets.size;
  }

  // ------------------------------------------------------------------------------------------------ scenario helpers

  memberObject(user: FakeUser, roles: string[] = [], permissions?: bigint) {
    return {
      user: userObject(user),
      roles,
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      ...(permissions !== undefined ? { permissions: permissions.toString() } : {}),
    };
  }

  /** Dispatch MESSAGE_CREATE of a user's message with attachments/embeds; returns the message object. */
  postMessage(author: FakeUser, options: { id?: string; channelId?: string; content?: string; attachments?: FakeAttachment[]; embeds?: unknown[]; roles?: string[] } = {}) {
    const channelId = options.channelId ?? this.channels.memes;
    const msg = this.messageObject(channelId, author, {
      id: options.id ?? snowflake(),
      content: options.content ?? '',
      attachments: options.attachments ?? [],
      embeds: options.embeds ?? [],
    });
    this.dispatch('MESSAGE_CREATE', { ...msg, member: this.memberObject(author, options.roles ?? []) });
    return msg;
  }

  /** Dispatch MESSAGE_UPDATE with new attachments. */
  editMessage(message: any, attachments: FakeAttachment[]) {
    const updated = { ...message, attachments, edited_timestamp: new Date().toISOString() };
    this.messages.set(message.id, updated);
    this.dispatch('MESSAGE_UPDATE', { ...updated, member: this.memberObject({ id: message.author.id, username: message.author.username }) });
    return updated;
  }

  private interactionBase(user: FakeUser, permissions: bigint, channelId: string) {
    const id = snowflake();
    return {
      id,
      token: `itoken-${id}`,
      application_id: this.applicationId,
      guild_id: this.guildId,
      guild: { id: this.guildId, locale: 'en-US', features: [] },
      channel_id: channelId,
      channel: { id: channelId, type: 0, guild_id: this.guildId, name: 'memes', position: 1, permission_overwrites: [], nsfw: false, parent_id: null, flags: 0 },
      member: this.memberObject(user, [], permissions),
      version: 1,
      app_permissions: (PERMISSIONS.administrator | PERMISSIONS.manageMessages).toString(),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: 26_214_400,
    };
  }

  /** Dispatch a slash command; returns the interaction (its id and token address the callback and webhook). */
  slashCommand(user: FakeUser, permissions: bigint, name: string, options: unknown[] = [], resolved?: unknown, channelId = this.channels.memes) {
    const i = {
      ...this.interactionBase(user, permissions, channelId),
      type: 2,
      data: { id: snowflake(), name, type: 1, options, ...(resolved ? { resolved } : {}), guild_id: this.guildId },
    };
    this.dispatch('INTERACTION_CREATE', i);
    return i;
  }

  /** `/check image:<attachment>`. */
  checkCommand(user: FakeUser, attachment: FakeAttachment) {
    return this.slashCommand(user, PERMISSIONS.none, 'check', [{ name: 'image', type: 11, value: attachment.id }], { attachments: { [attachment.id]: attachment } });
  }

  /** The message context-menu command "Check meme" on a message object. */
  checkMemeCommand(user: FakeUser, message: any) {
    const i = {
      ...this.interactionBase(user, PERMISSIONS.none, message.channel_id),
      type: 2,
      data: { id: snowflake(), name: 'Check meme', type: 3, target_id: message.id, resolved: { messages: { [message.id]: message } }, guild_id: this.guildId },
    };
    this.dispatch('INTERACTION_CREATE', i);
    return i;
  }

  /** `/memeguard config set key value` or `/memeguard config show`. */
  configCommand(user: FakeUser, permissions: bigint, sub: 'show' | 'set', key?: string, value?: string) {
    const subOptions = sub === 'set' ? [{ name: 'key', type: 3, value: key }, { name: 'value', type: 3, value }] : [];
    return this.slashCommand(user, permissions, 'memeguard', [{ name: 'config', type: 2, options: [{ name: sub, type: 1, options: subOptions }] }]);
  }

  /** A click on a button of a message the bot posted. */
  clickButton(user: FakeUser, permissions: bigint, customId: string, message: any) {
    const i = {
      ...this.interactionBase(user, permissions, message.channel_id ?? this.channels.modLog),
      type: 3,
      data: { custom_id: customId, component_type: 2 },
      message: { ...this.messageObject(message.channel_id ?? this.channels.modLog, this.botUser, { id: message.id ?? snowflake() }), ...message },
    };
    this.dispatch('INTERACTION_CREATE', i);
    return i;
  }

  /** Requests answering one interaction: its callback and its webhook edits/follow-ups. */
  interactionRequests(interaction: { id: string; token: string }): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(`/interactions/${interaction.id}/`) || r.path.includes(`/${interaction.token}`));
  }

  /** The last PATCH of an interaction's original response (waits for `predicate`). */
  waitForEdit(interaction: { token: string }, predicate: (r: RecordedRequest) => boolean = () => true, timeoutMs = 60_000) {
    return this.waitFor((r) => r.method === 'PATCH' && r.path === `/webhooks/${this.applicationId}/${interaction.token}/messages/@original` && predicate(r), timeoutMs);
  }
}
