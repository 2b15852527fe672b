/* SPDX-License-Identifier: MIT */
/*
 * pst_verify.c: `mailferry verify pst`: the .pst files under --out DIR
 * compared with the delivery ledger (engine/verify.h) and, through the
 * reader of exporters/pst/reader/ (pst_verify_content.c), their content
 * with the staging database.
 *
 * The export (pst.c) records a mailbox row per finished mailbox and, for
 * every message, remote id "<part file>:0x<NID>" with the sha256 of that
 * part file as it was put in place.  For every selected mailbox:
 *   - the ledger has the mailbox as exported;
 *   - every selected message is in the ledger as delivered;
 *   - DIR/<alias>.pst exists (every exported mailbox has one, the empty
 *     ones too), and so does every part a delivered message names;
 *   - each such part has the sha256 its messages recorded;
 *   - each part's content matches staging (pst_verify_content.h).
 * A *.pst in DIR that no ledger row names is an extra file.  With
 * --mailbox only the files named like a selected mailbox's parts
 * (<alias>.pst, <alias>-NNN.pst) are judged.
 */
#include "engine/verify.h"
#include "exporters/pst/pst.h"
#include "exporters/pst/pst_verify_content.h"
#include "core/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One part file a mailbox has by the ledger. */
struct pv_part {
	char *name;              /* "<alias>.pst", "<alias>-002.pst" */
	const char *sha256;      /* the first one recorded; NULL: none */
	int64_t messages;
	int conflict;            /* two messages recorded different digests */
};

/* sha256 of a whole file: MF_OK, MF_ENOTFOUND when it does not exist,
 * MF_EIO. */
static int pv_file_sha(const char *path, char hex[MF_SHA256_HEX], int64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	*size = 0;
	if (fd < 0)
		return errno == ENOENT ? MF_ENOTFOUND : MF_EIO;
	rc = mf_sha256_fd(fd, hex, size);
	close(fd);
	return rc < 0 ? MF_EIO : MF_OK;
}

static int pv_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The part's file name of a message remote id "<name>:0x<NID>" (NULL: not
 * of that form). */
static char *pv_part_of(const char *rid)
{
	const char *colon = rid ? strrchr(rid, ':') : NULL;
	size_t l;
	if (!colon || strncmp(colon, ":0x", 3) != 0)
		return NULL;
	l = (size_t)(colon - rid);
	if (l < 5 || memcmp(colon - 4, ".pst", 4) != 0 || memchr(rid, '/', l))
		return NULL;
	return mf_xasprintf("%.*s", (int)l, rid);
}

static struct pv_part *pv_part_get(struct pv_part **parts, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*parts)[i].name, name))
			return &(*parts)[i];
	*parts = mf_xreallocarray(*parts, *n + 1, sizeof(**parts));
	memset(&(*parts)[*n], 0, sizeof(**parts));
	(*parts)[*n].name = mf_xstrdup(name);
	return &(*parts)[(*n)++];
}

/* Is name one of alias's part names (<alias>.pst, <alias>-NNN.pst)? */
static int pv_named_like(const char *name, const char *alias)
{
	size_t a = strlen(alias);
	if (strncmp(name, alias, a) != 0)
		return 0;
	name += a;
	if (!strcmp(name, ".pst"))
		return 1;
	return name[0] == '-' && name[1] >= '0' && name[1] <= '9' && name[2] >= '0' &&
	       name[2] <= '9' && name[3] >= '0' && name[3] <= '9' && !strcmp(name + 4, ".pst");
}

static void pv_check_part(struct mf_verify *v, const char *root, const char *name,
			  const struct pv_part *p, const struct mf_mailbox *mb,
			  const struct mf_verify_mailbox *vm, struct mf_arena *arena)
{
	char hex[MF_SHA256_HEX], *path = mf_xasprintf("%s/%s", root, p->name);
	int64_t size;
	int rc = pv_file_sha(path, hex, &size);

	if (rc == MF_ENOTFOUND)
		mf_verify_mismatch(v, "%s: %s is missing (the ledger has %lld messages in it)", name,
				   p->name, (long long)p->messages);
	else if (rc < 0)
		mf_verify_mismatch(v, "%s: %s cannot be read: %s", name, p->name, strerror(errno));
	else if (p->conflict)
		mf_verify_mismatch(v, "%s: %s: the ledger records different sha256 for its "
				   "messages", name, p->name);
	else if (p->sha256 && strcmp(hex, p->sha256) != 0)
		mf_verify_mismatch(v, "%s: %s differs from what was written (sha256 %.16s..., the "
				   "ledger has %.16s..., %lld bytes)", name, p->name, hex, p->sha256,
				   (long long)size);
	/* and what it holds, against the staging database */
	if (rc == MF_OK)
		pst_verify_content(v, mb, vm, path, p->name, arena);
	free(path);
}

/* One mailbox: its parts by the ledger, each checked; their names go to
 * known. */
