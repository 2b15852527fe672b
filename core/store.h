/* SPDX-License-Identifier: MIT */
/*
 * store.h: the SQLite staging store.
 *
 * A store is one SQLite file.  Opening it applies every schema/NNN-*.sql
 * whose number is above PRAGMA user_version (each in its own transaction),
 * and sets WAL mode, foreign keys and synchronous=NORMAL.  A new file is
 * created with mode 0600: it will hold people's mail.
 *
 * Statements are prepared once per connection (mf_store_stmt caches them by
 * their SQL text's address).  Writers group work in transactions
 * (mf_store_begin / mf_store_commit); the import of one message is all or
 * nothing because it happens inside one.
 *
 * Problems go through mf_store_problem, which stamps them with the store's
 * current run and source (mf_store_set_context) and records a problem about
 * a file only once however often the file is imported again.
 *
 * A struct mf_store is used by one thread.  Other processes may use the
 * same file at the same time (WAL, busy timeout of 30 s).
 */
#ifndef MF_CORE_STORE_H
#define MF_CORE_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/hash.h"
#include "core/mf.h"
#include "core/model.h"

struct mf_store;

enum mf_store_flags {
	MF_STORE_CREATE = (1 << 0),   /* create the file if missing */
	MF_STORE_READONLY = (1 << 1), /* open read-only (no schema upgrade) */
	MF_STORE_MUST_EXIST = (1 << 2),
};

/* The schema version this build writes (the highest NNN in schema/). */
int mf_store_schema_version(void);

/*
 * Open (and with MF_STORE_CREATE create) the store at path.  *out is set on
 * MF_OK; free with mf_store_close.  MF_ESTORE (diag has SQLite's message)
 * when the file is not a store or cannot be upgraded; MF_ENOTFOUND when it
 * does not exist and MF_STORE_CREATE was not given.
 */
int mf_store_open(struct mf_store **out, const char *path, unsigned flags,
		  struct mf_diag *diag);
void mf_store_close(struct mf_store **st);

/* The connection and the statement cache are private to the store
 * modules (core/store_priv.h). */
const char *mf_store_path(const struct mf_store *st);
/* Fill diag with SQLite's last error on st and return MF_ESTORE. */
int mf_store_fail(struct mf_store *st, struct mf_diag *diag, const char *what);
/* Run SQL text (several statements allowed, no results). */
int mf_store_exec(struct mf_store *st, const char *sql, struct mf_diag *diag);

/* Transactions (BEGIN IMMEDIATE; nested calls are counted, the outermost
 * commits). */
int mf_store_begin(struct mf_store *st, struct mf_diag *diag);
int mf_store_commit(struct mf_store *st, struct mf_diag *diag);
void mf_store_rollback(struct mf_store *st);
int mf_store_in_transaction(const struct mf_store *st);
/* A read transaction around a command that only reads (status, report):
 * one snapshot for all its statements, and no lock taken and given back
 * around each of them.  Nothing may write (or mf_store_begin) inside it.
 * A no-op inside a transaction; read_end ends only what read_begin began. */
int mf_store_read_begin(struct mf_store *st, struct mf_diag *diag);
void mf_store_read_end(struct mf_store *st);
/* The page cache of this connection, in KiB (the store opens with 2,048).
 * A command whose look-ups follow an order other than the tables' (status:
 * alias order; check: one mailbox's rows in several tables) keeps a
 * larger, still fixed, cache so that a store ten times larger is not read
 * again from the file page by page (issue 15). */
void mf_store_cache_kib(struct mf_store *st, int kib);
#define MF_STORE_LOOKUP_CACHE_KIB 8192
/* verify, and the export of an exporter walked in mailbox-id order: the
 * selection pass reads the whole mailboxes table first and fills whatever
 * cache there is; 2 MiB is filled by a store of 10,000 mailboxes as by one
 * of 100,000 (and by a one-folder store of 2,000 messages as by one of
 * 100,000), so the peak stays the same, where 8 MiB was filled only by the
 * larger (issue 15: verify exchange 22.6 -> 33.5 MiB; issue 16: export pst
 * of one folder 24.7 -> 29.3 MiB).  The reads after it follow the tables'
 * order and cost CPU time that stays linear. */
