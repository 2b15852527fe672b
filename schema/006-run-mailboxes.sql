-- 006-run-mailboxes.sql: an export run's figures per mailbox (issue 15:
-- what must be held for the end of a run is held in the store, not in
-- memory).  One row per selected mailbox, written as the run is through
-- with it (not-reached ones at the end); the run's summary (runs.summary)
-- keeps the totals, and `export --json` and the printed table read these
-- rows back in seq order.
CREATE TABLE run_mailboxes (
  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq            INTEGER NOT NULL,       -- position in the run's selection (alias order)
  mailbox_id     INTEGER NOT NULL,
  alias          TEXT NOT NULL,
  action         TEXT,                   -- the plan's action (create, convert, ...)
  planned        INTEGER NOT NULL,
  delivered      INTEGER NOT NULL,
  already        INTEGER NOT NULL,
  failed         INTEGER NOT NULL,
  bytes          INTEGER NOT NULL,
  attachments    INTEGER NOT NULL,
  calendar_items INTEGER NOT NULL,
  problems       INTEGER NOT NULL,
  state          TEXT NOT NULL
                 CHECK ((state = 'done' OR state = 'failed' OR state = 'leased' OR state = 'interrupted' OR state = 'not-reached')),
  PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;

-- The export order (engine/export_select.c: alias, or name when there is
-- none, without ASCII case, then id), so the selection is read in order
-- instead of sorted in memory once per export, check and verify.
CREATE INDEX mailboxes_export_order ON mailboxes(coalesce(alias, name) COLLATE NOCASE, id);
