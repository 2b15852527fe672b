/* SPDX-License-Identifier: MIT */
/*
 * exchange_priv.h: the state the parts of the Exchange exporter share
 * (exchange.c, exchange_people.c, exchange_calendar.c, exchange_finish.c).
 */
#ifndef MF_EXPORTERS_EXCHANGE_PRIV_H
#define MF_EXPORTERS_EXCHANGE_PRIV_H

#include "engine/exporter.h"
#include "engine/plan.h"
#include "exporters/exchange/exch_write.h"
#include "core/alias.h"
#include "core/charset.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/strmap.h"
#include "core/version.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAIR_MAX 99999999
#define OUT_MAX 3000       /* output folder path; derived paths fit in PATH_MAX */

struct po_set {
	int64_t source_id;
	char po[128];            /* as the source names it */
	char tag[16];            /* its 8-character folder and file stem */
	char format[32];         /* the source's importer name */
	char folder[OUT_MAX + 64]; /* DIR/<tag>.NNN, "" until chosen */
	int seq;
	int exists;              /* the folder exists on disk */
	int first;               /* no finished set of this post office before it */
	/* The pairs are not held: their numbers run from 1 to maxn (a failed
	 * mailbox leaves no gap, its number is taken by the next), and what
	 * the end of the set needs of each (alias, first section or not) is
	 * the first line of its .PRI, read once at the end of the set
	 * (exx_pair_head, write_directory). */
	struct mf_strmap resumed; /* an unfinished set's pairs: alias -> number */
	int maxn;                /* highest pair number in the set */
	size_t npairs;
};

/* The first line of a pair's .PRI ("! mailferry: mailbox ALIAS new|more"):
 * 1 with alias and *is_new, 0 when the file is missing or has none. */
int exx_pair_head(const char *path, char alias[64], int *is_new);

/* Display names of directory entries, by entry id (direct-mapped). */
#define NAME_CACHE 4096
struct name_slot {
	int64_t entry_id;
	char *name;              /* encoded; NULL: the entry has no name */
};

struct pending {
	int64_t id;
	int line;
	int64_t bytes;           /* section data written for it */
	char sha256[MF_SHA256_HEX]; /* of that data, body then attachments (verify) */
};

struct mf_export_ctx {
	struct mf_export *ex;
	struct mf_store *st;
	const struct mf_export_opts *opts;
	char out[OUT_MAX];
	char target[OUT_MAX + 64];
	struct mf_charset *cs;
	const char *cpnum;
	int directory_skip;
	struct po_set *sets;
	size_t nsets;

	/* the mailbox being written */
	const struct mf_mailbox *mb;
	struct po_set *set;
	int number;              /* its pair's number in the set */
	char sec_name[16];
	char tmp_pri[PATH_MAX], tmp_sec[PATH_MAX];
	FILE *pri, *secf;
	struct exw_sec sec;
	int prev_delivered;
	int lines;               /* data lines written to the MAILMESSAGE section */
	int content;             /* messages, calendar items or PAB written */
	struct pending *msgs;
	size_t nmsgs, capmsgs;
	int64_t *cals;
	size_t ncals;
	int pab_pending;
	struct mf_buf sc2;       /* Schedule+ objects of the mailbox */
	struct mf_buf pab;       /* the PAB section */
	char mb_name[512];       /* the mailbox's display name, encoded */
	char top_public[256];    /* top-level public folder for this source */
	char src_tz[64];
	char src_cal_cp[32];
	int64_t repl;
	struct name_slot names[NAME_CACHE];
};

void exx_discard_tmp(struct mf_export_ctx *c);
const char *exx_enc_line(struct mf_export_ctx *c, struct mf_buf *out, const char *utf8);
int exx_ex_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			 const char *const *folders, size_t nf, struct mf_diag *d);
int exx_ex_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		const struct mf_export_opts *o, struct mf_diag *d);
int exx_ex_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		       const struct mf_message *m, struct mf_put_result *res,
		       struct mf_diag *d);
const char *exx_ex_target(struct mf_export_ctx *c);
int exx_fail_io(struct mf_diag *d, const char *path, const char *what);
int exx_ex_put_pab(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		   const struct mf_pab_entry *e, size_t n, struct mf_put_result *res,
		   struct mf_diag *d);
void exx_render_party(struct mf_export_ctx *c, struct mf_buf *out, int64_t entry_id,
		      const char *name, const char *type, const char *address,
		      const char *raw);
void exx_typed_address(struct mf_buf *out, const char *type, const char *address);
int exx_digits_at(const char *s, size_t n);
int exx_ex_put_calendar(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			const struct mf_calendar_item *ci, struct mf_put_result *res,
			struct mf_diag *d);

#endif
