import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MemeguardError } from '../../errors.js';
import { logger } from '../../log.js';
import { workspaceSettingsSchema } from '../settings.js';
import type { WorkspaceRef, WorkspaceSettings } from '../types.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import type {
  EvaluationRunRecord,
  JudgementRecord,
  ModerationStore,
  NewEvaluationRun,
  NewJudgement,
  NewReview,
  ReviewCounts,
  ReviewRecord,
} from './types.js';

/** The default DB file when MEMEGUARD_DB is not set. */
export const DEFAULT_DB_PATH = 'data/memeguard.db';

type Row = Record<string, unknown>;

function judgementFromRow(r: Row): JudgementRecord {
  return {
    id: r.id as number,
    platform: r.platform as string,
    workspaceId: r.workspace_id as string,
    channelId: r.channel_id as string,
    messageId: r.message_id as string,
    authorId: r.author_id as string,
    imageSha256: r.image_sha256 as string,
    phash: (r.phash as string | null) ?? null,
    packFingerprint: r.pack_fingerprint as string,
    caption: (r.caption as string | null) ?? null,
    captionSource: (r.caption_source as 'ocr' | 'given' | null) ?? null,
    textScore: (r.text_score as number | null) ?? null,
    imageScore: (r.image_score as number | null) ?? null,
    score: (r.score as number | null) ?? null,
    threshold: (r.threshold as number | null) ?? null,
    fusion: (r.fusion as string | null) ?? null,
    verdict: (r.verdict as 'hateful' | 'not_hateful' | null) ?? null,
    explanation: (r.explanation as string | null) ?? null,
    cachedFrom: (r.cached_from as number | null) ?? null,
    errorCode: (r.error_code as JudgementRecord['errorCode']) ?? null,
    actionTaken: r.action_taken as string,
    createdAt: r.created_at as string,
  };
}

/** Apply the migrations the DB has not seen yet; returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    })();
    applied.push(m.version);
  }
  return applied;
}

/** The SQLite store (better-sqlite3, WAL). `file` ':memory:' for an in-memory DB. */
export class SqliteStore implements ModerationStore {
  readonly file: string;
  private readonly db: Database.Database;

