/* SPDX-License-Identifier: MIT */
/* test_verify.c: engine/verify.c's pairing of ledger items with what a
 * target holds (mf_verify_pair). */
#include "tests/unit/tests.h"
#include "engine/verify.h"

#include <stdio.h>

static void piece(struct mf_verify_piece *p, int64_t pos, const char *sha)
{
	memset(p, 0, sizeof(*p));
	p->pos = pos;
	snprintf(p->sha256, sizeof(p->sha256), "%s", sha);
}

/* The ledger has a b c d at 1..4. */
static void ledger(struct mf_verify_piece w[4])
{
	piece(&w[0], 1, "aa");
	piece(&w[1], 2, "bb");
	piece(&w[2], 3, "cc");
	piece(&w[3], 4, "dd");
}

static void test_pair_same(void)
{
	struct mf_verify_piece w[4], g[4];
	ledger(w);
	ledger(g);
	mf_verify_pair(w, 4, g, 4);
	for (int i = 0; i < 4; i++) {
		T_EQ_INT(w[i].match, i);
		T_EQ_INT(g[i].match, i);
	}
}

/* b removed: only b is missing; c and d are found where they moved. */
static void test_pair_removed(void)
{
	struct mf_verify_piece w[4], g[3];
	ledger(w);
	piece(&g[0], 1, "aa");
	piece(&g[1], 2, "cc");
	piece(&g[2], 3, "dd");
	mf_verify_pair(w, 4, g, 3);
	T_EQ_INT(w[0].match, 0);
	T_EQ_INT(w[1].match, -1);
	T_EQ_INT(w[2].match, 1);
	T_EQ_INT(w[3].match, 2);
}

/* b changed in place: paired by position with another digest. */
static void test_pair_changed(void)
{
	struct mf_verify_piece w[4], g[4];
	ledger(w);
	ledger(g);
	piece(&g[1], 2, "xx");
	mf_verify_pair(w, 4, g, 4);
	T_EQ_INT(w[1].match, 1);
	T_ASSERT(strcmp(w[1].sha256, g[w[1].match].sha256) != 0);
	T_EQ_INT(w[2].match, 2);
}

/* a copy of a appended: the copy is extra, the original keeps its pair. */
static void test_pair_extra_copy(void)
{
	struct mf_verify_piece w[4], g[5];
	ledger(w);
	ledger(g);
	piece(&g[4], 5, "aa");
	mf_verify_pair(w, 4, g, 5);
	T_EQ_INT(w[0].match, 0);
	T_EQ_INT(g[4].match, -1);
	for (int i = 0; i < 4; i++)
		T_EQ_INT(g[i].match, i);
}

/* A ledger without digests pairs by position only. */
static void test_pair_no_digest(void)
{
	struct mf_verify_piece w[2], g[1];
	piece(&w[0], 1, "");
	piece(&w[1], 2, "");
	piece(&g[0], 2, "zz");
	mf_verify_pair(w, 2, g, 1);
	T_EQ_INT(w[0].match, -1);
	T_EQ_INT(w[1].match, 0);
	T_EQ_INT(g[0].match, 1);
}

static void test_pair_empty(void)
{
	struct mf_verify_piece w[1];
	piece(&w[0], 1, "aa");
	mf_verify_pair(w, 1, NULL, 0);
	T_EQ_INT(w[0].match, -1);
	mf_verify_pair(NULL, 0, NULL, 0);
}

const struct t_case t_verify[] = {
	{ "verify_pair_same", test_pair_same },
	{ "verify_pair_removed", test_pair_removed },
	{ "verify_pair_changed", test_pair_changed },
	{ "verify_pair_extra_copy", test_pair_extra_copy },
	{ "verify_pair_no_digest", test_pair_no_digest },
	{ "verify_pair_empty", test_pair_empty },
	{ NULL, NULL }
};
