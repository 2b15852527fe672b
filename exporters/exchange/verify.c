/* SPDX-License-Identifier: MIT */
/*
 * verify.c: `mailferry verify exchange`: the sets under the output folder
 * read back with the set reader (exch_read.h) and compared with the
 * delivery ledger and the staged data (engine/verify.h).
 *
 * Every set (a folder with a packing list) is walked as `inspect exchange`
 * walks it; each of its problems is a mismatch.  A mailbox's pair of
 * files starts with the line "! mailferry: mailbox <alias> new|more"; the
 * ledger's remote_id of a message is "<set>/<NNNNNNNN>.PRI:<n>", its n-th
 * MAILMESSAGE data line, and its sha256 that of the section data the line
 * points to (the body, then each attachment, as written).  Checked for
 * every selected mailbox: some .PRI holds its MAILMESSAGE section (the
 * empty mailboxes too: the section is what makes the Migration Wizard
 * create the mailbox); every selected message is delivered, on its line,
 * with its bytes; no line the ledger does not know; and as many messages
 * as the selection has for it.
 */
#include "exporters/exchange/exch_verify.h"
#include "exporters/exchange/exch_read.h"
#include "engine/verify.h"
#include "core/hash.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 300

/* The walk of the sets: each MAILMESSAGE section of a .PRI file (its key
 * "<set>/<file>" and the alias of its first line) and each of its data
 * lines go to the store's scratch tables (core/store_verify.h), not into
 * memory: a set holds a pair of files per mailbox. */
struct xwalk {
	struct mf_verify *v;
	struct mf_store *st;
	const char *setdir, *setbase;
	int64_t file_id;          /* the section being read (0: none) */
	int in_section;           /* lines go to file_id */
	int64_t cur_line;
	int rc;                   /* the first store failure */
	struct mf_diag d;
};

static void on_problem(void *p, const char *file, uint64_t off, const char *text)
{
	struct xwalk *w = p;
	mf_verify_mismatch(w->v, "set %s: %s: offset %llu: %s", w->setbase, file,
			   (unsigned long long)off, text);
}

static void on_section(void *p, const char *file, const char *kind, const char *arg)
{
	struct xwalk *w = p;
	char *path, buf[256], key[KEY_MAX], alias[64] = "";
	FILE *f;

	(void)arg;
	if (strcmp(kind, "MAILMESSAGE") != 0) {
		w->in_section = 0;
		return;
	}
	w->cur_line = 0;
	w->in_section = 1;
	w->file_id = 0;
	snprintf(key, sizeof(key), "%s/%s", w->setbase, file);
	path = mf_xasprintf("%s/%s", w->setdir, file);
	f = fopen(path, "rb");
	if (!f || !fgets(buf, sizeof(buf), f) || sscanf(buf, "! mailferry: mailbox %63s", alias) != 1)
		alias[0] = '\0';
	if (f)
		fclose(f);
	free(path);
	if (w->rc == MF_OK)
		w->rc = mf_store_vscratch_file_add(w->st, &w->file_id, key, alias, &w->d);
}

static void on_line(void *p, const struct exr_line *l)
{
	struct xwalk *w = p;
	struct mf_sha256 h;
	char sha[MF_SHA256_HEX];
	int64_t bytes = 0;
	int schedule = 0;

	if (strcmp(l->section, "MAILMESSAGE") != 0 || !w->in_section || !w->file_id ||
	    w->rc != MF_OK)
		return;
	w->cur_line++;
	mf_sha256_init(&h);
	for (size_t i = 0; i < l->n_items; i++) {
		mf_sha256_update(&h, l->items[i].data, l->items[i].len);
		bytes += (int64_t)l->items[i].len;
		if (!strcmp(l->items[i].type, "Schedule"))
			schedule = 1;
	}
	mf_sha256_final(&h, sha);
	w->rc = mf_store_vscratch_line_add(w->st, w->file_id, w->cur_line, sha, bytes, schedule,
					   &w->d);
}

/* Whether dir holds a packing list (a name ending in .pkl, any case):
 * its names only, no stat of each (a set holds two files per mailbox). */
static int dir_has_pkl(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;
	while (d && !found && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		found = l > 4 && mf_strcaseeq(de->d_name + l - 4, ".pkl");
	}
	if (d)
		closedir(d);
	return found;
}

