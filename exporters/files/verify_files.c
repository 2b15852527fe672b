/* SPDX-License-Identifier: MIT */
/*
 * verify_files.c: `mailferry verify maildir|mbox|eml`: the output folder
 * read back and compared with the delivery ledger and the staged data
 * (engine/verify.h).
 *
 * For every selected mailbox: its folder exists; every folder the export
 * makes (the inbox and each selected staged folder) exists, the empty ones
 * too; every selected message is in the ledger as delivered; the file (or
 * mbox range) the ledger names holds bytes with the sha256 the ledger
 * recorded when they were written; each folder holds as many messages as
 * the selection has for it, and no message the ledger does not know.
 * Names are formed by the same functions the exporters use (files.h).
 */
#include "engine/verify.h"
#include "exporters/files/files.h"
#include "core/fsutil.h"
#include "core/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum fv_kind { FV_MAILDIR, FV_MBOX, FV_EML };

struct fv {
	struct mf_verify *v;
	enum fv_kind kind;
	const char *format;
	char *root, *target;
};

static int is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The mailbox's folder below DIR: "<alias>" or "public/<alias>" (for
 * maildir a public mailbox lives in DIR/public's Maildir++). */
static int mailbox_rel(char *out, size_t cap, const struct fv *f, const struct mf_mailbox *mb,
		       struct mf_diag *diag)
{
	char name[128];
	int rc = mf_files_mailbox_name(name, sizeof(name), mb, diag);
	if (rc < 0)
		return rc;
	if (f->kind == FV_MAILDIR)
		snprintf(out, cap, "%s", mf_files_is_public(mb) ? "public" : name);
	else
		snprintf(out, cap, "%s%s", mf_files_is_public(mb) ? "public/" : "", name);
	return MF_OK;
}

/* The folder (maildir, eml: a directory; mbox: the file) of a staged
 * path, relative to DIR, into b.  MF_ETOOBIG: the exporter refuses it. */
static int folder_rel(struct mf_buf *b, const struct fv *f, const struct mf_mailbox *mb,
		      const char *staged, struct mf_diag *diag)
{
	char mrel[256];
	int rc;
	mf_buf_reset(b);
	if (f->kind == FV_MAILDIR)
		return mf_maildir_folder_rel(b, mb, staged, diag);
	if ((rc = mailbox_rel(mrel, sizeof(mrel), f, mb, diag)) < 0)
		return rc;
	mf_buf_addf(b, "%s/", mrel);
	mf_files_folder_path(b, staged);
	if (f->kind == FV_MBOX)
		mf_buf_addstr(b, ".mbox");
	return strlen(f->root) + b->len + 200 >= 3800 ? MF_ETOOBIG : MF_OK;
}

/* ---- maildir and eml: a file per message ---- */

/* The message files in folder directory rel (maildir: cur/ and new/),
 * as DIR-relative paths, sorted.  Missing directories hold nothing. */
static void list_messages(const struct fv *f, const char *rel, char ***out, size_t *n)
{
	static const char *const md_sub[] = { "cur", "new" };
	size_t nsub = f->kind == FV_MAILDIR ? 2 : 1;

	*out = NULL;
	*n = 0;
	for (size_t s = 0; s < nsub; s++) {
		char *dir = f->kind == FV_MAILDIR ? mf_xasprintf("%s/%s/%s", f->root, rel, md_sub[s])
						  : mf_xasprintf("%s/%s", f->root, rel);
		DIR *d = opendir(dir);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			char *full;
			struct stat sb;
			size_t l = strlen(de->d_name);
			if (de->d_name[0] == '.')
				continue;
			if (f->kind == FV_EML && (l < 4 || strcmp(de->d_name + l - 4, ".eml")))
				continue;
			full = mf_xasprintf("%s/%s", dir, de->d_name);
			if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode)) {
				*out = mf_xreallocarray(*out, *n + 1, sizeof(**out));
				(*out)[(*n)++] = f->kind == FV_MAILDIR
					? mf_xasprintf("%s/%s/%s", rel, md_sub[s], de->d_name)
					: mf_xasprintf("%s/%s", rel, de->d_name);
			}
			free(full);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_str);
}

/* The ledger's path of a delivered message, DIR-relative (a remote_id too
 * long for the ledger holds the file name alone). */
static char *message_rel(const struct fv *f, const struct mf_mailbox *mb,
			 const struct mf_ledger_row *r, struct mf_buf *tmp)
{
	struct mf_diag d;
	if (!r->remote_id)
		return NULL;
	if (strchr(r->remote_id, '/'))
		return mf_xstrdup(r->remote_id);
	if (folder_rel(tmp, f, mb, r->folder ? r->folder : "Inbox", &d) != MF_OK)
		return NULL;
	return mf_xasprintf("%s/%s%s", tmp->data, f->kind == FV_MAILDIR ? "cur/" : "",
			    r->remote_id);
}