#define MF_STORE_WALK_CACHE_KIB 2048

/* The run and source that problems and rows are stamped with (0: none). */
void mf_store_set_context(struct mf_store *st, int64_t run_id, int64_t source_id);
int64_t mf_store_run_id(const struct mf_store *st);

/* ---- sources and files ---- */

/* Find or create the sources row for src (matched on format, network,
 * postoffice and path); updates its other columns.  *id_out receives it. */
int mf_store_source(struct mf_store *st, int64_t *id_out,
		    const struct mf_source_info *src, struct mf_diag *diag);

enum mf_file_state { MF_FILE_NEW = 0, MF_FILE_RESUME = 1, MF_FILE_DONE = 2,
		     MF_FILE_CHANGED = 3 };

/*
 * Register a file of the current source before reading it.  *id_out is its
 * source_files row and *state_out says what to do:
 *   MF_FILE_NEW      never seen: import it;
 *   MF_FILE_RESUME   seen with the same sha256 but not finished: import it,
 *                    skipping messages already staged (mf_store_message_exists);
 *   MF_FILE_DONE     imported completely with the same sha256: skip it;
 *   MF_FILE_CHANGED  seen with another sha256: the caller decides (the row
 *                    is not touched).
 * mailbox_id may be 0.
 */
int mf_store_file_begin(struct mf_store *st, int64_t *id_out,
			enum mf_file_state *state_out, int64_t source_id,
			const char *role, const char *path, uint64_t size,
			const char *sha256, const char *codepage,
			int64_t mailbox_id, struct mf_diag *diag);
/* Mark a file finished ("done" or "failed") with its message counts. */
int mf_store_file_end(struct mf_store *st, int64_t file_id, const char *state,
		      int64_t messages, int64_t skipped, struct mf_diag *diag);

/* The source's post office (or ""), format, time zone ("UTC" when none),
 * calendar code page (its code page when none, else "CP1252"), path,
 * network and code page (strings in arena).  MF_ENOTFOUND if none. */
int mf_store_source_load(struct mf_store *st, struct mf_source_info *out, int64_t source_id,
			 struct mf_arena *arena, struct mf_diag *diag);

/* ---- directory ---- */

int mf_store_postoffice(struct mf_store *st, int64_t *id_out, int64_t source_id,
			const char *name, const char *network, const char *kind,
			const char *address_type, const char *comments,
			struct mf_diag *diag);
int mf_store_dir_entry(struct mf_store *st, int64_t *id_out, int64_t source_id,
		       const struct mf_dir_entry *e, struct mf_diag *diag);
int mf_store_list_member(struct mf_store *st, int64_t list_id, int position,
			 const char *address, int64_t entry_id, struct mf_diag *diag);

/* A directory entry as an export renders it (strings in arena): display_name
 * is the entry's name when it has none; mailbox_* describe the mailbox
 * it stands for (NULL: none). */
struct mf_store_entry_ref {
	int64_t id, source_id, mailbox_id;
	const char *kind, *name, *display_name, *address_type, *address;
	const char *mailbox_display_name, *mailbox_alias;
};
int mf_store_entry_ref(struct mf_store *st, struct mf_store_entry_ref *out, int64_t entry_id,
		       struct mf_arena *arena, struct mf_diag *diag);

/* The members of a list in position order: the address as written, the
 * entry it resolved to (0: none) and that entry's mailbox alias (NULL). */
struct mf_store_member {
	const char *address;
	int64_t entry_id;
	const char *mailbox_alias;
};
int mf_store_list_members(struct mf_store *st, struct mf_store_member **out, size_t *n_out,
			  int64_t list_id, struct mf_arena *arena, struct mf_diag *diag);

/* ---- mailboxes ---- */

/*
 * Find or create the mailbox (source_id, kind, name).  A new mailbox gets
 * an alias: mb->alias when given and free, else one formed by
 * core/alias.h's rule; NULL when no ASCII alias can be formed (the plan
 * reports it).  Its mail section is created with it.  *created_out (may be
 * NULL) says whether it was new.
 */
