-- 005-ledger-cards.sql: the ledger gets an item kind for one card of a
-- personal address book: 'card', item_id the pab_entries.id.  The CardDAV
-- exporter records each card it puts on a server (the book as a whole
-- stays a 'pab' row with the mailbox's id).  Before this, cards were 'pab'
-- rows with the negative pab_entries.id; they become 'card' rows here.
--
-- SQLite cannot widen a CHECK constraint in place: the table is made again
-- under a new name, filled, and renamed (nothing references deliveries).

CREATE TABLE deliveries_005 (
  target        TEXT NOT NULL,
  item_kind     TEXT NOT NULL CHECK ((item_kind = 'message' OR item_kind = 'calendar' OR item_kind = 'pab' OR item_kind = 'card' OR item_kind = 'mailbox')),
  item_id       INTEGER NOT NULL,
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  run_id        INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  status        TEXT NOT NULL CHECK ((status = 'delivered' OR status = 'failed' OR status = 'skipped')),
  remote_id     TEXT,                     -- the target's id: file name, 'uidvalidity:uid', offset
  sha256        TEXT,                     -- of the bytes delivered
  bytes         INTEGER,
  detail        TEXT,                     -- why it failed or was skipped
  at            INTEGER NOT NULL,
  PRIMARY KEY (target, item_kind, item_id)
) STRICT;

INSERT INTO deliveries_005(target, item_kind, item_id, mailbox_id, run_id, status, remote_id,
                           sha256, bytes, detail, at)
  SELECT target,
         CASE WHEN item_kind = 'pab' AND item_id < 0 THEN 'card' ELSE item_kind END,
         CASE WHEN item_kind = 'pab' AND item_id < 0 THEN -item_id ELSE item_id END,
         mailbox_id, run_id, status, remote_id, sha256, bytes, detail, at
    FROM deliveries;

DROP TABLE deliveries;
ALTER TABLE deliveries_005 RENAME TO deliveries;
CREATE INDEX deliveries_mailbox ON deliveries(mailbox_id, target);
