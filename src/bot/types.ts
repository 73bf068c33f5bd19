/**
 * The platform-neutral moderation model (DESIGN.md, "src/bot").
 *
 * An adapter (src/adapters/<platform>) turns platform events into the requests below, hands them to the
 * `Moderator` together with a `PlatformPort` (how to download an image and how to perform an action on its
 * platform), and renders the neutral replies back into embeds / blocks / buttons. Nothing here knows discord.js
 * or @slack/bolt. Keep these types stable: adapters are written against them.
 */
import type { ErrorCode } from '../errors.js';

/** 'discord', 'slack', or a future platform's name. */
export type PlatformId = 'discord' | 'slack' | (string & {});

/** Where a post or command happens: a Discord guild or a Slack team is a workspace. */
export interface WorkspaceRef {
  platform: PlatformId;
  workspaceId: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Incoming requests
// ---------------------------------------------------------------------------------------------------------------

/**
 * One image of a post or a command: either a URL the adapter's `PlatformPort.download` can fetch, or bytes the
 * adapter already holds. `declaredSize` (bytes, from the platform's metadata) lets the moderator refuse a huge file
 * before downloading it.
 */
export interface IncomingImage {
  url?: string;
  bytes?: Uint8Array;
  declaredSize?: number;
  name?: string;
  contentType?: string;
}

/** A new (or edited) message with images, in a channel the bot can see. */
export interface ImagePost extends WorkspaceRef {
  channelId: string;
  messageId: string;
  authorId: string;
  /** Posts from bots (including memeguard itself) are never judged. */
  authorIsBot: boolean;
  /** The author's role ids (Discord roles; Slack: empty or user-group ids). */
  roles: string[];
  images: IncomingImage[];
  /** A link a moderator can open (Discord message URL, Slack permalink). */
  link?: string;
  /** true for an edit whose images changed; images already judged for this message are not judged again. */
  edited?: boolean;
}

/** Who runs a command or clicks a button. `isAdmin` is the platform's own notion (Discord Administrator, Slack admin). */
export interface Requester extends WorkspaceRef {
  userId: string;
  isAdmin: boolean;
  /** May review flags (Discord: Manage Messages; Slack: admin). Admins always may. */
  isModerator?: boolean;
  roles: string[];
  /** Where the command was typed. */
  channelId?: string;
}

export type ReviewDecision = 'confirm' | 'not_hateful' | 'delete';

/** A moderator clicked a review button on a mod-log entry. */
export interface ReviewClick {
  requester: Requester;
  judgementId: number;
  decision: ReviewDecision;
}

/** Keys of `/memeguard config set <key> <value>`. */
export type SettingKey =
  | 'enabled'
  | 'threshold'
  | 'action'
  | 'watched-channels'
  | 'ignored-channels'
  | 'exempt-roles'
  | 'mod-log-channel'
  | 'explanations';

export type CommandRequest =
  /** Judge one image and explain the verdict (no action taken, nothing posted publicly by the moderator). */
  | { command: 'check'; requester: Requester; image: IncomingImage }
  /** Admin only; one run per process. Progress arrives through `CommandPort.progress`. */
  | { command: 'evaluate'; requester: Requester; split?: string; limit?: number }
  /** Admin only; cancels the running evaluation. */
  | { command: 'evaluate-cancel'; requester: Requester }
  /** Admin only. */
  | { command: 'config-show'; requester: Requester }
  /** Admin only; value as typed, validated by the moderator (lists: ids separated by commas or spaces, "none" clears). */
  | { command: 'config-set'; requester: Requester; key: SettingKey; value: string };

// ---------------------------------------------------------------------------------------------------------------
// Per-workspace settings
// ---------------------------------------------------------------------------------------------------------------

export type ModerationActionSetting = 'log' | 'flag' | 'delete';
export type ExplanationVisibility = 'public' | 'mod-only';

export interface WorkspaceSettings {
  enabled: boolean;
  /** null: the model pack's default threshold. */
  threshold: number | null;
  /** log: mod-log only; flag: react + explain; delete: delete, tell the poster why, mod-log. */
  action: ModerationActionSetting;
  /** Empty: every channel is watched. */
  watchedChannels: string[];
  ignoredChannels: string[];
  exemptRoles: string[];
  /** null: no mod-log (actions still happen; failures are logged). */
  modLogChannel: string | null;
  explanations: ExplanationVisibility;
}

// ---------------------------------------------------------------------------------------------------------------
// Neutral replies: what a verdict, a report, an error or a progress update says
// ---------------------------------------------------------------------------------------------------------------

export interface VerdictSummary {
  verdict: 'hateful' | 'not_hateful';
  score: number;
  threshold: number;
  fusion: string;
  caption: string;
  captionSource: 'ocr' | 'given';
  textScore: number | null;
  imageScore: number | null;
  /** One sentence: why. */
  explanation: string;
  /** Words that pushed towards hateful, strongest first (at most 5). */
  topWords: { word: string; effect: number }[];
  /** The verdict was reused from an earlier judgement of the same image (no model call). */
  cached: boolean;
  imageSha256: string;
}

export type NeutralReply =
  | { kind: 'verdict'; title: string; verdict: VerdictSummary; text: string }
  | {
      kind: 'report';
      title: string;
      /** Monospace table (formatReportTable). */
      table: string;
      /** ROC plot as PNG, when it could be drawn. */
      rocPng?: Uint8Array;
      rocName?: string;
      text: string;
    }
  | { kind: 'error'; code: ErrorCode; text: string }
  | { kind: 'progress'; done: number; total: number; text: string; cancellable: boolean }
  | { kind: 'config'; settings: WorkspaceSettings; text: string }
  | { kind: 'info'; text: string };

// ---------------------------------------------------------------------------------------------------------------
// Actions the adapter performs
// ---------------------------------------------------------------------------------------------------------------

/** A review button on a mod-log entry; `customId` is what the platform echoes back on a click (see review-ids.ts). */
export interface ReviewButton {
  decision: ReviewDecision;
  label: string;
  customId: string;
  style: 'danger' | 'secondary' | 'primary';
}

/** A mod-log entry: a verdict on a post, with what was done and the review buttons. */
export interface ModLogEntry {
  judgementId: number;
  title: string;
  link?: string;
  channelId: string;
  messageId: string;
  authorId: string;
  verdict: VerdictSummary;
  /** What the bot did (or why not), e.g. "reacted, replied", "delete failed: missing permission". */
  actionTaken: string;
  buttons: ReviewButton[];
  text: string;
}

export type ModAction =
  | { kind: 'react'; channelId: string; messageId: string; emoji: string }
  /** audience 'channel': a public reply to the message; 'author': only the poster sees it (DM / ephemeral). */
  | { kind: 'reply'; channelId: string; messageId: string; audience: 'channel' | 'author'; userId: string; message: NeutralReply }
  | { kind: 'delete'; channelId: string; messageId: string }
  | { kind: 'mod-log'; channelId: string; entry: ModLogEntry }
  /** A plain note in the mod-log (e.g. a review, or a failure to report). */
  | { kind: 'mod-note'; channelId: string; text: string };

/** What performing an action came to. `code` PERMISSION_DENIED for a missing permission (Discord 403, Slack cant_delete_message). */
export type ActionResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** What an adapter gives the moderator to act on its platform. */
export interface PlatformPort {
  /**
   * The image's bytes: download `image.url` (only from the platform's own hosts, stopping at `maxBytes`), or
   * return `image.bytes`. Throws a MemeguardError (DOWNLOAD_FAILED, IMAGE_TOO_LARGE, TIMEOUT ...).
   */
  download(image: IncomingImage, options: { maxBytes: number; signal?: AbortSignal }): Promise<Uint8Array>;
  /** Perform one action; never throws for a platform refusal (returns ok: false). */
  perform(action: ModAction): Promise<ActionResult>;
}

/** A command's port: the platform port, plus a way to show progress (edit the deferred reply). */
export interface CommandPort extends PlatformPort {
  progress?(reply: NeutralReply): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------------------------

export interface ImageJudgement {
  judgementId: number;
  /** Index into ImagePost.images. */
  index: number;
  verdict: VerdictSummary;
  /** Actions performed, with their results. */
  actions: { action: ModAction; result: ActionResult }[];
}

export interface PostOutcome {
  /** Why nothing was judged: 'disabled', 'bot author', 'channel not watched', 'exempt role', 'no images', 'shutting down'. */
  skipped?: string;
  judged: ImageJudgement[];
  /** Images that could not be judged (bad input, download failure), with the error code and line. */
  failed: { index: number; code: ErrorCode; message: string }[];
}

export interface ReviewStats {
  /** Judgements with a hateful verdict. */
  flagged: number;
  /** Flags whose latest review is confirm or delete. */
  confirmed: number;
  /** Flags whose latest review is not hateful. */
  overturned: number;
  /** overturned / (confirmed + overturned); null before any review. */
  falsePositiveRate: number | null;
}

/** The moderator's public surface; `Moderator` in ./moderator.ts implements it. */
export interface ModeratorApi {
  /** Judge every image of a post, record it, perform the actions the workspace settings ask for. Never throws. */
  handlePost(post: ImagePost, port: PlatformPort): Promise<PostOutcome>;
  /** Store a review; 'delete' also deletes the message. Returns what to tell the reviewer. Never throws. */
  handleReview(click: ReviewClick, port: PlatformPort): Promise<NeutralReply>;
  /** check / evaluate / config. Returns the final reply; never throws (errors become `kind: 'error'`). */
  handleCommand(request: CommandRequest, port: CommandPort): Promise<NeutralReply>;
  /** The workspace's settings (defaults when never set). */
  getSettings(ref: WorkspaceRef): Promise<WorkspaceSettings>;
  /** Confirmed and overturned flag counts: the live false-positive rate. */
  reviewStats(ref: WorkspaceRef): Promise<ReviewStats>;
  /** Stop taking new posts, wait for judgements in flight, cancel an evaluation. */
  drain(): Promise<void>;
}
