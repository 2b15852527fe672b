-- 008-plan-work.sql: the plan's working tables (issue 15).  `mailferry
-- plan` used to hold every mailbox, the aliases taken and the keys seen in
-- memory while deciding; at 100,000 mailboxes that grew with the post
-- office.  It now keeps them here, inside its transaction, and reads the
-- mailboxes a few at a time (engine/plan_mailboxes.c, core/store_plan_work.c).
-- The rows of the last plan stay until the next one replaces them; nothing
-- else reads them.

-- One row per mailbox being planned, in plan order (mailboxes.id).
CREATE TABLE plan_work (
  mailbox_id    INTEGER PRIMARY KEY,      -- mailboxes.id (no foreign key: replaced by every plan)
  kind          TEXT NOT NULL,
  name          TEXT NOT NULL,            -- '' when the mailbox has none
  display_name  TEXT,
  source_address TEXT,
  match_key     TEXT,                     -- match key of source_address (target_proxies.match_key)
  loose_key     TEXT,                     -- the same without blanks
  current_alias TEXT,                     -- mailboxes.alias when the plan started
  origin_alias  TEXT,                     -- alias_origin.alias
  map_alias     TEXT,                     -- given by the alias map
  action        TEXT,                     -- as in plan_mailboxes
  object_id     INTEGER,
  obj_class     TEXT,
  obj_alias     TEXT,
  obj_dn        TEXT,
  alias         TEXT,                     -- the final alias; NULL: none
  alias_from    TEXT,
  conflict      TEXT,
  message       TEXT
) STRICT;
-- an earlier mailbox with the same source address; the map's look-ups; the
-- mailbox that already claimed a target object
CREATE INDEX plan_work_key ON plan_work(match_key COLLATE NOCASE, mailbox_id);
CREATE INDEX plan_work_address ON plan_work(source_address COLLATE NOCASE, mailbox_id);
CREATE INDEX plan_work_name ON plan_work(name COLLATE NOCASE, mailbox_id);
CREATE INDEX plan_work_object ON plan_work(object_id, mailbox_id);

-- Every alias the plan has given so far (mailboxes and created recipients).
CREATE TABLE plan_work_aliases (
  alias         TEXT NOT NULL PRIMARY KEY COLLATE NOCASE
) STRICT, WITHOUT ROWID;

-- The first custom recipient or list with each address (duplicates).
CREATE TABLE plan_work_seen (
  key           TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  entry_id      INTEGER NOT NULL,
  name          TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Per alias base, the number to try next when the plan numbers an alias
-- (base2, base3, ...): aliases are only ever added during a plan, so the
-- numbers below it stay taken, and a thousand recipients named alike cost
-- a thousand look-ups, not half a million.
CREATE TABLE plan_work_bases (
  base          TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  next          INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