struct fv_folder {
	const char *staged;
	char *rel;
	size_t planned;
};

/* The folders the export makes for mb: the inbox, then every selected
 * staged folder (each once). */
static struct fv_folder *expected_folders(const struct fv *f, const struct mf_mailbox *mb,
					  const struct mf_verify_mailbox *vm, size_t *n_out)
{
	struct fv_folder *ff = mf_xreallocarray(NULL, vm->n_folders + 1, sizeof(*ff));
	struct mf_buf b;
	size_t n = 0;

	mf_buf_init(&b, MF_BUF_LINE_MAX);
	for (size_t i = 0; i <= vm->n_folders; i++) {
		const char *p = i == 0 ? "Inbox" : vm->folders[i - 1];
		struct mf_diag d;
		int dup = 0;
		if (folder_rel(&b, f, mb, p, &d) != MF_OK)
			continue;  /* too long: its messages were refused */
		for (size_t k = 0; k < n && !dup; k++)
			dup = !strcmp(ff[k].rel, b.data);
		if (dup)
			continue;
		ff[n].staged = p;
		ff[n].rel = mf_xstrdup(b.data);
		ff[n].planned = 0;
		n++;
	}
	/* the selection's messages per folder */
	for (size_t i = 0; i < vm->n_selected; i++) {
		struct mf_diag d;
		if (folder_rel(&b, f, mb, vm->selected[i].folder ? vm->selected[i].folder : "Inbox",
			       &d) != MF_OK)
			continue;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(ff[k].rel, b.data)) {
				ff[k].planned++;
				break;
			}
	}
	mf_buf_release(&b);
	*n_out = n;
	return ff;
}

static void folders_free(struct fv_folder *ff, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ff[i].rel);
	free(ff);
}

static int verify_files_mailbox(struct fv *f, const struct mf_mailbox *mb,
				const struct mf_verify_mailbox *vm, struct fv_folder *ff, size_t nff)
{
	struct mf_verify_sum *sum = mf_verify_sum(f->v);
	const char *name = mf_verify_name(mb);
	char **known = NULL;
	size_t nknown = 0;
	struct mf_buf tmp;

	mf_buf_init(&tmp, MF_BUF_LINE_MAX);
	/* every file the ledger has for this mailbox (selected or not) */
	for (size_t i = 0; i < vm->n_all; i++) {
		char *rel;
		if (!vm->all[i].status || strcmp(vm->all[i].status, "delivered"))
			continue;
		if (!(rel = message_rel(f, mb, &vm->all[i], &tmp)))
			continue;
		known = mf_xreallocarray(known, nknown + 1, sizeof(*known));
		known[nknown++] = rel;
	}
	if (nknown)
		qsort(known, nknown, sizeof(*known), cmp_str);
	/* the selected messages, each where the ledger says */
	for (size_t i = 0; i < vm->n_selected; i++) {
		const struct mf_ledger_row *r = &vm->selected[i];
		char hex[MF_SHA256_HEX], *rel, *path;
		int64_t size;
		int rc;
		if (!r->status || strcmp(r->status, "delivered"))
			continue;
		rel = message_rel(f, mb, r, &tmp);
		if (!rel) {
			mf_verify_mismatch(f->v, "%s: message %lld in '%s': the ledger records no file",
					   name, (long long)r->item_id, r->folder ? r->folder : "");
			continue;
		}
		path = mf_xasprintf("%s/%s", f->root, rel);
		rc = mf_sha256_file(path, hex, &size);
		sum->items++;
		if (rc == MF_ENOTFOUND)
			mf_verify_mismatch(f->v, "%s: message %lld in '%s': %s is missing", name,
					   (long long)r->item_id, r->folder ? r->folder : "", rel);
		else if (rc < 0)
			mf_verify_mismatch(f->v, "%s: message %lld in '%s': %s cannot be read: %s",
					   name, (long long)r->item_id, r->folder ? r->folder : "", rel,
					   strerror(errno));
		else if (r->sha256 && strcmp(hex, r->sha256) != 0)
			mf_verify_mismatch(f->v, "%s: message %lld in '%s': %s differs from what was "
					   "written (sha256 %.16s..., the ledger has %.16s..., %lld bytes, "
					   "written %lld)", name, (long long)r->item_id,
					   r->folder ? r->folder : "", rel, hex, r->sha256,
					   (long long)size, (long long)r->bytes);
		free(path);
		free(rel);
	}
	/* each folder: its count, and nothing the ledger does not know */
	for (size_t k = 0; k < nff; k++) {
		char **files;
		size_t nfiles;
		list_messages(f, ff[k].rel, &files, &nfiles);
		for (size_t i = 0; i < nfiles; i++) {
			if (!nknown || !bsearch(&files[i], known, nknown, sizeof(*known), cmp_str))
				mf_verify_mismatch(f->v, "%s: folder '%s': %s is not in the ledger "
						   "(an extra message)", name, ff[k].staged, files[i]);
			free(files[i]);
		}
		free(files);
		if (nfiles != ff[k].planned)
			mf_verify_mismatch(f->v, "%s: folder '%s' (%s) holds %zu messages, the "
					   "selection has %zu", name, ff[k].staged, ff[k].rel, nfiles,
					   ff[k].planned);
	}
	for (size_t i = 0; i < nknown; i++)
		free(known[i]);
	free(known);
	mf_buf_release(&tmp);
	return MF_OK;
}

