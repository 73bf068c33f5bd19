/**
 * A fake Slack on 127.0.0.1 that speaks the real wire formats, so the real @slack/bolt App can run against it:
 * - the Web API (`POST /api/<method>`, form-encoded or JSON, bearer tokens checked per method) recording every call;
 * - private file downloads (`GET /files-pri/<id>/<name>`) served only with the bot token — like Slack, a request
 *   without it gets the HTML sign-in page with status 200, not the file;
 * - the files.uploadV2 flow: files.getUploadURLExternal → POST bytes to the upload URL → files.completeUploadExternal;
 * - a Socket Mode websocket (`apps.connections.open` with the app token → hello, envelopes, acks).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeUser {
  id: string;
  name: string;
  is_admin?: boolean;
  is_owner?: boolean;
}

export interface FakeFileInput {
  name: string;
  mimetype: string;
  bytes: Uint8Array;
  /** The size Slack declares in the file object; defaults to bytes.length. */
  declaredSize?: number;
  user?: string;
  channel?: string;
}

/** The file object as Slack puts it in events and files.info. */
export interface SlackFileObject {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  user: string;
  url_private: string;
  url_private_download: string;
  permalink: string;
}

export interface RecordedCall {
  method: string;
  /** The bearer token the call carried ('' when none). */
  token: string;
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
  /** What the fake answered (ok calls). */
  result?: Record<string, unknown>;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  user?: string;
  bot?: boolean;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  files?: SlackFileObject[];
}

export interface Upload {
  file_id: string;
  filename: string;
  length: number;
  bytes?: Buffer;
  uploadedWith?: string;
  completed?: { channel_id?: string; thread_ts?: string; initial_comment?: string; title?: string };
}

export interface FakeSlackOptions {
  botToken: string;
  appToken?: string;
  /** A user token with admin rights: the only token that may delete other members' messages. */
  adminToken?: string;
  teamId?: string;
  botUserId?: string;
  users?: FakeUser[];
}

type Handler = (call: { token: string; args: Record<string, unknown> }) => Record<string, unknown>;

class SlackApiError extends Error {
  constructor(readonly slackError: string) {
    super(slackError);
  }
}

