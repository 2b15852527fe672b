/* SPDX-License-Identifier: MIT */
/*
 * ccmail_imp.h: what the parts of the cc:Mail importer share (private to
 * importers/ccmail/): the importer's state, the directory look-up for
 * address resolution, and the helpers of each part.
 *
 *   ccmail.c        problems, text, directory look-ups, addresses,
 *                   files, the manifest and the whole set, the probe
 *   ccmail_msgs.c   folders, message conversion, message files
 *   ccmail_stage.c  DIRECTRY.TXT, LISTS.TXT, private directories, USERS.CSV,
 *                   files nobody named
 */
#ifndef MF_IMPORTERS_CCMAIL_IMP_H
#define MF_IMPORTERS_CCMAIL_IMP_H

#include "engine/importer.h"
#include "importers/toolkit.h"
#include "importers/ccmail/ccmail_dir.h"
#include "importers/ccmail/ccmail_msg.h"
#include "core/addr.h"
#include "core/alias.h"
#include "core/buf.h"
#include "core/charset.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/store_ccdir.h"
#include "core/strmap.h"
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A directory entry found by cci_dir_lookup (strings in the caller's arena). */
struct dent {
	int64_t id;
	const char *name, *display, *atype, *addr, *po;
	int64_t alias_of;
};

struct imp {
	struct mf_store *st;
	const struct mf_import_opts *opts;
	struct mf_import_stats *stats;
	struct mf_diag *diag;
	char *root;                      /* realpath of the set folder (or file's folder) */
	int64_t source_id;
	char po[CCX_VALUE_MAX * 4];      /* local post office (UTF-8) */
	const char *cp;                  /* canonical code page */
	struct mf_charset *cs;
	char tz[CCX_VALUE_MAX];
	enum mf_date_order order;
	int dir_ready;                   /* the directory is staged: look-ups may answer */
	struct mf_pending pend;          /* problems of the message being read */
	struct mf_arena arena;           /* per message */
	struct mf_buf *bodies;           /* text buffers reused per message */
	size_t nbodies;
	struct mf_buf sample;            /* text sample for the code page check */
	struct mf_strmap used;           /* files already read by this import */
};

struct addr_out {
	const char *display, *type, *address, *raw;
	int64_t entry_id;
	int damaged;
};

struct job {
	int64_t mailbox_id;
	int board;
	char *name;                  /* UTF-8 */
	char *file, *pab;            /* real paths, or NULL */
};

/* The USERS.CSV rows with a file to read (message file or private
 * directory); rows without one are staged and not held. */
struct jobs {
	struct job *j;
	size_t n, cap;
	uint64_t *seen;              /* bit per mailbox id: the mailbox had its row */
	size_t nseen;                /* words in seen */
};

int cci_pend_flush(struct imp *im, const char *file, int64_t mailbox_id,
		   int64_t message_id, const char *item);
int cci_problemf(struct imp *im, enum mf_severity sev, const char *code,
		 const char *file, int64_t offset, int64_t mailbox_id,
		 const char *fmt, ...) MF_ATTR_PRINTF(7, 8);
char *cci_to_utf8(struct imp *im, struct mf_span s, struct mf_arena *a);
struct mf_span cci_cspan(const char *s);
char *cci_display_of(const char *name, struct mf_arena *a);
void cci_split_names(const char *name, struct mf_arena *a, char **given, char **sur);
char *cci_strf(struct mf_arena *a, const char *fmt, ...) MF_ATTR_PRINTF(2, 3);
int cci_dir_lookup(struct imp *im, struct dent *out, struct mf_span name, struct mf_span po,
		   struct mf_arena *a);
int cci_resolve_addr(struct imp *im, struct mf_span raw, struct addr_out *o,
		     struct mf_arena *a);
/* A list member (source bytes) in two steps: 1 and *id when the name
 * index holds one entry of its name, else 0 (< 0 on error); then 1 when
 * that entry, read by id, is the answer cci_resolve_addr gives, else 0. */
int cci_dir_candidate(struct imp *im, struct mf_span raw, int64_t *id, struct mf_arena *a);
int cci_dir_confirm(struct imp *im, struct mf_span raw, int64_t id, struct mf_arena *a);
const char *cci_rel_of(struct imp *im, const char *real);
int cci_mark_used(struct imp *im, const char *real);
void cci_hash_range(struct mf_map *map, uint64_t off, uint64_t len, char hex[MF_SHA256_HEX]);
int cci_open_file(struct imp *im, const char *real, const char *role, int64_t mailbox_id,
		  struct mf_map *map_out, int64_t *file_id_out,
		  enum mf_file_state *state_out);
int cci_import_messages(struct imp *im, const char *real, const char *role,
			int64_t mailbox_id, const char *label, const char *board);
int cci_stage_directory(struct imp *im, const char *real);
int cci_stage_lists(struct imp *im, const char *real);
int cci_stage_pab(struct imp *im, const char *real, int64_t mailbox_id);
void cci_jobs_release(struct jobs *js);
int cci_stage_users(struct imp *im, const char *real, struct jobs *js);
void cci_scan_unreferenced(struct imp *im, const char *dir, int depth);

#endif
