import { MemeguardError, asMemeguardError, type ErrorCode } from '../errors.js';
import type { Engine, Verdict } from '../inference/types.js';
import { logger } from '../log.js';
import type { EvaluationRunner } from './evaluation.js';
import { Limiter } from './limiter.js';
import {
  configReply,
  errorReply,
  flagReply,
  infoReply,
  modLogText,
  progressReply,
  summarizeRecord,
  summarizeVerdict,
  verdictReply,
} from './messages.js';
import { dHash, sha256Hex } from './phash.js';
import { reviewButtons } from './review-ids.js';
import { applySetting, defaultSettings, isSettingKey, SETTING_KEYS } from './settings.js';
import type { ModerationStore, NewJudgement } from './store/types.js';
import type {
  ActionResult,
  CommandPort,
  CommandRequest,
  ImageJudgement,
  ImagePost,
  IncomingImage,
  ModAction,
  ModeratorApi,
  NeutralReply,
  PlatformPort,
  PostOutcome,
  Requester,
  ReviewClick,
  ReviewStats,
  VerdictSummary,
  WorkspaceRef,
  WorkspaceSettings,
} from './types.js';

/** Discord's attachment limit for most servers; larger files are refused from their declared size. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const WARNING_EMOJI = '⚠️';

export interface ModeratorOptions {
  engine: Engine;
  store: ModerationStore;
  /** Runs `/evaluate`; without it the command answers that evaluation is not available. */
  evaluate?: EvaluationRunner;
  /** The labelled data folder for `/evaluate` (MEMEGUARD_EVAL_DATA). */
  evalDataDir?: string;
  maxImageBytes?: number;
  /** Images judged at once (the engine batches what arrives together). */
  concurrency?: number;
}

interface RunningEvaluation {
  controller: AbortController;
  requesterId: string;
}

/**
 * Failures whose message is about the poster's own file, and safe to show them. Any other failure (the pack, the
 * engine, an internal error) may name server paths or internals: the poster gets a neutral sentence, the mod-log
 * note and the log keep the details.
 */
const POSTER_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'EMPTY_FILE',
  'NOT_AN_IMAGE',
  'UNSUPPORTED_IMAGE',
  'IMAGE_TOO_LARGE',
  'CORRUPT_IMAGE',
  'DOWNLOAD_FAILED',
  'BAD_INPUT',
  'TIMEOUT',
]);

/**
 * The platform-neutral moderator: per-workspace policy, judging with the repeat-image cache, the audit trail,
 * reviews and the command handlers. One per process, shared by every adapter.
 */
export class Moderator implements ModeratorApi {
  private readonly engine: Engine;
  private readonly store: ModerationStore;
  private readonly evaluateRunner?: EvaluationRunner;
  private readonly evalDataDir?: string;
  private readonly maxImageBytes: number;
  private readonly limiter: Limiter;
  private readonly settingsCache = new Map<string, WorkspaceSettings>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private evaluation: RunningEvaluation | null = null;
  private draining = false;

  constructor(options: ModeratorOptions) {
    this.engine = options.engine;
    this.store = options.store;
    this.evaluateRunner = options.evaluate;
    this.evalDataDir = options.evalDataDir;
    this.maxImageBytes = options.maxImageBytes ?? MAX_IMAGE_BYTES;
    this.limiter = new Limiter(options.concurrency ?? 4);
  }

  // ------------------------------------------------------------------------------------------------ settings

  private key(ref: WorkspaceRef): string {
    return `${ref.platform}:${ref.workspaceId}`;
  }

  /** The workspace's settings; defaults for a workspace never configured. */
  getSettings(ref: WorkspaceRef): Promise<WorkspaceSettings> {
    return this.loadSettings(ref);
  }

  private async loadSettings(ref: WorkspaceRef): Promise<WorkspaceSettings> {
    const cached = this.settingsCache.get(this.key(ref));
    if (cached) return cached;
    const stored = (await this.store.getSettings(ref)) ?? defaultSettings();
    this.settingsCache.set(this.key(ref), stored);
    return stored;
  }

  private async saveSettings(ref: WorkspaceRef, settings: WorkspaceSettings): Promise<void> {
    await this.store.saveSettings(ref, settings);
    this.settingsCache.set(this.key(ref), settings);
  }