int mf_store_mailbox(struct mf_store *st, int64_t *id_out, int *created_out,
		     int64_t source_id, const struct mf_mailbox *mb,
		     struct mf_diag *diag);
/* Record that the mailbox's mail comes from file_id (mail section no
 * longer skipped), or with file_id 0 that no mail was exported. */
int mf_store_mail_file(struct mf_store *st, int64_t mailbox_id, int64_t file_id,
		       struct mf_diag *diag);
/* Find a mailbox by alias (case-insensitive); MF_ENOTFOUND if none. */
int mf_store_mailbox_by_alias(struct mf_store *st, int64_t *id_out,
			      const char *alias, struct mf_diag *diag);
/* Load one mailbox (strings in arena). */
int mf_store_mailbox_load(struct mf_store *st, struct mf_mailbox *out,
			  int64_t id, struct mf_arena *arena, struct mf_diag *diag);
/* All mailboxes in id order (array and strings in arena). */
int mf_store_mailbox_list(struct mf_store *st, struct mf_mailbox **out,
			  size_t *n_out, struct mf_arena *arena,
			  struct mf_diag *diag);

/* Every mailbox in the export order (alias, or name when it has none,
 * ASCII case-insensitive, then id), one row at a time: visit gets the id
 * and the strings (valid during the call); a negative return stops and is
 * returned.  Holds nothing per mailbox. */
int mf_store_mailbox_order(struct mf_store *st,
			   int (*visit)(void *arg, int64_t id, const char *alias, const char *name,
					const char *source_address),
			   void *arg, struct mf_diag *diag);

/* The same rows in id order (the table's own order, one sequential pass:
 * the export order reads the table through an index, a page for each
 * mailbox once the table outgrows the page cache).  For passes that only
 * count or filter. */
int mf_store_mailbox_each(struct mf_store *st,
			  int (*visit)(void *arg, int64_t id, const char *alias, const char *name,
				       const char *source_address),
			  void *arg, struct mf_diag *diag);

/* Find a mailbox by its exact alias: id, kind, display_name, given_name,
 * surname, source_address and alias are filled (strings in arena).
 * MF_ENOTFOUND if none. */
int mf_store_mailbox_by_alias_exact(struct mf_store *st, struct mf_mailbox *out,
				    const char *alias, struct mf_arena *arena,
				    struct mf_diag *diag);

/* A mailbox's folders (path and special use, strings in arena); sorted:
 * by path, else in the order the database gives. */
struct mf_store_folder {
	const char *path;
	const char *special;
};
int mf_store_folder_list(struct mf_store *st, struct mf_store_folder **out, size_t *n_out,
			 int64_t mailbox_id, int sorted, struct mf_arena *arena,
			 struct mf_diag *diag);

/* Get or create a folder of a mailbox by target path ('\' between levels). */
int mf_store_folder(struct mf_store *st, int64_t *id_out, int64_t mailbox_id,
		    const char *path, const char *source_name, const char *special,
		    struct mf_diag *diag);

/* ---- messages ---- */

/* Is a message from (file, offset) already staged?  1 yes, 0 no, <0 error. */
int mf_store_message_exists(struct mf_store *st, int64_t file_id, int64_t offset,
			    struct mf_diag *diag);

/*
 * Stage one message with its recipients, bodies, attachments and nested
 * messages (computing every sha256).  Must be called inside a transaction
 * (the caller commits in batches).  *id_out receives the message id.
 * When m->src_sha256 holds 64 hex digits the caller has hashed m->src
 * itself (a very large message, hashed while its pages were released) and
 * that digest is stored as it is.
 */
int mf_store_message(struct mf_store *st, int64_t *id_out,
		     const struct mf_message *m, struct mf_diag *diag);

/*
 * Load a message with everything it holds.  Strings, arrays and BLOB copies
 * are allocated in arena and live until its reset; nested messages are
 * loaded too.  When with_data is 0 attachment data is left NULL (has_data
 * still tells whether there is some; use mf_store_attachment_data).
 */