/** JSON-valued fields that the Web API client sends form-encoded as strings. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'files', 'metadata']);

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly files = new Map<string, SlackFileObject & { bytes: Uint8Array }>();
  readonly messages: FakeMessage[] = [];
  readonly reactions: { channel: string; timestamp: string; name: string }[] = [];
  readonly uploads = new Map<string, Upload>();
  readonly downloads: { fileId: string; authorized: boolean }[] = [];
  /** What the app posted to response_url links (slash commands, shortcuts, buttons), in order. */
  readonly responses: { id: string; body: Record<string, unknown> }[] = [];
  /** Acks received over Socket Mode, by envelope id. */
  readonly acks = new Map<string, Record<string, unknown>>();

  /** Channels the bot is not a member of: posting there fails with not_in_channel. */
  readonly channelsWithoutBot = new Set<string>();
  readonly teamId: string;
  readonly botUserId: string;
  private readonly users = new Map<string, FakeUser>();
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private sockets = new Set<WebSocket>();
  private socketWaiters: ((ws: WebSocket) => void)[] = [];
  private ackWaiters = new Map<string, (payload: Record<string, unknown>) => void>();
  private callWaiters: { test: (c: RecordedCall) => boolean; resolve: (c: RecordedCall) => void }[] = [];
  private seq = 0;
  private clock = 1_700_000_000;
  private port = 0;

  constructor(private readonly opts: FakeSlackOptions) {
    this.teamId = opts.teamId ?? 'T0FAKE';
    this.botUserId = opts.botUserId ?? 'UBOT';
    for (const u of opts.users ?? []) this.users.set(u.id, u);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/socket-mode' || url.searchParams.get('ticket') !== 'fake-ticket') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  /** http://127.0.0.1:<port> */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What SLACK_API_URL / clientOptions.slackApiUrl should be. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Socket Mode connections that are open now. */
  get openSockets(): number {
    return [...this.sockets].filter((s) => s.readyState === s.OPEN).length;
  }

  addUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }

  /** Registers a file and returns the file object as Slack sends it in a message event. */
  addFile(input: FakeFileInput): SlackFileObject {
    const id = `F${String(++this.seq).padStart(8, '0')}`;
    const ext = input.name.includes('.') ? input.name.split('.').pop()! : 'bin';
    const file = {
      id,
      name: input.name,
      title: input.name,
      mimetype: input.mimetype,
      filetype: ext,
      size: input.declaredSize ?? input.bytes.length,
      user: input.user ?? 'U0POSTER',
      url_private: `${this.url}/files-pri/${this.teamId}-${id}/${encodeURIComponent(input.name)}`,
      url_private_download: `${this.url}/files-pri/${this.teamId}-${id}/download/${encodeURIComponent(input.name)}`,
      permalink: `https://fake.slack.com/files/${input.user ?? 'U0POSTER'}/${id}/${encodeURIComponent(input.name)}`,
      bytes: input.bytes,
    };
    this.files.set(id, file);
    const { bytes: _bytes, ...object } = file;
    return object;
  }

  /** Adds a message (as a member would post it) and returns its ts. */
  addMessage(message: Omit<FakeMessage, 'ts'>): FakeMessage {
    const full = { ...message, ts: this.nextTs() };
    this.messages.push(full);
    return full;
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the first call (past or future) that matches. */
  waitForCall(method: string, test: (c: RecordedCall) => boolean = () => true, timeoutMs = 60_000): Promise<RecordedCall> {
    const match = (c: RecordedCall) => c.method === method && test(c);
    const seen = this.calls.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const summary = this.calls.map((c) => `${c.method}${c.ok ? '' : `(${c.error})`}`).join(', ');
        reject(new Error(`fake Slack: no ${method} call matched within ${timeoutMs} ms; calls so far: ${summary}`));
      }, timeoutMs);
      this.callWaiters.push({
        test: match,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
      });
    });
  }

  // ---------------------------------------------------------------- Socket Mode

  /** Resolves once a Socket Mode client is connected (and has been sent hello). */
  waitForSocket(timeoutMs = 30_000): Promise<WebSocket> {
    const open = [...this.sockets].find((s) => s.readyState === s.OPEN);
    if (open) return Promise.resolve(open);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('fake Slack: no Socket Mode connection')), timeoutMs);
      this.socketWaiters.push((ws) => {
        clearTimeout(timer);
        resolve(ws);
      });
    });
  }

  /**
   * Sends one envelope over Socket Mode and resolves with the client's ack payload.
   * type: 'events_api' (payload = event callback body), 'slash_commands' (payload = command fields),
   * 'interactive' (payload = shortcut / block_actions payload).
   */
  async sendEnvelope(type: 'events_api' | 'slash_commands' | 'interactive', payload: object, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const ws = await this.waitForSocket();
    const envelope_id = `env-${++this.seq}`;
    const acked = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake Slack: envelope ${envelope_id} not acked in ${timeoutMs} ms`)), timeoutMs);
      this.ackWaiters.set(envelope_id, (p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
    ws.send(
      JSON.stringify({
        envelope_id,
        type,
        payload,
        accepts_response_payload: type !== 'events_api',
        ...(type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
      }),
    );
    return acked;
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      let msg: { envelope_id?: string; payload?: Record<string, unknown> };
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (!msg.envelope_id) return;
      const payload = msg.payload ?? {};
      this.acks.set(msg.envelope_id, payload);
      this.ackWaiters.get(msg.envelope_id)?.(payload);
      this.ackWaiters.delete(msg.envelope_id);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'fake-slack', approximate_connection_time: 3600 },
        connection_info: { app_id: 'AFAKE' },
      }),
    );
    for (const waiter of this.socketWaiters.splice(0)) waiter(ws);
  }

  // ---------------------------------------------------------------- HTTP routing

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    if (url.pathname.startsWith('/api/') && req.method === 'POST') return this.api(url.pathname.slice(5), req, body, res);
    if (url.pathname.startsWith('/files-pri/') && req.method === 'GET') return this.download(url.pathname, req, res);
    if (url.pathname.startsWith('/upload/') && req.method === 'POST') return this.receiveUpload(url.pathname.slice(8), req, body, res);
    if (url.pathname.startsWith('/respond/') && req.method === 'POST') return this.receiveResponse(url.pathname.slice(9), req, body, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }

  private download(pathname: string, req: IncomingMessage, res: ServerResponse): void {
    const id = pathname.split('/')[2]?.split('-')[1] ?? '';
    const file = this.files.get(id);
    const authorized = bearer(req) === this.opts.botToken;
    this.downloads.push({ fileId: id, authorized });
    if (!authorized) {
      // What Slack really does: the sign-in page, with 200.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to your workspace</body></html>');
      return;
    }
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('file not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.bytes.length) });
    res.end(Buffer.from(file.bytes));
  }

  /** A response_url for a command, shortcut or button (Slack's hooks.slack.com/... link). */
  responseUrl(id: string): string {
    return `${this.url}/respond/${id}`;
  }

  /** Resolves with the first body posted to responseUrl(id) that matches. */
  async waitForResponse(id: string, test: (body: Record<string, unknown>) => boolean = () => true, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.responses.find((r) => r.id === id && test(r.body));
      if (found) return found.body;
      if (Date.now() > deadline) {
        throw new Error(`fake Slack: no response on ${id}; got ${JSON.stringify(this.responses.filter((r) => r.id === id).map((r) => r.body.text))}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private receiveResponse(id: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('invalid_payload');
      return;
    }
    this.responses.push({ id, body: parsed });
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  }

  private receiveUpload(fileId: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const upload = this.uploads.get(fileId);
    if (!upload) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('unknown upload');
      return;
    }
    // The Web API client posts the bytes as multipart/form-data (one part with a filename); raw bodies work too.
    const type = req.headers['content-type'] ?? '';
    const boundary = /multipart\/form-data;.*boundary=("?)([^";]+)\1/i.exec(type)?.[2];
    const part = boundary ? multipartFiles(body, boundary)[0] : body;
    if (!part) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('no file part');
      return;
    }
    upload.bytes = part;
    upload.uploadedWith = bearer(req);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${body.length}`);
  }

  private api(method: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const args = parseArgs(req.headers['content-type'] ?? '', body);
    const token = bearer(req) || (typeof args.token === 'string' ? args.token : '');
    delete args.token;
    let result: Record<string, unknown>;
    let call: RecordedCall;
    try {
      const handler = this.handlers[method];
      if (!handler) throw new SlackApiError('unknown_method');
      this.checkToken(method, token);
      result = { ok: true, ...handler({ token, args }) };
      call = { method, token, args, ok: true, result };
    } catch (e) {
      const error = e instanceof SlackApiError ? e.slackError : `internal_error: ${String(e)}`;
      result = { ok: false, error };
      call = { method, token, args, ok: false, error };
    }
    this.calls.push(call);
    for (const w of [...this.callWaiters]) {
      if (w.test(call)) {
        this.callWaiters.splice(this.callWaiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(result));
  }

  private checkToken(method: string, token: string): void {
    if (!token) throw new SlackApiError('not_authed');
    if (method === 'apps.connections.open') {
      if (!token.startsWith('xapp-')) throw new SlackApiError('not_allowed_token_type');
      if (token !== this.opts.appToken) throw new SlackApiError('invalid_auth');
      return;
    }
    if (token.startsWith('xapp-')) throw new SlackApiError('not_allowed_token_type');
    const known = [this.opts.botToken, this.opts.adminToken].filter(Boolean);
    if (!known.includes(token)) throw new SlackApiError('invalid_auth');
  }

  private nextTs(): string {
    this.clock += 1;
    return `${this.clock}.${String(++this.seq).padStart(6, '0')}`;
  }

  private requireChannel(args: Record<string, unknown>, key = 'channel'): string {
    const channel = args[key];
    if (typeof channel !== 'string' || !channel) throw new SlackApiError('channel_not_found');
    return channel;
  }

  /** A channel the bot must be in to write to. */
  private memberChannel(args: Record<string, unknown>, key = 'channel'): string {
    const channel = this.requireChannel(args, key);
    if (this.channelsWithoutBot.has(channel)) throw new SlackApiError('not_in_channel');
    return channel;
  }

  private readonly handlers: Record<string, Handler> = {
    'auth.test': ({ token }) => {
      const isBot = token === this.opts.botToken;
      return {
        url: 'https://fake.slack.com/',
        team: 'Fake Team',
        team_id: this.teamId,
        user: isBot ? 'memeguard' : 'admin',
        user_id: isBot ? this.botUserId : 'UADMIN',
        ...(isBot ? { bot_id: 'BFAKE' } : {}),
        is_enterprise_install: false,
      };
    },
    'apps.connections.open': () => ({ url: `ws://127.0.0.1:${this.port}/socket-mode?ticket=fake-ticket` }),
    'chat.postMessage': ({ args }) => {
      const channel = this.memberChannel(args);
      if (!args.text && !args.blocks) throw new SlackApiError('no_text');
      const message = this.addMessage({
        channel,
        user: this.botUserId,
        bot: true,
        text: args.text as string | undefined,
        blocks: args.blocks as unknown[] | undefined,
        thread_ts: args.thread_ts as string | undefined,
      });
      return { channel, ts: message.ts, message: { ...message, type: 'message' } };
    },
    'chat.postEphemeral': ({ args }) => {
      this.memberChannel(args);
      if (typeof args.user !== 'string') throw new SlackApiError('user_not_found');
      if (!args.text && !args.blocks) throw new SlackApiError('no_text');
      return { message_ts: this.nextTs() };
    },
    'chat.update': ({ args }) => {
      const channel = this.requireChannel(args);
      const message = this.messages.find((m) => m.channel === channel && m.ts === args.ts);
      if (!message) throw new SlackApiError('message_not_found');
      if (!message.bot) throw new SlackApiError('cant_update_message');
      if (args.text !== undefined) message.text = args.text as string;
      if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
      return { channel, ts: message.ts, text: message.text };
    },
    'chat.delete': ({ token, args }) => {
      const channel = this.requireChannel(args);
      const index = this.messages.findIndex((m) => m.channel === channel && m.ts === args.ts);
      if (index < 0) throw new SlackApiError('message_not_found');
      const message = this.messages[index];
      const isAdmin = !!this.opts.adminToken && token === this.opts.adminToken;
      if (!message.bot && !isAdmin) throw new SlackApiError('cant_delete_message');
      this.messages.splice(index, 1);
      return { channel, ts: message.ts };
    },
    'reactions.add': ({ args }) => {
      const channel = this.memberChannel(args);
      const name = args.name;
      const timestamp = args.timestamp;
      if (typeof name !== 'string' || typeof timestamp !== 'string') throw new SlackApiError('invalid_arguments');
      if (this.reactions.some((r) => r.channel === channel && r.timestamp === timestamp && r.name === name)) {
        throw new SlackApiError('already_reacted');
      }
      this.reactions.push({ channel, timestamp, name });
      return {};
    },
    'conversations.history': ({ args }) => {
      const channel = this.requireChannel(args);
      const latest = String(args.latest ?? '9999999999.999999');
      const inclusive = args.inclusive === true || args.inclusive === 'true';
      const limit = Number(args.limit ?? 100);
      const found = this.messages
        .filter((m) => m.channel === channel && (inclusive ? Number(m.ts) <= Number(latest) : Number(m.ts) < Number(latest)))
        .sort((a, b) => Number(b.ts) - Number(a.ts))
        .slice(0, limit)
        .map(({ channel: _c, bot: _b, ...m }) => ({ type: 'message', ...m }));
      return { messages: found, has_more: false };
    },
    'files.info': ({ args }) => {
      const file = this.files.get(String(args.file ?? ''));
      if (!file) throw new SlackApiError('file_not_found');
      const { bytes: _bytes, ...object } = file;
      return { file: object };
    },
    'users.info': ({ args }) => {
      const user = this.users.get(String(args.user ?? ''));
      if (!user) throw new SlackApiError('user_not_found');
      return {
        user: { id: user.id, name: user.name, team_id: this.teamId, is_admin: !!user.is_admin, is_owner: !!user.is_owner, is_bot: false },
      };
    },
    'files.getUploadURLExternal': ({ args }) => {
      const filename = args.filename;
      const length = Number(args.length);
      if (typeof filename !== 'string' || !Number.isFinite(length) || length <= 0) throw new SlackApiError('invalid_arguments');
      const file_id = `F${String(++this.seq).padStart(8, '0')}`;
      this.uploads.set(file_id, { file_id, filename, length });
      return { upload_url: `${this.url}/upload/${file_id}`, file_id };
    },
    'files.completeUploadExternal': ({ args }) => {
      const files = args.files;
      if (!Array.isArray(files) || files.length === 0) throw new SlackApiError('invalid_arguments');
      const done = files.map((f: { id?: string; title?: string }) => {
        const upload = this.uploads.get(String(f.id));
        if (!upload || !upload.bytes) throw new SlackApiError('file_not_found');
        if (upload.bytes.length !== upload.length) throw new SlackApiError('file_upload_size_mismatch');
        upload.completed = {
          channel_id: args.channel_id as string | undefined,
          thread_ts: args.thread_ts as string | undefined,
          initial_comment: args.initial_comment as string | undefined,
          title: f.title,
        };
        return { id: upload.file_id, title: f.title ?? upload.filename, name: upload.filename };
      });
      return { files: done };
    },
  };
}

function bearer(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : '';
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The contents of the parts of a multipart/form-data body that carry a filename. */
export function multipartFiles(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const files: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next one
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0 && /filename=/i.test(part.subarray(0, headerEnd).toString('utf8'))) files.push(Buffer.from(part.subarray(headerEnd + 4)));
    at = next;
  }
  return files;
}

function parseArgs(contentType: string, body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  const args: Record<string, unknown> = {};
  if (contentType.includes('application/json')) {
    Object.assign(args, text ? JSON.parse(text) : {});
  } else {
    for (const [k, v] of new URLSearchParams(text)) args[k] = v;
  }
  for (const key of JSON_FIELDS) {
    if (typeof args[key] === 'string') {
      try {
        args[key] = JSON.parse(args[key] as string);
      } catch {
        /* keep the raw string: the handler reports it */
      }
    }
  }
  return args;
}
