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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 300

/* One MAILMESSAGE data line of a mailbox's .PRI (its file: the xpri whose
 * range holds it). */
struct xline {
	int64_t line;             /* 1-based among the section's data lines */
	char sha256[MF_SHA256_HEX];
	int64_t bytes;
	int schedule;             /* the Schedule+ line of the calendar */
};

/* One MAILMESSAGE section of a .PRI file, with its data lines
 * lines[first .. first + n). */
struct xpri {
	const char *key;          /* "<set>/<file>" */
	const char *alias;        /* from its "! mailferry: mailbox" line ("" none) */
	size_t first, n;
};

struct xwalk {
	struct mf_verify *v;
	const char *setdir, *setbase;
	struct xline *lines;
	size_t nlines, caplines;
	struct xpri *pris;
	size_t npris, cappris;
	struct mf_arena strs;     /* keys and aliases */
	/* pris sorted by alias and by key (then walk order), for look-ups
	 * that do not scan every file once per mailbox */
	size_t *by_alias, *by_key;
	int in_section;           /* lines go to the last pri */
	int64_t cur_line;
};

static const struct xwalk *sort_w;

static int cmp_by_alias(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_w->pris[x].alias, sort_w->pris[y].alias);
	return c ? c : (x > y) - (x < y);
}

static int cmp_by_key(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(sort_w->pris[x].key, sort_w->pris[y].key);
	return c ? c : (x > y) - (x < y);
}