/* ---- mbox: one file per folder, messages at ledger offsets ---- */

/* The ledger key of an mbox file (as mbox.c forms it). */
static char *mbox_key(const char *rel)
{
	char hex[MF_SHA256_HEX];
	if (strlen(rel) <= 200)
		return mf_xstrdup(rel);
	mf_sha256_hex(hex, rel, strlen(rel));
	return mf_xasprintf("#%.32s", hex);
}

/* Split an mboxrd file at its "From " lines (a body line starting so is
 * quoted, so every one starts a message). */
static void mbox_split(const unsigned char *p, size_t len, struct mf_verify_piece **out,
		       size_t *n)
{
	size_t start = 0;
	*out = NULL;
	*n = 0;
	while (start < len) {
		size_t e = start;
		struct mf_verify_piece *pc;
		for (;;) {
			const unsigned char *nl = memchr(p + e, '\n', len - e);
			if (!nl) {
				e = len;
				break;
			}
			e = (size_t)(nl - p) + 1;
			if (e + 5 <= len && !memcmp(p + e, "From ", 5))
				break;
		}
		*out = mf_xreallocarray(*out, *n + 1, sizeof(**out));
		pc = &(*out)[(*n)++];
		memset(pc, 0, sizeof(*pc));
		pc->pos = (int64_t)start;
		pc->bytes = (int64_t)(e - start);
		mf_sha256_hex(pc->sha256, p + start, e - start);
		start = e;
	}
}

static int verify_mbox_mailbox(struct fv *f, const struct mf_mailbox *mb,
			       const struct mf_verify_mailbox *vm, struct fv_folder *ff, size_t nff,
			       struct mf_diag *diag)
{
	struct mf_verify_sum *sum = mf_verify_sum(f->v);
	const char *name = mf_verify_name(mb);

	for (size_t k = 0; k < nff; k++) {
		char *key = mbox_key(ff[k].rel), *path = mf_xasprintf("%s/%s", f->root, ff[k].rel);
		struct mf_verify_piece *want = NULL, *got = NULL;
		const struct mf_ledger_row **rows = NULL;
		size_t nw = 0, ng = 0;
		struct mf_map m;
		struct mf_diag d;

		/* what the ledger has in this file */
		for (size_t i = 0; i < vm->n_all; i++) {
			const struct mf_ledger_row *r = &vm->all[i];
			const char *at, *plus;
			uint64_t start, blen;
			if (!r->status || strcmp(r->status, "delivered") || !r->remote_id)
				continue;
			/* "<key>@<start>+<length>" (mbox.c) */
			at = strrchr(r->remote_id, '@');
			if (!at || (size_t)(at - r->remote_id) != strlen(key) ||
			    memcmp(r->remote_id, key, strlen(key)) || !(plus = strchr(at, '+')) ||
			    mf_parse_u64(&start, at + 1, (size_t)(plus - at - 1), INT64_MAX / 2) < 0 ||
			    mf_parse_u64(&blen, plus + 1, strlen(plus + 1), INT64_MAX / 2) < 0)
				continue;
			want = mf_xreallocarray(want, nw + 1, sizeof(*want));
			rows = mf_xreallocarray(rows, nw + 1, sizeof(*rows));
			memset(&want[nw], 0, sizeof(*want));
			want[nw].pos = (int64_t)start;
			want[nw].bytes = (int64_t)blen;
			want[nw].id = r->item_id;
			snprintf(want[nw].sha256, sizeof(want[nw].sha256), "%s",
				 r->sha256 ? r->sha256 : "");
			rows[nw++] = r;
		}
		mf_diag_clear(&d);
		if (mf_map_open(&m, path, &d) < 0) {
			mf_verify_mismatch(f->v, "%s: folder '%s' (%s) does not exist", name,
					   ff[k].staged, ff[k].rel);
		} else {
			sum->folders++;
			mbox_split(m.data, m.len, &got, &ng);
			mf_map_close(&m);
			mf_verify_pair(want, nw, got, ng);
			for (size_t i = 0; i < nw; i++) {
				sum->items++;
				if (want[i].match < 0 || !got)
					mf_verify_mismatch(f->v, "%s: message %lld in '%s': missing from %s "
							   "(the ledger has it at byte %lld)", name,
							   (long long)want[i].id,
							   rows[i]->folder ? rows[i]->folder : "", ff[k].rel,
							   (long long)want[i].pos);
				else if (strcmp(want[i].sha256, got[want[i].match].sha256))
					mf_verify_mismatch(f->v, "%s: message %lld in '%s': %s at byte %lld "
							   "differs from what was written (sha256 %.16s..., "
							   "the ledger has %.16s...)", name,
							   (long long)want[i].id,
							   rows[i]->folder ? rows[i]->folder : "", ff[k].rel,
							   (long long)got[want[i].match].pos,
							   got[want[i].match].sha256, want[i].sha256);
			}
			for (size_t i = 0; got && i < ng; i++)
				if (got[i].match < 0)
					mf_verify_mismatch(f->v, "%s: folder '%s': %s holds a message at "
							   "byte %lld (%lld bytes) that is not in the ledger "
							   "(an extra message)", name, ff[k].staged, ff[k].rel,
							   (long long)got[i].pos, (long long)got[i].bytes);
			if (ng != ff[k].planned)
				mf_verify_mismatch(f->v, "%s: folder '%s' (%s) holds %zu messages, the "
						   "selection has %zu", name, ff[k].staged, ff[k].rel, ng,
						   ff[k].planned);
		}
		free(want);
		free(got);
		free(rows);
		free(key);
		free(path);
	}
	(void)diag;
	return MF_OK;
}