int mf_store_message_load(struct mf_store *st, struct mf_message **out,
			  int64_t id, int with_data, struct mf_arena *arena,
			  struct mf_diag *diag);

/*
 * The top-level messages of a mailbox dated in [*since, *until) (NULL: no
 * bound; undated messages are always kept), in folder path, date, id
 * order, each with its ledger row for target (status and remote_id NULL
 * when none).  visit is called per row (strings valid during the call); a
 * negative return from it stops the walk and is returned.
 */
struct mf_store_msg_row {
	int64_t id;
	const char *folder;
	const char *status;
	const char *remote_id;
	/* mf_store_message_scan only: coalesce(sent_utc, received_utc), its
	 * class in SQLite's order (0 NULL, 1 a number, 2 anything else) */
	int date_class;
	int64_t date;
};
int mf_store_message_select(struct mf_store *st, int64_t mailbox_id, const char *target,
			    const int64_t *since, const int64_t *until,
			    int (*visit)(void *arg, const struct mf_store_msg_row *row),
			    void *arg, struct mf_diag *diag);
/* The rows of mf_store_message_select in no particular order, with their
 * date (row->date_class, row->date): the caller sorts them by (folder,
 * date, id) itself. */
int mf_store_message_scan(struct mf_store *st, int64_t mailbox_id, const char *target,
			  const int64_t *since, const int64_t *until,
			  int (*visit)(void *arg, const struct mf_store_msg_row *row),
			  void *arg, struct mf_diag *diag);

/* ---- calendars and address books ---- */

/* The ids of a mailbox's calendar items that target has (delivered 1),
 * has not (0), or all of them (-1), in id order (*out malloc'd). */
int mf_store_calendar_ids(struct mf_store *st, int64_t **out, size_t *n_out, int64_t mailbox_id,
			  const char *target, int delivered, struct mf_diag *diag);
/* Load one calendar item (strings in arena); MF_ENOTFOUND if none. */
int mf_store_calendar_load(struct mf_store *st, struct mf_calendar_item *c, int64_t id,
			   struct mf_arena *arena, struct mf_diag *diag);
/* A mailbox's address book in position order, with list members (all in
 * arena). */
int mf_store_pab_load(struct mf_store *st, struct mf_pab_entry **out, size_t *n_out,
		      int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag);

int mf_store_calendar_item(struct mf_store *st, int64_t *id_out,
			   const struct mf_calendar_item *c, struct mf_diag *diag);
int mf_store_pab_entry(struct mf_store *st, int64_t *id_out,
		       const struct mf_pab_entry *e, struct mf_diag *diag);

/* ---- problems ---- */

/* Record a problem (stamped with the current run and source).  A problem
 * with a file is stored once: repeating it is not an error. */
int mf_store_problem(struct mf_store *st, const struct mf_problem *p,
		     struct mf_diag *diag);
/* printf-style shorthand. */
int mf_store_problemf(struct mf_store *st, enum mf_severity sev, const char *code,
		      const char *file, int64_t offset, int64_t mailbox_id,
		      int64_t message_id, const char *fmt, ...) MF_ATTR_PRINTF(8, 9);

/* Counts of problems by severity (all runs). */
int mf_store_problem_counts(struct mf_store *st, int64_t counts[3],
			    struct mf_diag *diag);

/* ---- runs ---- */

/* Start a run row (owner = this host and pid, heartbeat now). */
int mf_store_run_begin(struct mf_store *st, int64_t *id_out, const char *kind,
		       const char *format, const char *target,
		       const char *options_json, struct mf_diag *diag);
int mf_store_run_heartbeat(struct mf_store *st, int64_t run_id, struct mf_diag *diag);
int mf_store_run_end(struct mf_store *st, int64_t run_id, const char *status,
		     const char *summary_json, struct mf_diag *diag);

/* Record a run's target once it is known; count a run's problems; mark
 * a run that is still 'running' interrupted (its lease is taken over). */
int mf_store_run_target(struct mf_store *st, int64_t run_id, const char *target,
			struct mf_diag *diag);
