/* SPDX-License-Identifier: MIT */
/*
 * plan.h: what happens to every mailbox, custom recipient and list on the
 * target, decided once and stored (tables plan_* of schema/003-plan.sql),
 * so that every exporter follows the same decisions.
 *
 * Inputs: the staged mailboxes and directory entries, the target
 * directory snapshot (`mailferry import directory`: target_objects and
 * target_proxies) and the alias map (`mailferry plan --alias-map`).
 *
 * Mailboxes.  A mailbox is matched with the target's objects by its source
 * address (mailboxes.source_address, 'CCMAIL:Lindqvist, Anna at SALES01'),
 * compared case-insensitively with every proxy address of every object,
 * written plain or with the MIGRATE: prefix.  Then:
 *   - one custom recipient matches: CONVERT.  The exporter writes no
 *     directory object; the mailbox's mail section (Exchange: its
 *     MAILMESSAGE section, always written, also without mail) makes the
 *     Migration Wizard turn that custom recipient into the mailbox.  The
 *     mailbox takes the custom recipient's alias (Exchange keeps it).
 *   - one mailbox matches: EXISTS.  The mail goes into it; no directory
 *     object is written; the mailbox takes its alias.
 *   - nothing matches: CREATE.  The exporter creates it (Exchange: a
 *     DIRECTORY line; IMAP: the account must exist or be made).
 *   - a public mailbox (bulletin board, shared folder): PUBLIC.
 *   - otherwise CONFLICT, which blocks the export of that mailbox until it
 *     is fixed (or --force): two custom recipients match, a mailbox and a
 *     custom recipient match, the alias is taken on the target by another
 *     object, no alias could be formed, or a proxy differs from the source
 *     address only in blanks (the Wizard would not find it).  The message
 *     names both objects and the fix.
 * Custom recipients and lists of the sources (dir_entries of kind custom
 * and list): CREATE (with a new unique alias), EXISTS (the target has an
 * object with that address), MIGRATED (it is one of the migrated
 * mailboxes), DUPLICATE (another entry with the same address creates it)
 * or SKIP (no address known: cannot be created).
 *
 * Aliases are ASCII ([A-Za-z0-9._-]), at most 20 characters, unique among
 * the mailboxes, and deterministic: the alias map first, then the alias of
 * the target object the mailbox becomes, then the alias it was staged
 * with.  The plan writes the result into mailboxes.alias.
 *
 * For exporters
 * -------------
 * The export driver makes sure the plan is current before it opens an
 * exporter (mf_plan_ensure), so an exporter only reads it:
 *
 *     struct mf_plan_entry pe;
 *     mf_plan_mailbox_action(st, &pe, mb->id, arena, diag);
 *     if (pe.action == MF_PLAN_CREATE)      -> write a DIRECTORY create line
 *     else                                  -> no DIRECTORY line (CONVERT:
 *                                              the MAILMESSAGE section does it)
 *
 *     struct mf_plan_object *objs; size_t n;
 *     mf_plan_objects(st, &objs, &n, arena, diag);
 *     for each with action MF_PLAN_CREATE   -> a 'remote' line (custom) or a
 *                                              'dl' line (list, members from
 *                                              list_members)
 *
 * An exporter never changes the plan.
 */
#ifndef MF_CORE_PLAN_H
#define MF_CORE_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/mf.h"
#include "core/store.h"

enum mf_plan_action {
	MF_PLAN_CREATE = 0,   /* create it on the target */
	MF_PLAN_CONVERT,      /* mailbox: a custom recipient of the target becomes it */
	MF_PLAN_EXISTS,       /* the target has it already (mailbox: mail goes into it) */
	MF_PLAN_PUBLIC,       /* mailbox of kind public: public folders, no directory object */
	MF_PLAN_MIGRATED,     /* custom recipient: it is one of the migrated mailboxes */
	MF_PLAN_DUPLICATE,    /* custom recipient or list: another entry creates it */
	MF_PLAN_SKIP,         /* custom recipient or list: cannot be created (reported) */
	MF_PLAN_CONFLICT,     /* mailbox: blocked until fixed */
};

/* "create", "convert", "exists", "public", "migrated", "duplicate", "skip",
 * "conflict" (the values of plan_*.action). */
const char *mf_plan_action_name(enum mf_plan_action a);

/* One mailbox's or directory entry's plan.  Strings live in the arena
 * given to the lookup. */
struct mf_plan_entry {
	enum mf_plan_action action;
	int planned;              /* 0: no plan row (never planned): the default
	                           * action is given (CREATE, or PUBLIC for a
	                           * public mailbox) */
	const char *alias;        /* alias on the target; NULL: none */
	const char *address;      /* mailbox: source address; recipient: 'TYPE:address' or NULL */
	int64_t object_id;        /* CONVERT/EXISTS: the target object; CONFLICT:
	                           * the other object, 0 when none */
	const char *object_class; /* its class: mailbox, custom, dl (NULL: none) */
	const char *object_alias; /* its alias */
	const char *object_display_name;
	const char *conflict;     /* CONFLICT: the code ('plan.alias-taken'); NULL otherwise */
	const char *message;      /* one line: what happens, or the conflict with both
	                           * objects named and the fix */
};

/*
 * The plan of one mailbox (mailboxes.id).  MF_OK, MF_ENOTFOUND when there
 * is no such mailbox, MF_ESTORE.
 */