/* ---- the run ---- */

static int verify_run(struct mf_verify *v, enum fv_kind kind, const char *format,
		      struct mf_diag *diag)
{
	struct fv f;
	size_t nmb;
	struct mf_arena arena = MF_ARENA_INIT;
	struct mf_verify_sum *sum = mf_verify_sum(v);
	int rc;

	memset(&f, 0, sizeof(f));
	f.v = v;
	f.kind = kind;
	f.format = format;
	if ((rc = mf_verify_out_target(v, format, &f.root, &f.target, diag)) < 0)
		return rc;
	nmb = mf_verify_count(v);
	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		const struct mf_mailbox *mb = mf_verify_mailbox_at(v, i);
		struct mf_verify_mailbox vm;
		struct fv_folder *ff;
		size_t nff;
		char mrel[256], *mdir;

		if (!mb)
			continue;
		mf_arena_reset(&arena);
		if ((rc = mf_verify_mailbox_load(v, f.target, mb, &vm, &arena, diag)) < 0)
			break;
		if (!mf_verify_mailbox_delivered(v, mb, &vm)) {
			mf_verify_mailbox_release(&vm);
			continue;
		}
		mf_verify_undelivered(v, mb, &vm);
		if (mailbox_rel(mrel, sizeof(mrel), &f, mb, diag) < 0) {
			mf_verify_mailbox_release(&vm);
			rc = MF_OK;
			continue;
		}
		mdir = mf_xasprintf("%s/%s", f.root, mrel);
		ff = expected_folders(&f, mb, &vm, &nff);
		if (!is_dir(mdir)) {
			mf_verify_mismatch(v, "%s: the mailbox's folder %s does not exist",
					   mf_verify_name(mb), mrel);
		} else if (kind == FV_MBOX) {
			rc = verify_mbox_mailbox(&f, mb, &vm, ff, nff, diag);
		} else {
			/* every folder, the empty ones too */
			for (size_t k = 0; k < nff; k++) {
				char *d = kind == FV_MAILDIR ? mf_xasprintf("%s/%s/cur", f.root, ff[k].rel)
							     : mf_xasprintf("%s/%s", f.root, ff[k].rel);
				if (!is_dir(d))
					mf_verify_mismatch(v, "%s: folder '%s' (%s) does not exist",
							   mf_verify_name(mb), ff[k].staged, ff[k].rel);
				else
					sum->folders++;
				free(d);
			}
			rc = verify_files_mailbox(&f, mb, &vm, ff, nff);
		}
		folders_free(ff, nff);
		free(mdir);
		mf_verify_mailbox_release(&vm);
	}
	mf_verify_walk_done(v);
	mf_arena_release(&arena);
	free(f.root);
	free(f.target);
	return rc;
}

int mf_files_verify_maildir(struct mf_verify *v, struct mf_diag *diag)
{
	return verify_run(v, FV_MAILDIR, "maildir", diag);
}

int mf_files_verify_mbox(struct mf_verify *v, struct mf_diag *diag)
{
	return verify_run(v, FV_MBOX, "mbox", diag);
}

int mf_files_verify_eml(struct mf_verify *v, struct mf_diag *diag)
{
	return verify_run(v, FV_EML, "eml", diag);
}