  constructor(file: string) {
    this.file = file;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      const applied = migrate(this.db);
      if (applied.length) logger.info('store migrated', { file, applied });
    } catch (e) {
      // A bad MEMEGUARD_DB (a folder or file in the way, no permission, not a database) is the operator's input.
      const errno = (e as NodeJS.ErrnoException).code;
      const denied = errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS' || errno === 'SQLITE_READONLY' || errno === 'SQLITE_CANTOPEN';
      throw new MemeguardError(denied ? 'PERMISSION_DENIED' : 'BAD_INPUT', `cannot open the database ${file}: ${(e as Error).message}`, {
        hint: 'set MEMEGUARD_DB to a writable file',
        cause: e,
      });
    }
  }

  /** The migration versions recorded in schema_migrations. */
  migrationVersions(): number[] {
    return (this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
  }

  journalMode(): string {
    return String(this.db.pragma('journal_mode', { simple: true }));
  }

  async getSettings(ref: WorkspaceRef): Promise<WorkspaceSettings | null> {
    const row = this.db
      .prepare('SELECT settings FROM workspace_settings WHERE platform = ? AND workspace_id = ?')
      .get(ref.platform, ref.workspaceId) as { settings: string } | undefined;
    if (!row) return null;
    const parsed = workspaceSettingsSchema.safeParse(JSON.parse(row.settings));
    if (!parsed.success) {
      logger.warn('stored settings are invalid; using defaults', { platform: ref.platform, workspace: ref.workspaceId });
      return null;
    }
    return parsed.data;
  }

  async saveSettings(ref: WorkspaceRef, settings: WorkspaceSettings): Promise<void> {
    const valid = workspaceSettingsSchema.parse(settings);
    this.db
      .prepare(
        `INSERT INTO workspace_settings (platform, workspace_id, settings, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (platform, workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
      )
      .run(ref.platform, ref.workspaceId, JSON.stringify(valid), new Date().toISOString());
  }

  async recordJudgement(j: NewJudgement): Promise<number> {
    const info = this.db
      .prepare(
        `INSERT INTO judgements (platform, workspace_id, channel_id, message_id, author_id, image_sha256, phash,
           pack_fingerprint, caption, caption_source, text_score, image_score, score, threshold, fusion, verdict,
           explanation, cached_from, error_code, action_taken, created_at)
         VALUES (@platform, @workspaceId, @channelId, @messageId, @authorId, @imageSha256, @phash, @packFingerprint,
           @caption, @captionSource, @textScore, @imageScore, @score, @threshold, @fusion, @verdict, @explanation,
           @cachedFrom, @errorCode, @actionTaken, @createdAt)`,
      )
      .run({ ...j, createdAt: new Date().toISOString() });
    return Number(info.lastInsertRowid);
  }

  async getJudgement(id: number): Promise<JudgementRecord | null> {
    const row = this.db.prepare('SELECT * FROM judgements WHERE id = ?').get(id) as Row | undefined;
    return row ? judgementFromRow(row) : null;
  }

  async setJudgementAction(id: number, actionTaken: string): Promise<void> {
    this.db.prepare('UPDATE judgements SET action_taken = ? WHERE id = ?').run(actionTaken, id);
  }

  async findVerdictBySha(ref: WorkspaceRef, sha: string, fingerprint: string): Promise<JudgementRecord | null> {
    const row = this.db
      .prepare(
        `SELECT * FROM judgements WHERE platform = ? AND workspace_id = ? AND image_sha256 = ? AND pack_fingerprint = ?
           AND verdict IS NOT NULL AND cached_from IS NULL ORDER BY id LIMIT 1`,
      )
      .get(ref.platform, ref.workspaceId, sha, fingerprint) as Row | undefined;
    return row ? judgementFromRow(row) : null;
  }

  async hasJudgementForMessage(ref: WorkspaceRef, messageId: string, sha: string): Promise<boolean> {
    const row = this.db
      .prepare('SELECT 1 FROM judgements WHERE platform = ? AND workspace_id = ? AND message_id = ? AND image_sha256 = ? LIMIT 1')
      .get(ref.platform, ref.workspaceId, messageId, sha);
    return row !== undefined;
  }

  async countJudgements(ref: WorkspaceRef): Promise<number> {
    const row = this.db
      .prepare('SELECT COUNT(*) AS n FROM judgements WHERE platform = ? AND workspace_id = ?')
      .get(ref.platform, ref.workspaceId) as { n: number };
    return row.n;
  }

  async listJudgements(ref: WorkspaceRef, options: { limit?: number } = {}): Promise<JudgementRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM judgements WHERE platform = ? AND workspace_id = ? ORDER BY id LIMIT ?')
      .all(ref.platform, ref.workspaceId, options.limit ?? 10_000) as Row[];
    return rows.map(judgementFromRow);
  }

  async recordReview(r: NewReview): Promise<number> {
    const info = this.db
      .prepare(
        `INSERT INTO reviews (judgement_id, platform, workspace_id, reviewer_id, decision, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(r.judgementId, r.platform, r.workspaceId, r.reviewerId, r.decision, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  async listReviews(judgementId: number): Promise<ReviewRecord[]> {
    const rows = this.db.prepare('SELECT * FROM reviews WHERE judgement_id = ? ORDER BY id').all(judgementId) as Row[];
    return rows.map((r) => ({
      id: r.id as number,
      judgementId: r.judgement_id as number,
      platform: r.platform as string,
      workspaceId: r.workspace_id as string,
      reviewerId: r.reviewer_id as string,
      decision: r.decision as ReviewRecord['decision'],
      createdAt: r.created_at as string,
    }));
  }

  async reviewCounts(ref: WorkspaceRef): Promise<ReviewCounts> {
    const flagged = (
      this.db
        .prepare(`SELECT COUNT(*) AS n FROM judgements WHERE platform = ? AND workspace_id = ? AND verdict = 'hateful'`)
        .get(ref.platform, ref.workspaceId) as { n: number }
    ).n;
    const latest = this.db
      .prepare(
        `SELECT r.decision AS decision, COUNT(*) AS n FROM reviews r
           JOIN judgements j ON j.id = r.judgement_id AND j.verdict = 'hateful'
          WHERE r.platform = ? AND r.workspace_id = ?
            AND r.id = (SELECT MAX(id) FROM reviews WHERE judgement_id = r.judgement_id)
          GROUP BY r.decision`,
      )
      .all(ref.platform, ref.workspaceId) as { decision: string; n: number }[];
    let confirmed = 0;
    let overturned = 0;
    for (const { decision, n } of latest) {
      if (decision === 'not_hateful') overturned += n;
      else confirmed += n;
    }
    return { flagged, confirmed, overturned };
  }

  async startEvaluationRun(run: NewEvaluationRun): Promise<number> {
    const info = this.db
      .prepare(
        `INSERT INTO evaluation_runs (platform, workspace_id, requester_id, data_dir, split, item_limit, status, started_at)
         VALUES (?, ?, ?, ?, ?, ?, 'running', ?)`,
      )
      .run(run.platform, run.workspaceId, run.requesterId, run.dataDir, run.split, run.limit, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  async finishEvaluationRun(id: number, status: EvaluationRunRecord['status'], result: string | null): Promise<void> {
    this.db
      .prepare('UPDATE evaluation_runs SET status = ?, result = ?, finished_at = ? WHERE id = ?')
      .run(status, result, new Date().toISOString(), id);
  }

  async getEvaluationRun(id: number): Promise<EvaluationRunRecord | null> {
    const r = this.db.prepare('SELECT * FROM evaluation_runs WHERE id = ?').get(id) as Row | undefined;
    if (!r) return null;
    return {
      id: r.id as number,
      platform: r.platform as string,
      workspaceId: r.workspace_id as string,
      requesterId: r.requester_id as string,
      dataDir: r.data_dir as string,
      split: r.split as string,
      limit: (r.item_limit as number | null) ?? null,
      status: r.status as EvaluationRunRecord['status'],
      startedAt: r.started_at as string,
      finishedAt: (r.finished_at as string | null) ?? null,
      result: (r.result as string | null) ?? null,
    };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Open the store at `file` (MEMEGUARD_DB), creating the folder and the schema. */
export function openSqliteStore(file: string = DEFAULT_DB_PATH): SqliteStore {
  return new SqliteStore(file);
}
