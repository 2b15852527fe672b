-- 001-core.sql: the staging store's tables.
--
-- Every table is STRICT.  Text is UTF-8; bytes from the sources that text
-- cannot carry exactly are kept in BLOB columns (raw_*).  Times are seconds
-- since the epoch, UTC; a NULL time means "unknown" and the source's text is
-- kept beside it.  docs/staging.md documents every table and column.
--
-- CHECK constraints spell alternatives out with OR and BETWEEN rather than
-- IN (...): SQLite 3.40 builds a temporary table for an IN list every time
-- the constraint is checked, which made every row written several times
-- slower (measured: 100k instructions per ledger row).

-- One import of an export set (cc:Mail), bundle (MS Mail), single message
-- file, or target directory snapshot.
CREATE TABLE sources (
  id            INTEGER PRIMARY KEY,
  format        TEXT NOT NULL,            -- importer name: ccmail, msmail, directory
  path          TEXT NOT NULL,            -- the folder or file given to import
  postoffice    TEXT,                     -- post office (cc:Mail) / postoffice (MS Mail)
  network       TEXT,                     -- MS Mail network name
  codepage      TEXT,                     -- canonical code page of the text files: CP850
  calendar_codepage TEXT,                 -- code page of calendar files (MS Mail: CP1252)
  timezone      TEXT NOT NULL DEFAULT 'UTC', -- IANA zone of the wall-clock times
  date_order    TEXT,                     -- mdy, dmy, ymd
  db_version    TEXT,                     -- DB6, DB8 (informational)
  exported_at   TEXT,                     -- from the manifest, as written
  manifest      BLOB,                     -- the manifest bytes, verbatim
  manifest_sha256 TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX sources_identity ON sources(format, ifnull(network, ''), ifnull(postoffice, ''), path);

-- Every file read from a source, recognised again by its sha256.
CREATE TABLE source_files (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  role          TEXT NOT NULL,            -- manifest, users, directory, lists, mail, bboard, pab, calendar, groups, gateway, maildata, message-file
  path          TEXT NOT NULL,            -- relative to sources.path (as found on disk)
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  codepage      TEXT,                     -- code page its text was read in
  mailbox_id    INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL, -- owner, for mail/pab/calendar files
  state         TEXT NOT NULL DEFAULT 'importing' CHECK ((state = 'importing' OR state = 'done' OR state = 'failed')),
  messages      INTEGER NOT NULL DEFAULT 0,   -- messages staged from it
  skipped       INTEGER NOT NULL DEFAULT 0,   -- damaged messages skipped
  imported_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX source_files_identity ON source_files(source_id, role, path);
CREATE INDEX source_files_sha ON source_files(sha256);

-- Post offices named by the sources' directories.
CREATE TABLE postoffices (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  network       TEXT,
  kind          TEXT NOT NULL DEFAULT 'remote' CHECK ((kind = 'local' OR kind = 'remote' OR kind = 'gateway')),
  address_type  TEXT,                     -- for gateways: SMTP, X400, FAX, ...
  comments      TEXT,
  UNIQUE (source_id, name)
) STRICT;

-- Mailboxes to migrate: users of the exported post office (kind mailbox)
-- and bulletin boards / shared folders (kind public).
CREATE TABLE mailboxes (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK ((kind = 'mailbox' OR kind = 'public')),
  name          TEXT NOT NULL,            -- name in the source: 'Lindqvist, Anna', 'ERAMIREZ', '#Announcements'
  alias         TEXT COLLATE NOCASE UNIQUE
                CHECK (alias IS NULL OR (length(alias) BETWEEN 1 AND 20
                                         AND alias NOT GLOB '*[^A-Za-z0-9._-]*')),
  display_name  TEXT NOT NULL,
  given_name    TEXT,
  surname       TEXT,
  address_type  TEXT NOT NULL,            -- CCMAIL, MS
  source_address TEXT NOT NULL,           -- 'CCMAIL:Lindqvist, Anna at SALES01', 'MS:ACMENET/HQPO/ERAMIREZ'
  deleted       INTEGER NOT NULL DEFAULT 0 CHECK (deleted BETWEEN 0 AND 1),   -- deleted on the source, kept for its mail
  in_directory  INTEGER NOT NULL DEFAULT 1 CHECK (in_directory BETWEEN 0 AND 1), -- 0: named only by the users file
  comments      TEXT,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX mailboxes_identity ON mailboxes(source_id, kind, name COLLATE NOCASE);
CREATE INDEX mailboxes_address ON mailboxes(source_address COLLATE NOCASE);

-- The mail section of every mailbox to migrate.  A trigger creates it with
-- the mailbox, so no mailbox can exist without one: this row is what makes
-- an exporter write the mailbox's MAILMESSAGE section (and create its INBOX)
-- even when it holds no message.
CREATE TABLE mail_sections (
  mailbox_id    INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  mail_file_id  INTEGER REFERENCES source_files(id) ON DELETE SET NULL, -- NULL: no mail was exported
  mail_skipped  INTEGER NOT NULL DEFAULT 0 CHECK (mail_skipped BETWEEN 0 AND 1), -- 1: no mail will be migrated
  reason        TEXT                      -- why the mail is skipped
) STRICT;
CREATE TRIGGER mailboxes_mail_section AFTER INSERT ON mailboxes
BEGIN
  INSERT INTO mail_sections(mailbox_id, mail_skipped, reason)
  VALUES (NEW.id, 1, 'no mail file in the export');
END;

-- The sources' directories: users, custom recipients, lists, post offices,
-- aliases, bulletin boards.
CREATE TABLE dir_entries (
  id            INTEGER PRIMARY KEY,
  source_id     INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK ((kind = 'user' OR kind = 'custom' OR kind = 'list' OR kind = 'postoffice' OR kind = 'alias' OR kind = 'bboard')),
  name          TEXT NOT NULL,            -- as in the source
  display_name  TEXT,
  given_name    TEXT,
  surname       TEXT,
  address_type  TEXT,                     -- CCMAIL, MS, SMTP, X400, FAX, ...
  address       TEXT,                     -- in that type's form: 'Name at PO', 'NET/PO/MBX', 'jdoe@example.com'
  postoffice    TEXT,
  location      TEXT,                     -- cc:Mail Locn code / MS Mail transaction code, as written
  comments      TEXT,
  alias_of      INTEGER REFERENCES dir_entries(id) ON DELETE SET NULL, -- kind alias: the entry it names
  mailbox_id    INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,   -- a user with a mailbox here
  src_file_id   INTEGER REFERENCES source_files(id) ON DELETE SET NULL,
  src_offset    INTEGER,
  raw           BLOB                      -- the record as written, source code page
) STRICT;
CREATE INDEX dir_entries_name ON dir_entries(name COLLATE NOCASE);
CREATE INDEX dir_entries_address ON dir_entries(address COLLATE NOCASE);
CREATE INDEX dir_entries_source ON dir_entries(source_id, kind);

-- Members of directory lists (public mailing lists, MS Mail groups).
CREATE TABLE list_members (
  list_id       INTEGER NOT NULL REFERENCES dir_entries(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  address       TEXT NOT NULL,            -- as written
  entry_id      INTEGER REFERENCES dir_entries(id) ON DELETE SET NULL, -- resolved; NULL: unresolved
  PRIMARY KEY (list_id, position)
) STRICT, WITHOUT ROWID;

-- Folders of a mailbox, as they will be on the target.
CREATE TABLE folders (
  id            INTEGER PRIMARY KEY,
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  path          TEXT NOT NULL,            -- target path, levels separated by '\': 'Inbox', 'Sent Items', 'Projects\Q2'
  source_name   TEXT NOT NULL,            -- as in the source: 'Message Log', 'sent.mmff'
  special       TEXT CHECK ((special = 'inbox' OR special = 'sent' OR special = 'drafts' OR special = 'trash')),
  UNIQUE (mailbox_id, path)
) STRICT;

-- Messages.  A forwarded message (cc:Mail message item) is a message row
-- with parent_id set and folder_id NULL.
CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  folder_id     INTEGER REFERENCES folders(id) ON DELETE CASCADE,
  parent_id     INTEGER REFERENCES messages(id) ON DELETE CASCADE,
  src_file_id   INTEGER NOT NULL REFERENCES source_files(id) ON DELETE CASCADE,
  src_offset    INTEGER NOT NULL,         -- byte offset of the message in its file
  src_length    INTEGER NOT NULL,
  src_sha256    TEXT NOT NULL,            -- of those bytes
  raw_header    BLOB NOT NULL,            -- header block as written, byte for byte
  charset       TEXT,                     -- code page the text was read in
  sender_name   TEXT,                     -- display name (UTF-8)
  sender_type   TEXT,                     -- CCMAIL, MS, SMTP, ...
  sender_address TEXT,
  sender_raw    TEXT,                     -- as written; NULL: no sender
  sender_entry_id INTEGER REFERENCES dir_entries(id) ON DELETE SET NULL,
  subject       TEXT,
  date_raw      TEXT,                     -- date text as written
  sent_utc      INTEGER,                  -- NULL: unknown
  received_utc  INTEGER,                  -- NULL: unknown
  timezone      TEXT,                     -- zone the wall-clock date was in
  unread        INTEGER NOT NULL DEFAULT 0 CHECK (unread BETWEEN 0 AND 1),
  unsent        INTEGER NOT NULL DEFAULT 0 CHECK (unsent BETWEEN 0 AND 1),
  priority      INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1 AND 1),
  receipt_requested INTEGER NOT NULL DEFAULT 0 CHECK (receipt_requested BETWEEN 0 AND 1),
  is_receipt    INTEGER NOT NULL DEFAULT 0 CHECK (is_receipt BETWEEN 0 AND 1),
  message_class TEXT,                     -- IPM.Note, IPM.Microsoft Schedule.MtgReq, ...
  message_id    TEXT,                     -- the source's message id, if any
  conversation_id TEXT,
  parent_message_id TEXT,
  size          INTEGER NOT NULL DEFAULT 0, -- bytes of bodies and attachments
  imported_at   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX messages_source ON messages(src_file_id, src_offset);
CREATE INDEX messages_mailbox ON messages(mailbox_id, folder_id);
CREATE INDEX messages_parent ON messages(parent_id) WHERE parent_id IS NOT NULL;

-- Recipients with their roles, in order.
CREATE TABLE recipients (
  message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  role          TEXT NOT NULL CHECK ((role = 'to' OR role = 'cc' OR role = 'bcc')),
  position      INTEGER NOT NULL,
  display_name  TEXT,
  address_type  TEXT,
  address       TEXT,
  raw           TEXT NOT NULL,            -- as written
  entry_id      INTEGER REFERENCES dir_entries(id) ON DELETE SET NULL, -- resolved in the directory
  PRIMARY KEY (message_id, role, position)
) STRICT, WITHOUT ROWID;

-- Text bodies.  position orders bodies and attachments together, as the
-- items stood in the source.
CREATE TABLE body_parts (
  id            INTEGER PRIMARY KEY,
  message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK ((kind = 'text' OR kind = 'rtf')),
  title         TEXT,                     -- item title, if any
  text          TEXT NOT NULL,            -- UTF-8
  size          INTEGER NOT NULL,         -- bytes of the payload in the source
  sha256        TEXT NOT NULL,            -- of the payload in the source
  raw           BLOB,                     -- the payload as written, kept when text does not reproduce it
  replacements  INTEGER NOT NULL DEFAULT 0, -- bytes with no mapping in the code page (U+FFFD in text)
  highlights_removed INTEGER NOT NULL DEFAULT 0,
  src_offset    INTEGER,
  UNIQUE (message_id, position)
) STRICT;

-- Attachments (file, fax, graphics, sound items; MMFF attachments;
-- forwarded messages).
CREATE TABLE attachments (
  id            INTEGER PRIMARY KEY,
  message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK ((kind = 'file' OR kind = 'fax' OR kind = 'graphics' OR kind = 'sound' OR kind = 'message' OR kind = 'ole')),
  name          TEXT NOT NULL,            -- file name to use (UTF-8)
  title         TEXT,                     -- item title as written (UTF-8)
  content_type  TEXT,
  data          BLOB,                     -- the bytes; NULL when the export held none
  size          INTEGER NOT NULL,
  sha256        TEXT,                     -- of data
  original      BLOB,                     -- MacBinary II file as exported, when data is its data fork
  original_size INTEGER,
  original_sha256 TEXT,
  format        TEXT CHECK (format IS NULL OR (format = 'macbinary')),
  mac_type      TEXT,
  mac_creator   TEXT,
  body_position INTEGER,                  -- byte offset in the body text where it stood; NULL: end
  nested_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL, -- kind message
  src_offset    INTEGER,
  UNIQUE (message_id, position)
) STRICT;

-- Calendar items, as iCalendar text (one VEVENT/VTODO plus its overridden
-- instances), with the source object kept verbatim.
CREATE TABLE calendar_items (
  id            INTEGER PRIMARY KEY,
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  src_file_id   INTEGER REFERENCES source_files(id) ON DELETE SET NULL,
  src_offset    INTEGER,
  kind          TEXT NOT NULL CHECK ((kind = 'event' OR kind = 'todo' OR kind = 'journal')),
  uid           TEXT NOT NULL,
  summary       TEXT,
  dtstart_utc   INTEGER,
  timezone      TEXT,                     -- TZID used
  recurring     INTEGER NOT NULL DEFAULT 0 CHECK (recurring BETWEEN 0 AND 1),
  ical          TEXT NOT NULL,            -- component(s), UTF-8, CR LF lines
  raw           BLOB,                     -- the source object as written
  source_type   TEXT,                     -- SingleAppointments, RecurringEvents, ...
  UNIQUE (mailbox_id, uid)
) STRICT;

-- Personal address books: entries and personal distribution lists.
CREATE TABLE pab_entries (
  id            INTEGER PRIMARY KEY,
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK ((kind = 'entry' OR kind = 'dl')),
  display_name  TEXT NOT NULL,
  address_type  TEXT,                     -- entry: SMTP, CCMAIL, MS, ...; NULL: no address known
  address       TEXT,
  first_name TEXT, last_name TEXT, street TEXT, city TEXT, state TEXT, zip TEXT,
  country TEXT, title TEXT, company TEXT, department TEXT, office TEXT,
  assistant TEXT, bus_num TEXT, bus2_num TEXT, assist_num TEXT, fax_num TEXT,
  home_num TEXT, home2_num TEXT, mobile_num TEXT, pager_num TEXT,
  note          TEXT,
  src_file_id   INTEGER REFERENCES source_files(id) ON DELETE SET NULL,
  src_offset    INTEGER,
  raw           BLOB,
  UNIQUE (mailbox_id, position)
) STRICT;

CREATE TABLE pab_members (
  pab_id        INTEGER NOT NULL REFERENCES pab_entries(id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  address       TEXT NOT NULL,            -- as written
  member_pab_id INTEGER REFERENCES pab_entries(id) ON DELETE SET NULL, -- another entry of this book
  entry_id      INTEGER REFERENCES dir_entries(id) ON DELETE SET NULL, -- or a directory entry
  PRIMARY KEY (pab_id, position)
) STRICT, WITHOUT ROWID;

-- Runs: every import, plan, check, export and verify.
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL CHECK ((kind = 'import' OR kind = 'plan' OR kind = 'check' OR kind = 'export' OR kind = 'verify')),
  format        TEXT,                     -- importer or exporter name
  target        TEXT,                     -- normalised target (output folder, imap://host:port)
  host          TEXT NOT NULL,
  pid           INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL,
  finished_at   INTEGER,
  status        TEXT NOT NULL DEFAULT 'running'
                CHECK ((status = 'running' OR status = 'ok' OR status = 'problems' OR status = 'failed' OR status = 'interrupted')),
  options       TEXT,                     -- JSON of the options (never a password)
  summary       TEXT                      -- JSON summary written at the end
) STRICT;

-- A mailbox is exported to a target by one run at a time.
CREATE TABLE leases (
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  target        TEXT NOT NULL,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  acquired_at   INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, target)
) STRICT;

-- The delivery ledger: what reached which target.  item_kind is 'message',
-- 'calendar', 'pab' or 'mailbox' (the mailbox itself: its mail section
-- written, its INBOX created); item_id the row of that table.
CREATE TABLE deliveries (
  target        TEXT NOT NULL,
  item_kind     TEXT NOT NULL CHECK ((item_kind = 'message' OR item_kind = 'calendar' OR item_kind = 'pab' OR item_kind = 'mailbox')),
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
CREATE INDEX deliveries_mailbox ON deliveries(mailbox_id, target);

-- Problems: everything that had to be guessed, skipped or repaired.
CREATE TABLE problems (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  source_id     INTEGER REFERENCES sources(id) ON DELETE CASCADE,
  severity      TEXT NOT NULL CHECK ((severity = 'info' OR severity = 'warning' OR severity = 'error')),
  code          TEXT NOT NULL,            -- stable: 'ccmail.size-mismatch', see docs/problems.md
  file          TEXT,                     -- the file concerned
  offset        INTEGER,                  -- byte offset in that file
  mailbox_id    INTEGER REFERENCES mailboxes(id) ON DELETE SET NULL,
  message_id    INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  item          TEXT,                     -- what it concerns when no row exists ('message 12')
  text          TEXT NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;
-- A problem found in a file is recorded once, however often it is imported.
CREATE UNIQUE INDEX problems_once ON problems(code, file, offset, ifnull(item, ''), ifnull(mailbox_id, 0))
  WHERE file IS NOT NULL;
CREATE INDEX problems_mailbox ON problems(mailbox_id);
