/* SPDX-License-Identifier: MIT */
/*
 * store_dav.h: the staged data the vCard, CardDAV and CalDAV exporters
 * (exporters/dav/) read beyond what the export driver hands them: the
 * post office directory with list members, the time for a card's REV, a
 * mailbox's address book and calendar items outside an export run
 * (verify).  Rows and their strings are in the caller's arena.
 */
#ifndef MF_CORE_STORE_DAV_H
#define MF_CORE_STORE_DAV_H

#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/mf.h"
#include "core/model.h"
#include "core/store.h"

/* A custom recipient or list of the directory (dir_entries). */
struct mf_store_dav_dir_row {
	int64_t id;
	const char *kind;            /* "custom" or "list" */
	const char *name, *display_name, *given_name, *surname;
	const char *address_type, *address, *comments;
	const char *postoffice, *network; /* of its source ("" when unknown) */
	int64_t rev;                 /* when its file was imported (0: unknown) */
};

/* One member of a list, in list order. */
struct mf_store_dav_member_row {
	const char *address;         /* as written in the list */
	int64_t entry_id;            /* the directory entry (0: none) */
	const char *entry_type;      /* that entry's address type and address (NULL: none) */
	const char *entry_address;
};

/* One calendar item of a mailbox. */
struct mf_store_cal_row {
	int64_t id;
	const char *uid;
	const char *ical;
	int64_t dtstart;             /* UTC seconds (0: unknown) */
};

/* When a source file was imported, else when its source was staged; 0 if
 * neither is known. */
int64_t mf_store_dav_file_time(struct mf_store *st, int64_t file_id, int64_t source_id);

/* A directory entry's address type and address (both NULL when there is
 * no such entry). */
int mf_store_dav_entry_address(const char **type, const char **address, struct mf_store *st,
			       int64_t entry_id, struct mf_arena *arena, struct mf_diag *diag);

/* Every custom recipient and list of the directory, in id order. */
int mf_store_dav_directory(struct mf_store_dav_dir_row **out, size_t *n_out, struct mf_store *st,
			   struct mf_arena *arena, struct mf_diag *diag);

/* The members of list list_id, in list order. */
int mf_store_dav_list_members(struct mf_store_dav_member_row **out, size_t *n_out,
			      struct mf_store *st, int64_t list_id, struct mf_arena *arena,
			      struct mf_diag *diag);

/* A mailbox's address book (entries in position order, with members). */
int mf_store_dav_pab(struct mf_pab_entry **out, size_t *n_out, struct mf_store *st,
		     int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag);

/* A mailbox's calendar items, in id order. */
int mf_store_dav_calendar(struct mf_store_cal_row **out, size_t *n_out, struct mf_store *st,
			  int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag);

#endif
