/* SPDX-License-Identifier: MIT */
/*
 * problem.h: how the importers' parsers report what they had to guess,
 * repair or skip, and where an importer holds those reports until it knows
 * which row they belong to.
 *
 * The parsers (importers/ccmail/ccmail_msg.c, ccmail_dir.c,
 * importers/msmail/msmail_mmff.c, msmail_dir.c, schedplus.c) are pure
 * functions over bytes: no SQLite, no printing, no globals.  They report
 * through a callback of type mf_problem_fn; the importer turns each report
 * into a problem row with the file's name (importers/toolkit.h), the fuzz
 * targets ignore them.
 *
 * `code` is a stable problem code with static storage ("ccmail.size-wrong",
 * "msmail.mmff-..."), listed in docs/problems.md; `offset` is the byte
 * offset in the parsed input (MF_NO_OFFSET when none); `text` is one line of
 * English, valid only during the call.
 */
#ifndef MF_IMPORTERS_PROBLEM_H
#define MF_IMPORTERS_PROBLEM_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"
#include "core/model.h"

typedef void mf_problem_fn(void *ctx, enum mf_severity sev, const char *code,
			   uint64_t offset, const char *text);

/* Report through fn (which may be NULL) with printf-style text (at most
 * 511 bytes of it). */
void mf_problem_report(mf_problem_fn *fn, void *ctx, enum mf_severity sev,
		       const char *code, uint64_t offset, const char *fmt, ...)
	MF_ATTR_PRINTF(6, 7);

/* Reports held until the row they are about exists (a message is staged or
 * skipped as a whole, its problems with it).  Zeroed = empty. */
struct mf_pending_problem {
	enum mf_severity sev;
	const char *code;           /* static */
	uint64_t offset;
	char *text;                 /* owned */
};

struct mf_pending {
	struct mf_pending_problem *p;
	size_t n, cap;
};

/* Hold one report (text copied). */
void mf_pending_add(struct mf_pending *pd, enum mf_severity sev, const char *code,
		    uint64_t offset, const char *text);
/* An mf_problem_fn whose ctx is a struct mf_pending. */
mf_problem_fn mf_pending_fn;
/* Drop what is held. */
void mf_pending_clear(struct mf_pending *pd);
/* Drop what is held and free the buffer. */
void mf_pending_release(struct mf_pending *pd);

#endif
