/* SPDX-License-Identifier: MIT */
/*
 * vcard_verify.c: `mailferry verify vcard`: the vCard files under --out DIR
 * read back and compared with the delivery ledger (engine/verify.h).
 *
 * For every selected mailbox, each `pab` row the ledger has delivered names
 * a file (DIR/<alias>.vcf, DIR/public/<alias>.vcf) whose bytes must have
 * the sha256 recorded when it was written.  A *.vcf in DIR or DIR/public
 * that no ledger row names is an extra file (directory.vcf, written with
 * --directory create and not in the ledger, excepted).  With --mailbox
 * only the files named like a selected mailbox's book are judged.
 */
#include "engine/verify.h"
#include "exporters/dav/dav.h"
#include "exporters/files/files.h"
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

static int vv_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void vv_add(char ***list, size_t *n, char *s)
{
	*list = mf_xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = s;
}

static int vv_known(char **list, size_t n, const char *s)
{
	return n && bsearch(&s, list, n, sizeof(*list), vv_cmp_str) != NULL;
}

/* The *.vcf regular files in DIR/sub ("" or "public/"), DIR-relative. */
static void vv_list(const char *root, const char *sub, char ***out, size_t *n)
{
	char *dir = mf_xasprintf("%s/%s", root, sub);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		struct stat sb;
		char *full;
		if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".vcf"))
			continue;
		if (!*sub && !strcmp(de->d_name, MF_DAV_DIRECTORY_NAME ".vcf"))
			continue;
		full = mf_xasprintf("%s/%s", dir, de->d_name);
		if (lstat(full, &sb) == 0 && S_ISREG(sb.st_mode))
			vv_add(out, n, mf_xasprintf("%s%s", sub, de->d_name));
		free(full);
	}
	if (d)
		closedir(d);
	free(dir);
}

static void vv_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Compare one ledger row's file with what the ledger recorded. */
static void vv_check_row(struct mf_verify *v, const char *root, const char *name,
			 const struct mf_ledger_row *r)
{
	char hex[MF_SHA256_HEX], *path;
	int64_t size;
	int rc;

	if (!r->remote_id || !*r->remote_id || strstr(r->remote_id, "..")) {
		mf_verify_mismatch(v, "%s: address book: the ledger records no file", name);
		return;
	}
	path = mf_xasprintf("%s/%s", root, r->remote_id);
	rc = mf_sha256_file(path, hex, &size);
	mf_verify_sum(v)->items++;
	if (rc == MF_ENOTFOUND)
		mf_verify_mismatch(v, "%s: address book: %s is missing", name, r->remote_id);
	else if (rc < 0)
		mf_verify_mismatch(v, "%s: address book: %s cannot be read: %s", name,
				   r->remote_id, strerror(errno));
	else if (r->sha256 && strcmp(hex, r->sha256) != 0)
		mf_verify_mismatch(v, "%s: address book: %s differs from what was written "
				   "(sha256 %.16s..., the ledger has %.16s..., %lld bytes, written "
				   "%lld)", name, r->remote_id, hex, r->sha256, (long long)size,
				   (long long)r->bytes);
	free(path);
}

int mf_dav_vcard_verify(struct mf_verify *v, struct mf_diag *diag)
{
	const struct mf_export_opts *o = mf_verify_opts(v);
	struct mf_verify_sum *sum = mf_verify_sum(v);
	struct mf_arena arena = MF_ARENA_INIT;
	enum mf_vcard_version ver;
	char *root = NULL, *target = NULL, **known = NULL, **names = NULL, **files = NULL;
	size_t nmb, nknown = 0, nnames = 0, nfiles = 0;
	int rc;

	if ((rc = mf_dav_vcard_version(&ver, o, diag)) < 0)
		return rc;
	if ((rc = mf_verify_out_target(v, ver == MF_VCARD_40 ? "vcard" : "vcard3", &root, &target,
				       diag)) < 0)
		return rc;
	nmb = mf_verify_count(v);
	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		const struct mf_mailbox *mb = mf_verify_mailbox_at(v, i);
		const char *name;
		struct mf_ledger_row *rows = NULL;
		size_t nrows = 0;
		char fname[128];
		struct mf_diag d;

		if (!mb)
			continue;
		name = mf_verify_name(mb);
		mf_arena_reset(&arena);
		mf_diag_clear(&d);
		if (mf_files_mailbox_name(fname, sizeof(fname), mb, &d) == MF_OK)
			vv_add(&names, &nnames, mf_xasprintf("%s%s.vcf",
							     mf_files_is_public(mb) ? "public/" : "",
							     fname));
		if ((rc = mf_verify_ledger(v, target, "pab", mb, &rows, &nrows, &arena, diag)) < 0)
			break;
		sum->mailboxes++;
		for (size_t k = 0; k < nrows; k++) {
			if (!rows[k].status || strcmp(rows[k].status, "delivered"))
				continue;
			if (rows[k].remote_id)
				vv_add(&known, &nknown, mf_xstrdup(rows[k].remote_id));
			vv_check_row(v, root, name, &rows[k]);
		}
		free(rows);
	}
	mf_verify_walk_done(v);
	if (rc == MF_OK) {
		if (nknown)
			qsort(known, nknown, sizeof(*known), vv_cmp_str);
		if (nnames)
			qsort(names, nnames, sizeof(*names), vv_cmp_str);
		vv_list(root, "", &files, &nfiles);
		vv_list(root, "public/", &files, &nfiles);
		if (nfiles)
			qsort(files, nfiles, sizeof(*files), vv_cmp_str);
		for (size_t k = 0; k < nfiles; k++) {
			if (vv_known(known, nknown, files[k]))
				continue;
			/* --mailbox: the books of other mailboxes are not judged */
			if (o->n_mailboxes && !vv_known(names, nnames, files[k]))
				continue;
			mf_verify_mismatch(v, "%s is not in the ledger (an extra file)", files[k]);
		}
	}
	vv_free(files, nfiles);
	vv_free(names, nnames);
	vv_free(known, nknown);
	mf_arena_release(&arena);
	free(root);
	free(target);
	return rc;
}