int mf_store_run_problems(struct mf_store *st, int64_t *n_out, int64_t run_id,
			  struct mf_diag *diag);
int mf_store_run_interrupt(struct mf_store *st, int64_t run_id, struct mf_diag *diag);

/* A heartbeat on a connection of its own (for a thread of its own):
 * mf_store_beat refreshes the run's heartbeat and returns 0 when the run
 * row is no longer 'running' (another run declared it gone), else 1. */
struct mf_store_beat;
int mf_store_beat_open(struct mf_store_beat **out, const char *path, int64_t run_id);
int mf_store_beat(struct mf_store_beat *b);
void mf_store_beat_close(struct mf_store_beat **b);

/* One export run's figures for one mailbox (the run_mailboxes table). */
struct mf_store_run_mailbox {
	int64_t seq;                 /* position in the run's selection */
	int64_t mailbox_id;
	const char *alias;
	const char *action;          /* NULL: none */
	int64_t planned, delivered, already, failed, bytes, attachments;
	int64_t calendar_items, problems;
	const char *state;           /* done, failed, leased, interrupted, not-reached */
};
/* Record (or replace) row r of run_id. */
int mf_store_run_mailbox_put(struct mf_store *st, int64_t run_id,
			     const struct mf_store_run_mailbox *r, struct mf_diag *diag);
/* The rows of run_id in seq order, one at a time (valid during the call; a
 * negative return of visit stops and is returned). */
int mf_store_run_mailboxes(struct mf_store *st, int64_t run_id,
			   int (*visit)(void *arg, const struct mf_store_run_mailbox *r),
			   void *arg, struct mf_diag *diag);

/* ---- leases: one run per mailbox and target ---- */

struct mf_store_lease {
	int64_t run_id;              /* the run holding it */
	char host[256];              /* that run's host, pid, heartbeat, status */
	int has_host;
	int64_t pid, heartbeat;
	char status[16];
	int has_status;
};
/* 1 and *out when the mailbox is leased for target, 0 when not. */
int mf_store_lease_get(struct mf_store *st, struct mf_store_lease *out, int64_t mailbox_id,
		       const char *target, struct mf_diag *diag);
/* 1 and the holder's run id, 0 when not leased. */
int mf_store_lease_owner(struct mf_store *st, int64_t *run_id_out, int64_t mailbox_id,
			 const char *target, struct mf_diag *diag);
/* Take (or take over) the lease for run_id. */
int mf_store_lease_put(struct mf_store *st, int64_t mailbox_id, const char *target,
		       int64_t run_id, struct mf_diag *diag);
/* Give it back if run_id holds it. */
void mf_store_lease_release(struct mf_store *st, int64_t mailbox_id, const char *target,
			    int64_t run_id);

/* ---- the delivery ledger ---- */

struct mf_store_delivery {
	const char *kind;            /* message, calendar, pab, mailbox */
	int64_t item_id, mailbox_id;
	const char *status;          /* delivered, failed */
	const char *remote_id, *sha256, *detail;   /* may be NULL */
	int64_t bytes;               /* <0: unknown */
};
/* Record (or replace) what target holds of one item, stamped with run_id
 * and now.  Callers group rows in a transaction. */
int mf_store_delivery_put(struct mf_store *st, const char *target, int64_t run_id,
			  const struct mf_store_delivery *r, struct mf_diag *diag);
/* 1 and the remote_id (NULL when none recorded; in arena) of an item
 * delivered to target, 0 when it is not. */
int mf_store_delivery_remote_id(struct mf_store *st, const char **out, const char *target,
				const char *item_kind, int64_t item_id, struct mf_arena *arena,
				struct mf_diag *diag);
/* 1 when target has items of the mailbox but not the mailbox itself (a run
 * worked on it and did not finish), 0 when not, <0 on error. */
int mf_store_delivery_unfinished(struct mf_store *st, const char *target, int64_t mailbox_id);
/* The remote ids (non-NULL) of the messages of a mailbox delivered to
 * target; folder non-NULL: of that folder only.  Array and strings in arena. */