  // ------------------------------------------------------------------------------------------------ posts

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Why a post is not judged, or null when it is. */
  private skipReason(post: ImagePost, s: WorkspaceSettings): string | null {
    if (post.authorIsBot) return 'bot author';
    if (!s.enabled) return 'disabled';
    if (post.images.length === 0) return 'no images';
    if (s.ignoredChannels.includes(post.channelId)) return 'channel ignored';
    if (s.watchedChannels.length > 0 && !s.watchedChannels.includes(post.channelId)) return 'channel not watched';
    if (post.roles.some((r) => s.exemptRoles.includes(r))) return 'exempt role';
    return null;
  }

  handlePost(post: ImagePost, port: PlatformPort): Promise<PostOutcome> {
    if (this.draining) return Promise.resolve({ skipped: 'shutting down', judged: [], failed: [] });
    return this.track(
      this.judgePost(post, port).catch((e: unknown) => {
        const err = asMemeguardError(e);
        logger.error('post handling failed', { platform: post.platform, workspace: post.workspaceId, message: post.messageId, code: err.code, error: err.message });
        return { judged: [], failed: post.images.map((_, index) => ({ index, code: err.code, message: err.message })) };
      }),
    );
  }

  private async judgePost(post: ImagePost, port: PlatformPort): Promise<PostOutcome> {
    const settings = await this.loadSettings(post);
    const skipped = this.skipReason(post, settings);
    if (skipped) {
      logger.debug('post skipped', { platform: post.platform, message: post.messageId, reason: skipped });
      return { skipped, judged: [], failed: [] };
    }
    const outcome: PostOutcome = { judged: [], failed: [] };
    await Promise.all(
      post.images.map((image, index) =>
        this.limiter.run(async () => {
          const held: { bytes?: Uint8Array } = {};
          try {
            const judged = await this.judgePostImage(post, port, settings, image, index, held);
            if (judged) outcome.judged.push(judged);
          } catch (e) {
            const err = asMemeguardError(e);
            outcome.failed.push({ index, code: err.code, message: err.toLine() });
            await this.reportFailure(post, port, settings, image, held.bytes, err);
          }
        }),
      ),
    );
    outcome.judged.sort((a, b) => a.index - b.index);
    return outcome;
  }

  private async reportFailure(
    post: ImagePost,
    port: PlatformPort,
    settings: WorkspaceSettings,
    image: IncomingImage,
    bytes: Uint8Array | undefined,
    err: MemeguardError,
  ): Promise<void> {
    logger.warn('image not judged', { platform: post.platform, workspace: post.workspaceId, message: post.messageId, image: image.name, code: err.code, error: err.message });
    await this.store
      .recordJudgement({
        ...this.postFields(post),
        imageSha256: bytes ? sha256Hex(bytes) : '',
        phash: null,
        packFingerprint: this.engine.info.fingerprint,
        caption: null,
        captionSource: null,
        textScore: null,
        imageScore: null,
        score: null,
        threshold: null,
        fusion: null,
        verdict: null,
        explanation: null,
        cachedFrom: null,
        errorCode: err.code,
        actionTaken: `not judged: ${err.code}`,
      })
      .catch((e: unknown) => logger.error('cannot record a failed judgement', { error: String(e) }));
    // The poster hears why their image was not checked: publicly when explanations are public, else privately.
    await this.perform(port, {
      kind: 'reply',
      channelId: post.channelId,
      messageId: post.messageId,
      audience: settings.explanations === 'public' ? 'channel' : 'author',
      userId: post.authorId,
      message: {
        kind: 'error',
        code: err.code,
        text: POSTER_CODES.has(err.code)
          ? `memeguard could not check ${image.name ? `“${image.name}”` : 'your image'}: ${err.toLine()}`
          : `memeguard could not check ${image.name ? `“${image.name}”` : 'your image'} because of a problem on memeguard's side, not with your image`,
      },
    });
    if (settings.modLogChannel) {
      const where = post.link ?? `message ${post.messageId} in <#${post.channelId}>`;
      await this.perform(port, {
        kind: 'mod-note',
        channelId: settings.modLogChannel,
        text: `memeguard could not judge ${image.name ? `"${image.name}"` : 'an image'} in ${where}: ${err.toLine()}`,
      });
    }
  }

  private postFields(post: ImagePost) {
    return {
      platform: post.platform,
      workspaceId: post.workspaceId,
      channelId: post.channelId,
      messageId: post.messageId,
      authorId: post.authorId,
    };
  }