/* Walk every set under root (root itself when it holds a .pkl). */
static int walk_sets(struct xwalk *w, const char *root, struct mf_diag *diag)
{
	char **sets = NULL;
	size_t ns = 0;
	int has_pkl = 0, rc = MF_OK;
	struct exr_visitor vis = { w, on_problem, on_section, on_line };

	mf_exch_list_sets(root, &sets, &ns, &has_pkl);
	for (size_t i = 0; i <= ns; i++) {
		const char *dir = i < ns ? sets[i] : root;
		struct exr_stats st;
		struct mf_diag d;
		char *pkl = NULL;
		if (i == ns && !has_pkl)
			break;
		/* a folder without a packing list is a set an interrupted run
		 * left unfinished: nothing in it counts as delivered */
		if (!dir_has_pkl(dir))
			continue;
		w->setdir = dir;
		w->setbase = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
		w->in_section = 0;
		mf_diag_clear(&d);
		pkl = mf_xstrdup(dir);
		if (exr_walk(pkl, &vis, &st, &d) < 0) {
			char line[1200];
			mf_verify_mismatch(w->v, "set %s cannot be read: %s", w->setbase,
					   mf_diag_format(&d, line, sizeof(line)));
		}
		free(pkl);
	}
	for (size_t i = 0; i < ns; i++)
		free(sets[i]);
	free(sets);
	(void)diag;
	return rc;
}

/* Split "<set>/<file>:<n>" into key and line; 0 when it is not one. */
static int split_rid(const char *rid, char key[KEY_MAX], int64_t *line)
{
	const char *colon = rid ? strrchr(rid, ':') : NULL;
	uint64_t n;
	if (!colon || (size_t)(colon - rid) >= KEY_MAX ||
	    mf_parse_u64(&n, colon + 1, strlen(colon + 1), INT64_MAX) < 0)
		return 0;
	memcpy(key, rid, (size_t)(colon - rid));
	key[colon - rid] = '\0';
	*line = (int64_t)n;
	return 1;
}

/* The lines read back from the files of one key (verify_pri). */
struct got_lines {
	struct mf_verify_piece *got;
	size_t n;
};

static int add_got(void *arg, int64_t line, const char *sha256, int64_t bytes, int schedule)
{
	struct got_lines *g = arg;
	if (schedule)
		return MF_OK;
	g->got = mf_xreallocarray(g->got, g->n + 1, sizeof(*g->got));
	memset(&g->got[g->n], 0, sizeof(*g->got));
	g->got[g->n].pos = line;
	g->got[g->n].bytes = bytes;
	snprintf(g->got[g->n].sha256, sizeof(g->got[g->n].sha256), "%s", sha256);
	g->n++;
	return MF_OK;
}

static int verify_pri(struct mf_verify *v, struct mf_store *st, const struct mf_mailbox *mb,
		      const struct mf_verify_mailbox *vm, const char *key, int64_t *held,
		      struct mf_diag *diag)
{
	struct mf_verify_piece *want = NULL, *got = NULL;
	const struct mf_ledger_row **rows = NULL;
	size_t nw = 0, ng = 0;
	const char *name = mf_verify_name(mb);
	int exists = 0;

	struct got_lines gl = { NULL, 0 };
	int rc;

	for (size_t i = 0; i < vm->n_all; i++) {
		const struct mf_ledger_row *r = &vm->all[i];
		char k[KEY_MAX];
		int64_t line;
		if (!r->status || strcmp(r->status, "delivered") || !split_rid(r->remote_id, k, &line) ||
		    strcmp(k, key))
			continue;
		want = mf_xreallocarray(want, nw + 1, sizeof(*want));
		rows = mf_xreallocarray(rows, nw + 1, sizeof(*rows));
		memset(&want[nw], 0, sizeof(*want));
		want[nw].pos = line;
		want[nw].bytes = r->bytes;
		want[nw].id = r->item_id;
		snprintf(want[nw].sha256, sizeof(want[nw].sha256), "%s", r->sha256 ? r->sha256 : "");
		rows[nw++] = r;
	}
	if ((rc = mf_store_vscratch_lines_by_key(st, key, &exists, add_got, &gl, diag)) < 0) {
		free(want);
		free(rows);
		free(gl.got);
		return rc;
	}
	got = gl.got;
	ng = gl.n;
	mf_verify_pair(want, nw, got, ng);
	for (size_t i = 0; i < nw; i++) {
		const struct mf_verify_piece *g = want[i].match >= 0 && got ? &got[want[i].match] : NULL;
		mf_verify_sum(v)->items++;
		if (!g)
			mf_verify_mismatch(v, "%s: message %lld in '%s': missing from %s (the ledger "
					   "has it on MAILMESSAGE line %lld)%s", name,
					   (long long)want[i].id, rows[i]->folder ? rows[i]->folder : "",
					   key, (long long)want[i].pos,
					   exists ? "" : "; the file is not in any finished set");
		else if (want[i].sha256[0] ? strcmp(want[i].sha256, g->sha256) != 0
					   : want[i].bytes >= 0 && want[i].bytes != g->bytes)
			mf_verify_mismatch(v, "%s: message %lld in '%s': %s line %lld points to section "
					   "data that differs from what was written (sha256 %.16s..., "
					   "the ledger has %.16s...; %lld bytes, written %lld)", name,
					   (long long)want[i].id, rows[i]->folder ? rows[i]->folder : "",
					   key, (long long)g->pos, g->sha256,
					   want[i].sha256[0] ? want[i].sha256 : "(none)",
					   (long long)g->bytes, (long long)want[i].bytes);
	}
	for (size_t i = 0; got && i < ng; i++)
		if (got[i].match < 0)
			mf_verify_mismatch(v, "%s: %s: MAILMESSAGE line %lld (%lld bytes of sections) is "
					   "not in the ledger (an extra message)", name, key,
					   (long long)got[i].pos, (long long)got[i].bytes);
	*held += (int64_t)ng;
	free(want);
	free(got);
	free(rows);
	return MF_OK;
}