int mf_store_delivered_remote_ids(struct mf_store *st, const char ***out, size_t *n_out,
				  const char *target, int64_t mailbox_id, const char *folder,
				  struct mf_arena *arena, struct mf_diag *diag);

/* ---- what the preflight check counts ---- */

/* A count with an example (strings in arena): n items in `groups` groups
 * (messages, lists; 0 when not counted), no_address of them without an
 * address, example the least one (NULL when n is 0). */
struct mf_store_unresolved {
	int64_t n, groups, no_address;
	const char *example;
};
/* The mail sections of a mailbox (0: the import never reached it). */
int mf_store_mail_sections(struct mf_store *st, int64_t *n_out, int64_t mailbox_id,
			   struct mf_diag *diag);
/* The mailbox's source files whose import is not done, in id order. */
int mf_store_files_not_done(struct mf_store *st, int64_t mailbox_id,
			    void (*visit)(void *arg, const char *path, const char *state,
					  const char *source_path),
			    void *arg, struct mf_diag *diag);
/* Recipients of the mailbox's messages not in the directory (example: the
 * least raw form). */
int mf_store_unresolved_recipients(struct mf_store *st, struct mf_store_unresolved *out,
				   int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag);
/* List members not in the directory, over all lists (example "list: address"). */
int mf_store_unresolved_members(struct mf_store *st, struct mf_store_unresolved *out,
				struct mf_arena *arena, struct mf_diag *diag);
/* Custom recipients and lists the plan skips (example: the least name). */
int mf_store_plan_skipped(struct mf_store *st, struct mf_store_unresolved *out,
			  struct mf_arena *arena, struct mf_diag *diag);

/* ---- the plan (core/store_plan.c) ---- */

/* A row of the plan's inputs or of the plan: which fields are set depends
 * on the call (strings in arena, or valid during a visit). */
struct mf_store_plan_row {
	int64_t id;                  /* mailbox or directory entry */
	int64_t object_id, mailbox_id, same_as;   /* 0: none */
	const char *kind, *name, *display_name, *given_name, *surname;
	const char *address_type, *address, *source_address;
	const char *alias, *alias_from, *action, *plan_address, *conflict, *message;
	int has_object;
	const char *object_class, *object_alias, *object_display_name;
	int planned;                 /* the plan has a row for it */
};
/* An object of the target's directory snapshot. */
struct mf_store_tobj {
	int64_t id;
	const char *cls, *alias, *display_name, *proxy;
};

/* sha256 over version and every input of the plan (hex). */
int mf_store_plan_fingerprint(struct mf_store *st, char hex[MF_SHA256_HEX], const char *version,
			      struct mf_diag *diag);
/* The stored plan's fingerprint: 1 (hex set), 0 no plan yet. */
int mf_store_plan_state_get(struct mf_store *st, char hex[MF_SHA256_HEX], struct mf_diag *diag);
int mf_store_plan_state_put(struct mf_store *st, int64_t run_id, const char *fingerprint,
			    int64_t mailboxes, int64_t conflicts, struct mf_diag *diag);
/* Plan rows counted by (kind, action): mailboxes (kind NULL) or recipients. */
int mf_store_plan_counts(struct mf_store *st, int recipients,
			 void (*visit)(void *arg, const char *kind, const char *action, int64_t n),
			 void *arg, struct mf_diag *diag);
/* Target objects: the one other than except_id using alias (1, or 0 none);
 * the one carrying match key (directory lists first; 1 or 0); one by id
 * with its first proxy (1 or 0); those carrying key, in id order (the
 * first max filled, *n_out counts all); the first non-list one whose
 * loose key matches, with that proxy (1 or 0). */
int mf_store_target_alias_owner(struct mf_store *st, int64_t *id_out, const char *alias,
				int64_t except_id, struct mf_diag *diag);
int mf_store_target_match_any(struct mf_store *st, int64_t *id_out, const char *key,
			      struct mf_diag *diag);
int mf_store_target_describe(struct mf_store *st, struct mf_store_tobj *out, int64_t id,
			     struct mf_arena *arena, struct mf_diag *diag);