static void pv_mailbox(struct mf_verify *v, const char *root, const struct mf_mailbox *mb,
		       const struct mf_verify_mailbox *vm, const char *alias, char ***known,
		       size_t *nknown, struct mf_arena *arena)
{
	struct mf_verify_sum *sum = mf_verify_sum(v);
	const char *name = mf_verify_name(mb);
	struct pv_part *parts = NULL;
	size_t nparts = 0;
	char *first = mf_xasprintf("%s.pst", alias);

	/* every exported mailbox has its first file, the empty ones too */
	pv_part_get(&parts, &nparts, first);
	free(first);
	for (size_t i = 0; i < vm->n_all; i++) {
		const struct mf_ledger_row *r = &vm->all[i];
		struct pv_part *p;
		char *pn;
		if (!r->status || strcmp(r->status, "delivered"))
			continue;
		if (!(pn = pv_part_of(r->remote_id))) {
			mf_verify_mismatch(v, "%s: message %lld in '%s': the ledger records no .pst "
					   "file (remote id '%s')", name, (long long)r->item_id,
					   r->folder ? r->folder : "", r->remote_id ? r->remote_id : "");
			continue;
		}
		p = pv_part_get(&parts, &nparts, pn);
		free(pn);
		p->messages++;
		sum->items++;
		if (r->sha256 && *r->sha256) {
			if (!p->sha256)
				p->sha256 = r->sha256;
			else if (strcmp(p->sha256, r->sha256) != 0)
				p->conflict = 1;
		}
	}
	for (size_t k = 0; k < nparts; k++) {
		pv_check_part(v, root, name, &parts[k], mb, vm, arena);
		*known = mf_xreallocarray(*known, *nknown + 1, sizeof(**known));
		(*known)[(*nknown)++] = parts[k].name;
	}
	free(parts);
}

/* Mailbox i of the selection. */
static int pv_one(struct mf_verify *v, size_t i, const char *root, const char *target,
		  char **aliases, size_t *naliases, char ***known, size_t *nknown,
		  struct mf_arena *arena, struct mf_diag *diag)
{
	const struct mf_export_opts *o = mf_verify_opts(v);
	const struct mf_mailbox *mb = mf_verify_mailbox_at(v, i);
	const char *alias;
	struct mf_verify_mailbox vm;
	int rc;

	if (!mb)
		return MF_OK;
	alias = mb->alias && *mb->alias ? mb->alias : "mailbox";
	if (o->n_mailboxes)
		aliases[(*naliases)++] = mf_xstrdup(alias);
	mf_arena_reset(arena);
	if ((rc = mf_verify_mailbox_load(v, target, mb, &vm, arena, diag)) < 0)
		return rc;
	if (!mf_verify_mailbox_delivered(v, mb, &vm)) {
		mf_verify_mailbox_release(&vm);
		return MF_OK;
	}
	mf_verify_undelivered(v, mb, &vm);
	pv_mailbox(v, root, mb, &vm, alias, known, nknown, arena);
	mf_verify_mailbox_release(&vm);
	return MF_OK;
}

int mf_pst_verify(struct mf_verify *v, struct mf_diag *diag)
{
	const struct mf_export_opts *o = mf_verify_opts(v);
	struct mf_store *st = mf_verify_store(v);
	struct mf_arena arena = MF_ARENA_INIT;
	char *root = NULL, *target = NULL, **known = NULL;
	char **aliases;
	size_t nmb, nknown = 0, naliases = 0;
	DIR *d;
	struct dirent *de;
	int rc;

	if ((rc = mf_verify_out_target(v, "pst", &root, &target, diag)) < 0)
		return rc;
	nmb = mf_verify_count(v);
	/* with a selection, the files of the others are not judged: their names */
	aliases = mf_xcalloc(o->n_mailboxes ? nmb + 1 : 1, sizeof(*aliases));
	/* one read transaction per mailbox instead of a lock per statement
	 * (the default 2 MiB page cache: an 8 MiB one, as check has, read
	 * no fewer pages from the store at 100,000 mailboxes) */
	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		if ((rc = mf_store_read_begin(st, diag)) < 0)
			break;
		rc = pv_one(v, i, root, target, aliases, &naliases, &known, &nknown, &arena, diag);
		mf_store_read_end(st);
	}
	mf_verify_walk_done(v);
	if (rc == MF_OK) {
		if (nknown)
			qsort(known, nknown, sizeof(*known), pv_cmp_str);
		d = opendir(root);
		while (d && (de = readdir(d))) {
			const char *fn = de->d_name;
			size_t l = strlen(fn);
			int judged = !o->n_mailboxes;
			if (fn[0] == '.' || l < 5 || strcmp(fn + l - 4, ".pst") != 0)
				continue;
			if (nknown && bsearch(&fn, known, nknown, sizeof(*known), pv_cmp_str))
				continue;
			for (size_t i = 0; i < naliases && !judged; i++)
				judged = pv_named_like(fn, aliases[i]);
			if (judged)
				mf_verify_mismatch(v, "%s is not in the ledger (an extra file)", fn);
		}
		if (d)
			closedir(d);
	}
	for (size_t i = 0; i < nknown; i++)
		free(known[i]);
	free(known);
	for (size_t i = 0; i < naliases; i++)
		free(aliases[i]);
	free(aliases);
	mf_arena_release(&arena);
	free(root);
	free(target);
	return rc;
}
