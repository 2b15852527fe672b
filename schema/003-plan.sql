-- 003-plan.sql: the target directory snapshot, the alias map and the plan.
--
-- `mailferry import directory` stores what the target already holds
-- (target_objects, target_proxies); `mailferry plan` decides what happens
-- to every mailbox, custom recipient and list (plan_*), and exporters
-- follow it (engine/plan.h).  docs/staging.md documents every column.

-- The target's existing recipients.  One snapshot at a time: importing
-- another deletes the previous one's sources row (format 'directory') and,
-- through ON DELETE CASCADE, everything below it.
CREATE TABLE target_objects (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  class         TEXT NOT NULL CHECK ((class = 'mailbox' OR class = 'custom' OR class = 'dl')),
  alias         TEXT COLLATE NOCASE,      -- Common-Name / alias as written; NULL: none given
  display_name  TEXT,
  given_name    TEXT,
  surname       TEXT,
  target_address TEXT,                    -- custom recipient: where its mail goes, as written
  line          INTEGER NOT NULL,         -- record number in the file (the header is record 1)
  offset        INTEGER NOT NULL,         -- byte offset of the record
  raw           TEXT NOT NULL             -- the record as written (UTF-8)
) STRICT;
CREATE INDEX target_objects_alias ON target_objects(alias COLLATE NOCASE);

-- Proxy (e-mail) addresses of the target's objects, in the order written.
CREATE TABLE target_proxies (
  object_id     INTEGER NOT NULL REFERENCES target_objects(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  proxy         TEXT NOT NULL,            -- as written: 'SMTP:a@b.example', 'MIGRATE:CCMAIL:Lindqvist, Anna at SALES01'
  type          TEXT NOT NULL,            -- address type in upper case, MIGRATE: removed: 'CCMAIL'
  address       TEXT NOT NULL,            -- the part after the type
  is_primary    INTEGER NOT NULL CHECK (is_primary BETWEEN 0 AND 1), -- type written in upper case
  migrate       INTEGER NOT NULL CHECK (migrate BETWEEN 0 AND 1),    -- written with the MIGRATE: prefix
  match_key     TEXT NOT NULL,            -- 'CCMAIL:Lindqvist, Anna at SALES01': compared case-insensitively
  loose_key     TEXT NOT NULL,            -- match_key without blanks: finds near misses
  PRIMARY KEY (object_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX target_proxies_match ON target_proxies(match_key COLLATE NOCASE);
CREATE INDEX target_proxies_loose ON target_proxies(loose_key COLLATE NOCASE);

-- The alias map given with `mailferry plan --alias-map FILE`: kept until
-- another map is given, so every later plan (also the one an export makes
-- on its own) uses it.
CREATE TABLE alias_map (
  key           TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, -- source address or name of a mailbox
  alias         TEXT NOT NULL,
  line          INTEGER NOT NULL,         -- record number in the file
  file          TEXT NOT NULL             -- the file it came from
) STRICT;

-- The alias each mailbox was staged with, recorded the first time a plan
-- sees it: the plan may give the mailbox another alias (the map, or the
-- alias of the target object it becomes) and must be able to go back.
CREATE TABLE alias_origin (
  mailbox_id    INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  alias         TEXT                      -- NULL: none could be formed
) STRICT;

-- The plan's header: one row, written by every plan.
CREATE TABLE plan_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  run_id        INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  fingerprint   TEXT NOT NULL,            -- sha256 of everything the plan was made from
  made_at       INTEGER NOT NULL,
  mailboxes     INTEGER NOT NULL,
  conflicts     INTEGER NOT NULL
) STRICT;

-- What happens to every mailbox on the target.
CREATE TABLE plan_mailboxes (
  mailbox_id    INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  action        TEXT NOT NULL CHECK ((action = 'create' OR action = 'convert' OR action = 'exists' OR action = 'public' OR action = 'conflict')),
  alias         TEXT,                     -- its alias on the target (mailboxes.alias after the plan)
  alias_from    TEXT CHECK ((alias_from = 'staged' OR alias_from = 'map' OR alias_from = 'target')),
  object_id     INTEGER REFERENCES target_objects(id) ON DELETE SET NULL, -- convert/exists: that object; conflict: the other one
  conflict      TEXT,                     -- conflict code: 'plan.alias-taken', ...
  message       TEXT NOT NULL             -- what happens; for a conflict both objects and the fix
) STRICT;

-- What happens to every custom recipient and list of the sources.
CREATE TABLE plan_recipients (
  entry_id      INTEGER PRIMARY KEY REFERENCES dir_entries(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK ((kind = 'custom' OR kind = 'list')),
  action        TEXT NOT NULL CHECK ((action = 'create' OR action = 'exists' OR action = 'migrated' OR action = 'duplicate' OR action = 'skip')),
  alias         TEXT,                     -- create: its alias on the target
  address       TEXT,                     -- TYPE:address ('SMTP:jdoe@example.com'); NULL: none known
  object_id     INTEGER REFERENCES target_objects(id) ON DELETE SET NULL, -- exists: the target's object
  mailbox_id    INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,      -- migrated: the mailbox
  same_as       INTEGER REFERENCES dir_entries(id) ON DELETE SET NULL,    -- duplicate: the entry that is created
  message       TEXT NOT NULL
) STRICT;

-- One row per mailbox: its plan, for people who look with sqlite3.
CREATE VIEW plan_summary AS
SELECT m.alias                                  AS alias,
       m.display_name                           AS display_name,
       m.source_address                         AS source_address,
       ifnull(p.action, '(not planned)')        AS action,
       o.class                                  AS object_class,
       o.alias                                  AS object_alias,
       p.conflict                               AS conflict,
       p.message                                AS message,
       m.id                                     AS mailbox_id
  FROM mailboxes m
  LEFT JOIN plan_mailboxes p ON p.mailbox_id = m.id
  LEFT JOIN target_objects o ON o.id = p.object_id;