  private async download(port: PlatformPort, image: IncomingImage): Promise<Uint8Array> {
    if (image.declaredSize !== undefined && image.declaredSize > this.maxImageBytes) {
      throw new MemeguardError('IMAGE_TOO_LARGE', `the file is ${(image.declaredSize / 1048576).toFixed(1)} MB; the limit is ${this.maxImageBytes / 1048576} MB`);
    }
    const bytes = image.bytes ?? (await port.download(image, { maxBytes: this.maxImageBytes }));
    if (bytes.byteLength > this.maxImageBytes) {
      throw new MemeguardError('IMAGE_TOO_LARGE', `the file is over the ${this.maxImageBytes / 1048576} MB limit`);
    }
    if (bytes.byteLength === 0) throw new MemeguardError('EMPTY_FILE', 'the file is empty');
    return bytes;
  }

  /** The verdict for these bytes: the recorded one for a repeat image (no model call), else the engine's. */
  private async judgeBytes(
    ref: WorkspaceRef,
    bytes: Uint8Array,
    settings: WorkspaceSettings,
    explain: boolean | 'hateful',
  ): Promise<{ summary: VerdictSummary; sha: string; verdict?: Verdict; cachedFrom?: number }> {
    const sha = sha256Hex(bytes);
    const previous = await this.store.findVerdictBySha(ref, sha, this.engine.info.fingerprint);
    if (previous) return { summary: summarizeRecord(previous, settings.threshold), sha, cachedFrom: previous.id };
    const verdict = await this.engine.analyze({ image: bytes, threshold: settings.threshold ?? undefined, explain });
    return { summary: summarizeVerdict(verdict), sha, verdict };
  }

  private async judgePostImage(
    post: ImagePost,
    port: PlatformPort,
    settings: WorkspaceSettings,
    image: IncomingImage,
    index: number,
    held: { bytes?: Uint8Array },
  ): Promise<ImageJudgement | null> {
    const bytes = await this.download(port, image);
    held.bytes = bytes;
    {
      if (post.edited && (await this.store.hasJudgementForMessage(post, post.messageId, sha256Hex(bytes)))) return null;
      const { summary, sha, verdict, cachedFrom } = await this.judgeBytes(post, bytes, settings, 'hateful'); // word effects only where a flag needs explaining
      const phash = verdict ? await dHash(bytes).catch(() => null) : null;
      const record: NewJudgement = {
        ...this.postFields(post),
        imageSha256: sha,
        phash,
        packFingerprint: this.engine.info.fingerprint,
        caption: summary.caption,
        captionSource: summary.captionSource,
        textScore: summary.textScore,
        imageScore: summary.imageScore,
        score: summary.score,
        threshold: summary.threshold,
        fusion: summary.fusion,
        verdict: summary.verdict,
        explanation: JSON.stringify({ summary: summary.explanation, topWords: summary.topWords }),
        cachedFrom: cachedFrom ?? null,
        errorCode: null,
        actionTaken: summary.verdict === 'hateful' ? 'pending' : 'none: not hateful',
      };
      const judgementId = await this.store.recordJudgement(record);
      const actions = summary.verdict === 'hateful' ? await this.act(post, port, settings, summary, judgementId) : [];
      return { judgementId, index, verdict: summary, actions };
    }
  }

  private async perform(port: PlatformPort, action: ModAction): Promise<ActionResult> {
    try {
      const result = await port.perform(action);
      if (!result.ok) logger.warn('platform refused an action', { action: action.kind, code: result.code, error: result.message });
      return result;
    } catch (e) {
      const err = asMemeguardError(e);
      logger.warn('action failed', { action: action.kind, code: err.code, error: err.message });
      return { ok: false, code: err.code, message: err.message };
    }
  }