/* The keys of one mailbox's files (mf_exch_verify). */
struct keyset {
	const char **keys;
	size_t n;
	struct mf_arena *arena;
};

static int add_key(void *arg, const char *key)
{
	struct keyset *k = arg;
	k->keys = mf_xreallocarray(k->keys, k->n + 1, sizeof(*k->keys));
	k->keys[k->n++] = mf_arena_strdup(k->arena, key);
	return MF_OK;
}

int mf_exch_verify(struct mf_verify *v, struct mf_diag *diag)
{
	struct xwalk w;
	size_t nmb;
	struct mf_arena arena = MF_ARENA_INIT;
	char *root = NULL, *target = NULL;
	struct mf_store *st = mf_verify_store(v);
	int rc;

	memset(&w, 0, sizeof(w));
	w.v = v;
	w.st = st;
	mf_diag_clear(&w.d);
	if ((rc = mf_verify_out_target(v, "exchange", &root, &target, diag)) < 0)
		return rc;
	if ((rc = mf_store_vscratch_begin(st, diag)) < 0)
		goto out;
	if ((rc = walk_sets(&w, root, diag)) < 0)
		goto out;
	if (w.rc < 0) {
		*diag = w.d;
		rc = w.rc;
		goto out;
	}
	if ((rc = mf_store_vscratch_ready(st, diag)) < 0)
		goto out;
	nmb = mf_verify_count(v);
	for (size_t i = 0; i < nmb; i++) {
		const struct mf_mailbox *mb = mf_verify_mailbox_at(v, i);
		struct mf_verify_mailbox vm;
		struct keyset ks = { NULL, 0, &arena };
		int64_t held = 0;
		size_t sections = 0;

		if (!mb)
			continue;
		mf_arena_reset(&arena);
		if ((rc = mf_verify_mailbox_load(v, target, mb, &vm, &arena, diag)) < 0)
			break;
		if (!mf_verify_mailbox_delivered(v, mb, &vm)) {
			mf_verify_mailbox_release(&vm);
			continue;
		}
		mf_verify_undelivered(v, mb, &vm);
		/* its .PRI files: by their first line, and where the ledger points */
		if (mb->alias &&
		    (rc = mf_store_vscratch_files_by_alias(st, mb->alias, add_key, &ks, diag)) < 0) {
			free(ks.keys);
			mf_verify_mailbox_release(&vm);
			break;
		}
		sections = ks.n;
		for (size_t k = 0; k < vm.n_all; k++) {
			char key[KEY_MAX];
			int64_t line;
			int dup = 0;
			if (!vm.all[k].status || strcmp(vm.all[k].status, "delivered") ||
			    !split_rid(vm.all[k].remote_id, key, &line))
				continue;
			for (size_t j = 0; j < ks.n && !dup; j++)
				dup = !strcmp(ks.keys[j], key);
			if (!dup)
				add_key(&ks, key);
		}
		if (!sections)
			mf_verify_mismatch(v, "%s: no .PRI file of a finished set holds its MAILMESSAGE "
					   "section (the mailbox would not be created)",
					   mf_verify_name(mb));
		mf_verify_sum(v)->folders += (int64_t)sections;
		for (size_t k = 0; k < ks.n && rc == MF_OK; k++)
			rc = verify_pri(v, st, mb, &vm, ks.keys[k], &held, diag);
		if (rc == MF_OK && held != (int64_t)vm.n_selected)
			mf_verify_mismatch(v, "%s: its MAILMESSAGE sections hold %lld messages, the "
					   "selection has %zu", mf_verify_name(mb), (long long)held,
					   vm.n_selected);
		free(ks.keys);
		mf_verify_mailbox_release(&vm);
		if (rc < 0)
			break;
	}
out:
	mf_store_vscratch_end(st);
	mf_arena_release(&arena);
	free(root);
	free(target);
	return rc;
}
