/**
 * Numbered schema migrations, applied in order inside a transaction and recorded in `schema_migrations`.
 * Never edit a migration that has shipped: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'settings, judgements, reviews, evaluation runs',
    sql: `
      CREATE TABLE workspace_settings (
        platform     TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        settings     TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (platform, workspace_id)
      );
      CREATE TABLE judgements (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        platform         TEXT NOT NULL,
        workspace_id     TEXT NOT NULL,
        channel_id       TEXT NOT NULL,
        message_id       TEXT NOT NULL,
        author_id        TEXT NOT NULL,
        image_sha256     TEXT NOT NULL,
        phash            TEXT,
        pack_fingerprint TEXT NOT NULL,
        caption          TEXT,
        caption_source   TEXT,
        text_score       REAL,
        image_score      REAL,
        score            REAL,
        threshold        REAL,
        fusion           TEXT,
        verdict          TEXT CHECK (verdict IN ('hateful', 'not_hateful')),
        explanation      TEXT,
        cached_from      INTEGER REFERENCES judgements(id),
        error_code       TEXT,
        action_taken     TEXT NOT NULL,
        created_at       TEXT NOT NULL
      );
      CREATE INDEX judgements_by_sha ON judgements (platform, workspace_id, image_sha256);
      CREATE INDEX judgements_by_message ON judgements (platform, workspace_id, message_id);
      CREATE TABLE reviews (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        judgement_id INTEGER NOT NULL REFERENCES judgements(id),
        platform     TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        reviewer_id  TEXT NOT NULL,
        decision     TEXT NOT NULL CHECK (decision IN ('confirm', 'not_hateful', 'delete')),
        created_at   TEXT NOT NULL
      );
      CREATE INDEX reviews_by_judgement ON reviews (judgement_id);
      CREATE TABLE evaluation_runs (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        platform     TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        requester_id TEXT NOT NULL,
        data_dir     TEXT NOT NULL,
        split        TEXT NOT NULL,
        item_limit   INTEGER,
        status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        result       TEXT
      );
    `,
  },
];