/* The first place in idx (sorted by field) whose pri has s there. */
static size_t lower(const struct xwalk *w, const size_t *idx, int by_key, const char *s)
{
	size_t lo = 0, hi = w->npris;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct xpri *p = &w->pris[idx[mid]];
		if (strcmp(by_key ? p->key : p->alias, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void index_pris(struct xwalk *w)
{
	w->by_alias = mf_xreallocarray(NULL, w->npris ? w->npris : 1, sizeof(size_t));
	w->by_key = mf_xreallocarray(NULL, w->npris ? w->npris : 1, sizeof(size_t));
	for (size_t i = 0; i < w->npris; i++)
		w->by_alias[i] = w->by_key[i] = i;
	sort_w = w;
	if (w->npris) {
		qsort(w->by_alias, w->npris, sizeof(size_t), cmp_by_alias);
		qsort(w->by_key, w->npris, sizeof(size_t), cmp_by_key);
	}
	sort_w = NULL;
}

static void on_problem(void *p, const char *file, uint64_t off, const char *text)
{
	struct xwalk *w = p;
	mf_verify_mismatch(w->v, "set %s: %s: offset %llu: %s", w->setbase, file,
			   (unsigned long long)off, text);
}

static void on_section(void *p, const char *file, const char *kind, const char *arg)
{
	struct xwalk *w = p;
	struct xpri *x;
	char *path, buf[256];
	FILE *f;

	(void)arg;
	if (strcmp(kind, "MAILMESSAGE") != 0) {
		w->in_section = 0;
		return;
	}
	w->cur_line = 0;
	w->in_section = 1;
	if (w->npris == w->cappris) {
		w->cappris = w->cappris ? w->cappris * 2 : 256;
		w->pris = mf_xreallocarray(w->pris, w->cappris, sizeof(*w->pris));
	}
	x = &w->pris[w->npris++];
	memset(x, 0, sizeof(*x));
	{
		char key[KEY_MAX];
		snprintf(key, sizeof(key), "%s/%s", w->setbase, file);
		x->key = mf_arena_strdup(&w->strs, key);
	}
	x->first = w->nlines;
	path = mf_xasprintf("%s/%s", w->setdir, file);
	f = fopen(path, "rb");
	{
		char alias[64];
		if (f && fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "! mailferry: mailbox %63s", alias) == 1)
			x->alias = mf_arena_strdup(&w->strs, alias);
		else
			x->alias = "";
	}
	if (f)
		fclose(f);
	free(path);
}

static void on_line(void *p, const struct exr_line *l)
{
	struct xwalk *w = p;
	struct xline *x;
	struct mf_sha256 h;

	if (strcmp(l->section, "MAILMESSAGE") != 0 || !w->in_section || !w->npris)
		return;
	if (w->nlines == w->caplines) {
		w->caplines = w->caplines ? w->caplines * 2 : 1024;
		w->lines = mf_xreallocarray(w->lines, w->caplines, sizeof(*w->lines));
	}
	x = &w->lines[w->nlines++];
	memset(x, 0, sizeof(*x));
	w->pris[w->npris - 1].n++;
	x->line = ++w->cur_line;
	mf_sha256_init(&h);
	for (size_t i = 0; i < l->n_items; i++) {
		mf_sha256_update(&h, l->items[i].data, l->items[i].len);
		x->bytes += (int64_t)l->items[i].len;
		if (!strcmp(l->items[i].type, "Schedule"))
			x->schedule = 1;
	}
	mf_sha256_final(&h, x->sha256);
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
		{
			/* a folder without a packing list is a set an interrupted run
			 * left unfinished: nothing in it counts as delivered */
			char **sub = NULL;
			size_t nsub = 0;
			int hp = 0;
			mf_exch_list_sets(dir, &sub, &nsub, &hp);
			for (size_t k = 0; k < nsub; k++)
				free(sub[k]);
			free(sub);
			if (!hp)
				continue;
		}
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

static void verify_pri(struct mf_verify *v, const struct mf_mailbox *mb,
		       const struct mf_verify_mailbox *vm, const struct xwalk *w, const char *key,
		       int64_t *held)
{
	struct mf_verify_piece *want = NULL, *got = NULL;
	const struct mf_ledger_row **rows = NULL;
	size_t nw = 0, ng = 0;
	const char *name = mf_verify_name(mb);
	int exists = 0;

	size_t at = lower(w, w->by_key, 1, key);

	exists = at < w->npris && !strcmp(w->pris[w->by_key[at]].key, key);
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
	for (size_t j = at; j < w->npris && !strcmp(w->pris[w->by_key[j]].key, key); j++) {
		const struct xpri *p = &w->pris[w->by_key[j]];
		for (size_t i = p->first; i < p->first + p->n; i++) {
			const struct xline *x = &w->lines[i];
			if (x->schedule)
				continue;
			got = mf_xreallocarray(got, ng + 1, sizeof(*got));
			memset(&got[ng], 0, sizeof(*got));
			got[ng].pos = x->line;
			got[ng].bytes = x->bytes;
			memcpy(got[ng].sha256, x->sha256, sizeof(got[ng].sha256));
			ng++;
		}
	}
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
	for (size_t i = 0; i < ng; i++)
		if (got[i].match < 0)
			mf_verify_mismatch(v, "%s: %s: MAILMESSAGE line %lld (%lld bytes of sections) is "
					   "not in the ledger (an extra message)", name, key,
					   (long long)got[i].pos, (long long)got[i].bytes);
	*held += (int64_t)ng;
	free(want);
	free(got);
	free(rows);
}

int mf_exch_verify(struct mf_verify *v, struct mf_diag *diag)
{
	struct xwalk w;
	size_t nmb;
	struct mf_arena arena = MF_ARENA_INIT;
	char *root = NULL, *target = NULL;
	int rc;

	memset(&w, 0, sizeof(w));
	w.v = v;
	w.strs = (struct mf_arena)MF_ARENA_INIT;
	if ((rc = mf_verify_out_target(v, "exchange", &root, &target, diag)) < 0)
		return rc;
	if ((rc = walk_sets(&w, root, diag)) < 0)
		goto out;
	index_pris(&w);
	nmb = mf_verify_count(v);
	for (size_t i = 0; i < nmb; i++) {
		const struct mf_mailbox *mb = mf_verify_mailbox_at(v, i);
		struct mf_verify_mailbox vm;
		const char **keys = NULL;
		size_t nkeys = 0;
		int64_t held = 0;
		int sections = 0;

		if (!mb)
			continue;
		mf_arena_reset(&arena);
		if ((rc = mf_verify_mailbox_load(v, target, mb, &vm, &arena, diag)) < 0)
			break;
		mf_verify_sum(v)->mailboxes++;
		if (!vm.mailbox_row || !vm.mailbox_row->status ||
		    strcmp(vm.mailbox_row->status, "delivered")) {
			mf_verify_mismatch(v, "%s: the mailbox was never exported to this target",
					   mf_verify_name(mb));
			mf_verify_mailbox_release(&vm);
			continue;
		}
		mf_verify_undelivered(v, mb, &vm);
		/* its .PRI files: by their first line, and where the ledger points */
		for (size_t k = mb->alias ? lower(&w, w.by_alias, 0, mb->alias) : w.npris;
		     k < w.npris && !strcmp(w.pris[w.by_alias[k]].alias, mb->alias); k++) {
			keys = mf_xreallocarray(keys, nkeys + 1, sizeof(*keys));
			keys[nkeys++] = w.pris[w.by_alias[k]].key;
			sections++;
		}
		for (size_t k = 0; k < vm.n_all; k++) {
			char key[KEY_MAX];
			int64_t line;
			int dup = 0;
			if (!vm.all[k].status || strcmp(vm.all[k].status, "delivered") ||
			    !split_rid(vm.all[k].remote_id, key, &line))
				continue;
			for (size_t j = 0; j < nkeys && !dup; j++)
				dup = !strcmp(keys[j], key);
			if (!dup) {
				keys = mf_xreallocarray(keys, nkeys + 1, sizeof(*keys));
				keys[nkeys++] = mf_arena_strdup(&arena, key);
			}
		}
		if (!sections)
			mf_verify_mismatch(v, "%s: no .PRI file of a finished set holds its MAILMESSAGE "
					   "section (the mailbox would not be created)",
					   mf_verify_name(mb));
		mf_verify_sum(v)->folders += sections;
		for (size_t k = 0; k < nkeys; k++)
			verify_pri(v, mb, &vm, &w, keys[k], &held);
		if (held != (int64_t)vm.n_selected)
			mf_verify_mismatch(v, "%s: its MAILMESSAGE sections hold %lld messages, the "
					   "selection has %zu", mf_verify_name(mb), (long long)held,
					   vm.n_selected);
		free(keys);
		mf_verify_mailbox_release(&vm);
	}
out:
	mf_arena_release(&arena);
	free(w.lines);
	free(w.pris);
	free(w.by_alias);
	free(w.by_key);
	mf_arena_release(&w.strs);
	free(root);
	free(target);
	return rc;
}
