/* SPDX-License-Identifier: MIT */
/*
 * msmail_imp.h: what the parts of the MS Mail importer share (private to
 * importers/msmail/): the importer's state, the directory as a lookup
 * table, and the helpers of each part.
 *
 *   msmail.c            the lookup table, code pages, problems and text,
 *                       files, the importer (manifest, order of work)
 *   msmail_directory.c  users.csv, pol.txt, gw-*.txt, groups.txt
 *   msmail_mail.c       MMFF folders and messages, calendars, maildata/
 */
#ifndef MF_IMPORTERS_MSMAIL_IMP_H
#define MF_IMPORTERS_MSMAIL_IMP_H

#include "engine/importer.h"
#include "importers/toolkit.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/addr.h"
#include "core/alias.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/charset.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/store_msdir.h"
#include "core/strmap.h"
#include "importers/msmail/msmail_dir.h"
#include "importers/msmail/msmail_mmff.h"
#include "importers/msmail/schedplus.h"

#define MAX_BODY (64u << 20)      /* largest body text staged */
#define MAX_BLOB 999000000u       /* under SQLite's default SQLITE_MAX_LENGTH */
#define HASH_CHUNK (8u << 20)

/* A directory entry an address resolves to (msi_lookup; in the arena). */
struct dent {
	int64_t id;
	const char *display;
};

/* The DOS and Windows code pages of MS Mail bundles are mostly single-byte:
 * their 256 mappings are taken from iconv once and applied by table, which
 * converts text with accented letters several times faster than a call of
 * iconv per run of non-ASCII bytes.  Double-byte code pages keep iconv. */
struct sbcs {
	int ok;
	unsigned char len[256];
	unsigned char bad[256];     /* no mapping: U+FFFD, counted */
	char seq[256][4];
};

struct msm {
	struct mf_store *st;
	const struct mf_import_opts *opts;
	struct mf_import_stats *stats;
	struct mf_diag *diag;
	char *root;                 /* realpath of the bundle */
	struct mf_msmx mx;
	const char *tz;
	const char *cp, *calcp;     /* canonical code pages */
	struct mf_charset *cs, *calcs;
	struct sbcs table;          /* for cs */
	int64_t source_id, run_id;
	int64_t dtstamp;
	int64_t n_users;            /* users met (core/store_msdir.h: in the store) */
	/* problem routing */
	char file[1024];            /* relative path of the file being read */
	int64_t mailbox_id;
	int collecting;             /* hold problems until the message row exists */
	struct mf_pending pend;
	int store_failed;
	int dir_loaded;              /* the look-up keys hold the whole directory */
	struct mf_arena arena;      /* per message */
	struct mf_buf conv;
	struct mf_buf body;         /* the current message's body text */
	struct mf_progress progress;
	/* local -> UTC offsets by hour (exact: an hour is cached only when
	 * its first and last second have the same offset) */
	struct { int64_t key, delta; int valid; } tzc[8191];
};

struct mapped {
	struct mf_map map;
	char sha[MF_SHA256_HEX];
	const char *rel;            /* into map.path */
};

void msi_set_file(struct msm *s, const char *rel);
void msi_on_problem(void *ctx, enum mf_severity sev, const char *code, uint64_t off,
		    const char *text);
void msi_problem(struct msm *s, enum mf_severity sev, const char *code, uint64_t off,
		 const char *fmt, ...) MF_ATTR_PRINTF(5, 6);
int msi_flush_pending(struct msm *s, int64_t message_id, uint64_t msg_off);
int msi_text_into(struct msm *s, struct mf_charset *cs, const void *p, size_t n,
		  struct mf_buf *out, size_t *repl);
char *msi_text_utf8(struct msm *s, struct mf_charset *cs, const void *p, size_t n,
		    size_t *repl);
char *msi_span_utf8(struct msm *s, struct mf_span v);
char *msi_utf8_dup(struct msm *s, const char *in, uint64_t off);
const char *msi_rel_of(const struct msm *s, const char *abs);
char *msi_make_key(struct mf_arena *a, const char *prefix, const char *v, size_t n);
void msi_addr_split(char type[24], struct mf_span *addr, const char *v, size_t n);
int msi_map_file(struct msm *s, struct mapped *f, const char *abs);
int msi_begin_file(struct msm *s, struct mapped *f, const char *role, const char *cp,
		   int64_t mailbox_id, int64_t *file_id, enum mf_file_state *state);
char *msi_resolve_at(struct msm *s, const char *rel, int report, enum mf_severity sev,
		     const char *what, uint64_t off);
char *msi_resolve(struct msm *s, const char *rel, int report, enum mf_severity sev,
		  const char *what);
int msi_inside_root(const struct msm *s, const char *path);
int msi_store_po(struct msm *s, const char *name, const char *network, const char *kind,
		 const char *type);
const struct dent *msi_lookup(struct msm *s, const char *v);
void msi_free_list(char **v, size_t n);
int msi_read_directory(struct msm *s);
int msi_read_mail(struct msm *s, struct mf_store_msuser *u, int64_t *n_msgs, int *n_folders);
int msi_read_calendar(struct msm *s, struct mf_store_msuser *u, int64_t *n_items);
void msi_check_maildata(struct msm *s);

#endif