int mf_plan_mailbox_action(struct mf_store *st, struct mf_plan_entry *out,
			   int64_t mailbox_id, struct mf_arena *arena,
			   struct mf_diag *diag);

/*
 * The plan of one custom recipient or list (dir_entries.id).  Without a
 * plan row: CREATE when it has an address or is a list, else SKIP.
 * MF_ENOTFOUND when there is no such entry or it is of another kind.
 */
int mf_plan_recipient_action(struct mf_store *st, struct mf_plan_entry *out,
			     int64_t entry_id, struct mf_arena *arena,
			     struct mf_diag *diag);

/* A custom recipient or list with its plan: what an exporter needs to
 * write a directory object for it. */
struct mf_plan_object {
	int64_t entry_id;         /* dir_entries.id (list members: list_members.list_id) */
	const char *kind;         /* "custom" or "list" */
	enum mf_plan_action action;
	const char *alias;        /* CREATE: the alias to use */
	const char *name;         /* as in the source */
	const char *display_name; /* display name (falls back to name) */
	const char *given_name, *surname;
	const char *address;      /* 'TYPE:address' ('SMTP:jdoe@example.com'); NULL: none */
	const char *message;
};

/*
 * Every custom recipient and list of the sources with its plan, in
 * dir_entries order (array and strings in arena).  Entries the plan has
 * not seen get the default of mf_plan_recipient_action.
 */
int mf_plan_objects(struct mf_store *st, struct mf_plan_object **out, size_t *n_out,
		    struct mf_arena *arena, struct mf_diag *diag);
/* The same one at a time (o valid during the call; a negative return of
 * visit stops the walk and is returned): nothing held per object. */
int mf_plan_objects_each(struct mf_store *st,
			 int (*visit)(void *arg, const struct mf_plan_object *o), void *arg,
			 struct mf_diag *diag);

/* ---- making the plan ---- */

struct mf_plan_totals {
	int64_t mailboxes, create, convert, exists, public_folders, conflicts;
	int64_t customs, custom_create, custom_exists, custom_migrated,
		custom_duplicate, custom_skip;
	int64_t lists, list_create, list_exists, list_duplicate, list_skip;
	int64_t aliases_changed;  /* mailboxes whose alias the plan changed */
	int64_t map_unused;       /* alias map lines that name no mailbox now */
	int built;                /* 1: made now; 0: the stored plan was current */
};

/*
 * Make the plan and store it (one transaction).  alias_map: a CSV file of
 * 'source_address_or_name,alias' lines (an optional first line
 * 'source_address_or_name,alias' is a header) that replaces the stored
 * map; NULL keeps the stored map.  A line whose key names no mailbox or
 * more than one, an invalid alias, or two lines giving one alias are
 * usage errors (MF_EUSAGE, diag names the file and line) and nothing
 * changes.  Conflicts are not errors: they are stored and counted.
 * run_id (0: none) is recorded in plan_state.
 */
int mf_plan_build(struct mf_store *st, const char *alias_map, int64_t run_id,
		  struct mf_plan_totals *totals, struct mf_diag *diag);

/*
 * Make the plan when there is none or it is older than its inputs (new
 * mailboxes or directory entries, another snapshot, another alias map);
 * otherwise only fill totals from the stored plan.  totals->built says
 * which.
 */
int mf_plan_ensure(struct mf_store *st, struct mf_plan_totals *totals,
		   struct mf_diag *diag);

/* 1 when a plan is stored and matches its inputs, 0 otherwise, <0 error. */
int mf_plan_is_current(struct mf_store *st, struct mf_diag *diag);

/*
 * The stored plan as JSON (appended to b):
 *   {"mailboxes":[{"alias","display_name","source_address","kind","action",
 *     "alias_from","object":{"class","alias","display_name"}|null,
 *     "conflict","message"}],
 *    "recipients":[{"kind","name","address","action","alias","message"}],
 *    "totals":{...}}
 */
int mf_plan_json(struct mf_store *st, struct mf_buf *b,
		 const struct mf_plan_totals *totals, struct mf_diag *diag);
/* The same JSON written to out as it is made (memory does not grow with
 * the mailboxes). */
int mf_plan_json_write(struct mf_store *st, FILE *out, const struct mf_plan_totals *totals,
		       struct mf_diag *diag);
/* What a plan run records as its summary: {"totals":{...}} (the listing
 * is in the plan tables, and 'mailferry plan --json' prints it). */
void mf_plan_summary_json(struct mf_buf *b, const struct mf_plan_totals *t);

/* ---- proxy addresses ---- */

/* A proxy address 'TYPE:address' or 'MIGRATE:TYPE:address', parsed. */
struct mf_proxy {
	char type[17];            /* upper case: "SMTP", "CCMAIL", "MS" */
	const char *address;      /* into the parsed text, blanks trimmed */
	size_t address_len;
	int migrate;              /* written with the MIGRATE: prefix */
	int primary;              /* type written in upper case */
};

/*
 * Parse s[0..len).  The type is 1-16 of [A-Za-z0-9_-] followed by ':'; the
 * address must not be empty.  MF_OK or MF_EFORMAT.
 */
int mf_proxy_parse(struct mf_proxy *out, const char *s, size_t len);

/* The key the plan compares: "TYPE:address" (type upper case) into b.
 * With loose set, every blank is left out (near-miss detection). */
int mf_proxy_key(struct mf_buf *b, const struct mf_proxy *p, int loose);

#endif