int mf_store_target_match(struct mf_store *st, struct mf_store_tobj *out, size_t max,
			  size_t *n_out, const char *key, struct mf_arena *arena,
			  struct mf_diag *diag);
int mf_store_target_loose(struct mf_store *st, struct mf_store_tobj *out, const char *loose_key,
			  struct mf_arena *arena, struct mf_diag *diag);
/* The SMTP address of target object id: its primary SMTP proxy, else its
 * first SMTP one (1, *out in arena; 0 none). */
int mf_store_target_smtp(struct mf_store *st, const char **out, int64_t id,
			 struct mf_arena *arena, struct mf_diag *diag);
/* The alias map: replace, add a line, walk in line order. */
int mf_store_alias_map_clear(struct mf_store *st, struct mf_diag *diag);
int mf_store_alias_map_put(struct mf_store *st, const char *key, const char *alias, int64_t line,
			   const char *file, struct mf_diag *diag);
int mf_store_alias_map_walk(struct mf_store *st,
			    void (*visit)(void *arg, const char *key, const char *alias),
			    void *arg, struct mf_diag *diag);
/* Keep every mailbox's alias as first staged (alias_origin). */
int mf_store_alias_origin(struct mf_store *st, struct mf_diag *diag);
/* Walks on statements of their own (visit may query; a negative return
 * stops): every mailbox with its staged alias (alias) and first alias
 * (alias_from), in id order; every custom recipient and list, in id
 * order; those again with their plan rows (planned, action, alias,
 * plan_address, message); the plan's listing of mailboxes (alias order,
 * with the object matched) or of recipients (kind, id order). */
int mf_store_plan_mailbox_walk(struct mf_store *st,
			       int (*visit)(void *arg, const struct mf_store_plan_row *r),
			       void *arg, struct mf_diag *diag);
int mf_store_plan_entry_walk(struct mf_store *st,
			     int (*visit)(void *arg, const struct mf_store_plan_row *r),
			     void *arg, struct mf_diag *diag);
int mf_store_plan_object_walk(struct mf_store *st,
			      int (*visit)(void *arg, const struct mf_store_plan_row *r),
			      void *arg, struct mf_diag *diag);
int mf_store_plan_listing_walk(struct mf_store *st, int recipients,
			       int (*visit)(void *arg, const struct mf_store_plan_row *r),
			       void *arg, struct mf_diag *diag);
/* Empty the plan's mailbox (or recipient) rows; write one (mailbox: id,
 * action, alias, alias_from, object_id, conflict, message; recipient: id,
 * kind, action, alias, plan_address, object_id, mailbox_id, same_as,
 * message). */
int mf_store_plan_clear(struct mf_store *st, int recipients, struct mf_diag *diag);
int mf_store_plan_mailbox_put(struct mf_store *st, const struct mf_store_plan_row *r,
			      struct mf_diag *diag);
int mf_store_plan_recipient_put(struct mf_store *st, const struct mf_store_plan_row *r,
				struct mf_diag *diag);
int mf_store_mailbox_set_alias(struct mf_store *st, int64_t mailbox_id, const char *alias,
			       struct mf_diag *diag);
/* One mailbox's or recipient's plan row with the object it matched
 * (1, or 0 when there is no such mailbox or custom recipient/list). */
int mf_store_plan_mailbox_get(struct mf_store *st, struct mf_store_plan_row *r, int64_t mailbox_id,
			      struct mf_arena *arena, struct mf_diag *diag);
int mf_store_plan_recipient_get(struct mf_store *st, struct mf_store_plan_row *r, int64_t entry_id,
				struct mf_arena *arena, struct mf_diag *diag);

/* Every target proxy's match key and loose key (either NULL when not
 * set), in no particular order: one pass over target_proxies, for the
 * planner's in-memory filters of the keys the target has at all. */
int mf_store_target_keys_each(struct mf_store *st,
			      void (*visit)(void *arg, const char *match_key, const char *loose_key),
			      void *arg, struct mf_diag *diag);

/* ---- the plan's working tables (core/store_plan_work.c) ---- */