  /** Perform what the workspace's action setting asks for on a hateful post; record what was done. */
  private async act(
    post: ImagePost,
    port: PlatformPort,
    settings: WorkspaceSettings,
    v: VerdictSummary,
    judgementId: number,
  ): Promise<{ action: ModAction; result: ActionResult }[]> {
    const done: { action: ModAction; result: ActionResult }[] = [];
    const notes: string[] = [];
    const run = async (action: ModAction) => {
      const result = await this.perform(port, action);
      done.push({ action, result });
      return result;
    };
    const { channelId, messageId, authorId } = post;
    const publicDetail = settings.explanations === 'public';
    const react = async () => {
      const r = await run({ kind: 'react', channelId, messageId, emoji: WARNING_EMOJI });
      notes.push(r.ok ? 'reacted' : `reaction failed: ${r.message}`);
    };
    const replyInChannel = async () => {
      const r = await run({ kind: 'reply', channelId, messageId, audience: 'channel', userId: authorId, message: flagReply(v, false, publicDetail) });
      notes.push(r.ok ? 'replied' : `reply failed: ${r.message}`);
    };

    if (settings.action === 'log') {
      notes.push('logged only');
    } else if (settings.action === 'flag') {
      await react();
      if (publicDetail) await replyInChannel();
    } else {
      const r = await run({ kind: 'delete', channelId, messageId });
      if (r.ok) {
        notes.push('deleted');
        const told = await run({ kind: 'reply', channelId, messageId, audience: 'author', userId: authorId, message: flagReply(v, true, publicDetail) });
        notes.push(told.ok ? 'told the poster' : `could not tell the poster: ${told.message}`);
      } else {
        notes.push(r.code === 'PERMISSION_DENIED' ? 'delete failed: missing permission' : `delete failed: ${r.message}`);
        await react();
      }
    }

    if (settings.modLogChannel) {
      const entry = {
        judgementId,
        title: v.cached ? 'Hateful meme (repeat image)' : 'Hateful meme',
        link: post.link,
        channelId,
        messageId,
        authorId,
        verdict: v,
        actionTaken: notes.join(', '),
        buttons: reviewButtons(judgementId),
      };
      const r = await run({ kind: 'mod-log', channelId: settings.modLogChannel, entry: { ...entry, text: modLogText(entry) } });
      if (!r.ok) notes.push(`mod-log failed: ${r.message}`);
    } else {
      notes.push('no mod-log channel');
    }
    await this.store.setJudgementAction(judgementId, notes.join(', '));
    return done;
  }

  // ------------------------------------------------------------------------------------------------ reviews

  handleReview(click: ReviewClick, port: PlatformPort): Promise<NeutralReply> {
    return this.track(this.review(click, port).catch((e: unknown) => this.failed('review', e)));
  }

  private async review(click: ReviewClick, port: PlatformPort): Promise<NeutralReply> {
    const { requester } = click;
    if (!requester.isAdmin && !requester.isModerator) {
      throw new MemeguardError('PERMISSION_DENIED', 'only moderators can review flags');
    }
    const j = await this.store.getJudgement(click.judgementId);
    if (!j || j.platform !== requester.platform || j.workspaceId !== requester.workspaceId) {
      throw new MemeguardError('BAD_INPUT', `no judgement #${click.judgementId} in this workspace`);
    }
    await this.store.recordReview({ ...requester, judgementId: j.id, reviewerId: requester.userId, decision: click.decision });
    let text: string;
    if (click.decision === 'delete') {
      const r = await this.perform(port, { kind: 'delete', channelId: j.channelId, messageId: j.messageId });
      text = r.ok
        ? `Deleted message ${j.messageId} and recorded the flag as confirmed (<@${requester.userId}>).`
        : `Recorded the flag as confirmed, but the delete failed: ${r.code === 'PERMISSION_DENIED' ? 'missing permission' : r.message}.`;
    } else if (click.decision === 'confirm') {
      text = `Flag #${j.id} confirmed as hateful by <@${requester.userId}>.`;
    } else {
      text = `Flag #${j.id} marked not hateful by <@${requester.userId}> (a false positive).`;
    }
    logger.info('review recorded', { platform: requester.platform, workspace: requester.workspaceId, judgement: j.id, decision: click.decision });
    return infoReply(text);
  }

  async reviewStats(ref: WorkspaceRef): Promise<ReviewStats> {
    const c = await this.store.reviewCounts(ref);
    const reviewed = c.confirmed + c.overturned;
    return { ...c, falsePositiveRate: reviewed > 0 ? c.overturned / reviewed : null };
  }

  // ------------------------------------------------------------------------------------------------ commands

  private failed(what: string, e: unknown): NeutralReply {
    const err = asMemeguardError(e);
    if (err.code === 'INTERNAL') logger.error(`${what} failed`, { error: err.message, stack: e instanceof Error ? e.stack : undefined });
    else logger.warn(`${what} refused`, { code: err.code, error: err.message });
    return errorReply(err);
  }

  handleCommand(request: CommandRequest, port: CommandPort): Promise<NeutralReply> {
    return this.track(this.command(request, port).catch((e: unknown) => this.failed(request.command, e)));
  }

  private requireAdmin(r: Requester, what: string): void {
    if (!r.isAdmin) throw new MemeguardError('PERMISSION_DENIED', `only administrators can ${what}`);
  }

