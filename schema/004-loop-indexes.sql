-- 004-loop-indexes.sql: indexes for look-ups that run once per item and
-- scanned a table growing with the data (found by the query-plan guard,
-- tests/cli/queryplan.sh).  Nothing else changes: the same rows come back.

-- folder_summary counts a folder's messages (`status --json`, once per
-- mailbox and folder); messages_mailbox leads with mailbox_id, so each
-- count scanned the whole index.
CREATE INDEX messages_folder ON messages(folder_id);

-- The preflight asks, once per mailbox, which of its source files are not
-- finished (engine/check.c): a scan of source_files per mailbox without it.
CREATE INDEX source_files_mailbox ON source_files(mailbox_id) WHERE mailbox_id IS NOT NULL;