/* A mailbox being planned (plan_work): what it was staged as, then the
 * plan's decision (strings in arena). */
struct mf_store_planw {
	int64_t id;                  /* mailboxes.id */
	const char *kind, *name, *display_name, *source_address, *match_key, *loose_key;
	const char *current_alias, *origin_alias, *map_alias;
	const char *action, *obj_class, *obj_alias, *obj_dn;
	int64_t object_id;           /* 0: none */
	const char *alias, *alias_from, *conflict, *message;
};
/* Empty the working tables (inside the plan's transaction). */
int mf_store_planw_reset(struct mf_store *st, struct mf_diag *diag);
/* Add a mailbox (id, kind, name, display_name, source_address, keys,
 * current and origin alias). */
int mf_store_planw_add(struct mf_store *st, const struct mf_store_planw *w, struct mf_diag *diag);
/* Up to max mailboxes after after_id, in id order (*n_out < max: the last
 * page); one by id (1, or 0 none). */
int mf_store_planw_page(struct mf_store *st, struct mf_store_planw *out, size_t max, size_t *n_out,
			int64_t after_id, struct mf_arena *arena, struct mf_diag *diag);
int mf_store_planw_get(struct mf_store *st, struct mf_store_planw *out, int64_t mailbox_id,
		       struct mf_arena *arena, struct mf_diag *diag);
/* Store a mailbox's decision (action .. message). */
int mf_store_planw_update(struct mf_store *st, const struct mf_store_planw *w, struct mf_diag *diag);
/* The mailboxes an alias-map key names (source address, also after a
 * MIGRATE: prefix, or name; ASCII case ignored): how many, the first id. */
int mf_store_planw_resolve(struct mf_store *st, int64_t *n_out, int64_t *first_id, const char *key,
			   struct mf_diag *diag);
int mf_store_planw_set_map_alias(struct mf_store *st, int64_t mailbox_id, const char *alias,
				 struct mf_diag *diag);
/* The first mailbox with match key key before before_id (0: any) (1/0);
 * the first mailbox before before_id that converts into or goes into
 * target object object_id (1/0). */
int mf_store_planw_first_by_key(struct mf_store *st, int64_t *mailbox_id, const char *key,
				int64_t before_id, struct mf_diag *diag);
int mf_store_planw_claimed(struct mf_store *st, int64_t *mailbox_id, int64_t object_id,
			   int64_t before_id, struct mf_diag *diag);
/* The aliases given so far (case ignored): 1 taken, 0 not; add one. */
int mf_store_planw_alias_has(struct mf_store *st, const char *alias, struct mf_diag *diag);
int mf_store_planw_alias_add(struct mf_store *st, const char *alias, struct mf_diag *diag);
/* The first custom recipient or list with an address key: get (1/0,
 * name in arena), put (the first put wins). */
int mf_store_planw_seen_get(struct mf_store *st, int64_t *entry_id, const char **name,
			    const char *key, struct mf_arena *arena, struct mf_diag *diag);
int mf_store_planw_seen_put(struct mf_store *st, const char *key, int64_t entry_id,
			    const char *name, struct mf_diag *diag);
/* Per alias base, the number to try next when numbering (get: 1 and
 * *next, or 0 none; put replaces). */
int mf_store_planw_base_get(struct mf_store *st, int64_t *next, const char *base,
			    struct mf_diag *diag);
int mf_store_planw_base_put(struct mf_store *st, const char *base, int64_t next,
			    struct mf_diag *diag);
/* Replace the plan's mailbox rows by the decisions in plan_work. */
int mf_store_planw_write_plan(struct mf_store *st, struct mf_diag *diag);

/* ---- helpers for loaders ---- */

/* Copy column i of stmt as a string into arena (NULL for SQL NULL). */
const char *mf_store_col_text(sqlite3_stmt *s, int i, struct mf_arena *arena);
/* Bind a possibly-NULL string / an int64 that is NULL when 0 or negative. */
int mf_store_bind_text(sqlite3_stmt *s, int i, const char *v);
int mf_store_bind_id(sqlite3_stmt *s, int i, int64_t v);

#endif