  private async command(request: CommandRequest, port: CommandPort): Promise<NeutralReply> {
    const r = request.requester;
    switch (request.command) {
      case 'check': {
        if (this.draining) throw new MemeguardError('CANCELLED', 'memeguard is shutting down');
        const settings = await this.loadSettings(r);
        const bytes = await this.download(port, request.image);
        const { summary } = await this.limiter.run(() => this.judgeBytes(r, bytes, settings, true));
        return verdictReply(summary);
      }
      case 'config-show':
        this.requireAdmin(r, 'see the settings');
        return configReply(await this.loadSettings(r), undefined, await this.reviewStats(r));
      case 'config-set': {
        this.requireAdmin(r, 'change the settings');
        if (!isSettingKey(request.key)) {
          throw new MemeguardError('BAD_INPUT', `unknown setting "${request.key}"`, { hint: `one of: ${SETTING_KEYS.join(', ')}` });
        }
        const next = applySetting(await this.loadSettings(r), request.key, request.value);
        await this.saveSettings(r, next);
        logger.info('settings changed', { platform: r.platform, workspace: r.workspaceId, key: request.key, by: r.userId });
        return configReply(next, request.key);
      }
      case 'evaluate':
        this.requireAdmin(r, 'run an evaluation');
        return this.evaluate(r, port, request.split, request.limit);
      case 'evaluate-cancel': {
        this.requireAdmin(r, 'cancel an evaluation');
        if (!this.evaluation) return infoReply('No evaluation is running.');
        this.evaluation.controller.abort();
        return infoReply('Cancelling the evaluation…');
      }
      default:
        throw new MemeguardError('USAGE', `unknown command "${(request as { command: string }).command}"`);
    }
  }

  /** Whether an evaluation is running in this process. */
  get evaluationRunning(): boolean {
    return this.evaluation !== null;
  }

  private async evaluate(r: Requester, port: CommandPort, split: string | undefined, limit?: number): Promise<NeutralReply> {
    if (!this.evaluateRunner) throw new MemeguardError('USAGE', 'evaluation is not available in this process');
    if (!this.evalDataDir) {
      throw new MemeguardError('USAGE', 'no evaluation data set is configured', { hint: 'set MEMEGUARD_EVAL_DATA to a Hateful Memes-format folder' });
    }
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new MemeguardError('BAD_INPUT', 'limit must be a whole number of at least 1');
    if (split !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(split)) throw new MemeguardError('BAD_INPUT', `"${split}" is not a split name`);
    if (this.evaluation) {
      throw new MemeguardError('USAGE', `an evaluation is already running (started by <@${this.evaluation.requesterId}>)`, { hint: 'wait for it or cancel it' });
    }
    if (this.draining) throw new MemeguardError('CANCELLED', 'memeguard is shutting down');
    const controller = new AbortController();
    this.evaluation = { controller, requesterId: r.userId };
    const runId = await this.store.startEvaluationRun({ ...r, requesterId: r.userId, dataDir: this.evalDataDir, split: split ?? '(default)', limit: limit ?? null });
    let lastBucket = -1;
    let edits: Promise<void> = Promise.resolve();
    const onProgress = (done: number, total: number) => {
      const bucket = total > 0 ? Math.floor((done / total) * 10) : 0;
      if (bucket === lastBucket || !port.progress) return;
      lastBucket = bucket;
      const reply = progressReply(done, total, `Evaluating ${split ?? 'the default split'}`);
      edits = edits.then(() => port.progress!(reply)).catch((e: unknown) => logger.warn('progress update failed', { error: String(e) }));
    };
    try {
      const result = await this.evaluateRunner({ dataDir: this.evalDataDir, split, limit, onProgress, signal: controller.signal });
      if (controller.signal.aborted) throw new MemeguardError('CANCELLED', 'the evaluation was cancelled');
      await edits;
      await this.store.finishEvaluationRun(runId, 'done', JSON.stringify(result.summary ?? null));
      const title = `Evaluation of ${result.split}${limit ? ` (first ${limit})` : ''}`;
      return {
        kind: 'report',
        title,
        table: result.table,
        rocPng: result.rocPng,
        rocName: result.rocPng ? `roc-${result.split}.png` : undefined,
        text: `${title}\n${result.table}`,
      };
    } catch (e) {
      await edits;
      const err = controller.signal.aborted ? new MemeguardError('CANCELLED', 'the evaluation was cancelled') : asMemeguardError(e);
      await this.store.finishEvaluationRun(runId, err.code === 'CANCELLED' ? 'cancelled' : 'failed', err.toLine());
      throw err;
    } finally {
      this.evaluation = null;
    }
  }

  // ------------------------------------------------------------------------------------------------ shutdown

  async drain(): Promise<void> {
    this.draining = true;
    this.evaluation?.controller.abort();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
