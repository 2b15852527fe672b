/* SPDX-License-Identifier: MIT */
/*
 * msmail_common.h: what the MS Mail bundle parsers share.
 *
 * The parsers (msmail_mmff.c, msmail_dir.c, schedplus.c) are pure functions
 * over bytes: they never touch SQLite, never print, keep no global state.
 * What they had to guess, repair or skip they report through a callback of
 * this type; the driver (msmail.c) turns each report into a problem row with
 * the file's name, and the fuzz targets ignore them.
 *
 * `code` is a stable problem code with static storage ("msmail.mmff-..."),
 * listed in docs/problems.md; `offset` is the byte offset in the parsed
 * input (MF_NO_OFFSET when none); `text` is one line of English, valid only
 * during the call.
 */
#ifndef MF_IMPORTERS_MSMAIL_COMMON_H
#define MF_IMPORTERS_MSMAIL_COMMON_H

#include <stdint.h>
#include "core/mf.h"
#include "core/model.h"

typedef void (*mf_msm_problem_fn)(void *ctx, enum mf_severity sev, const char *code,
				  uint64_t offset, const char *text);

/* Report through fn (which may be NULL) with printf-style text. */
void mf_msm_report(mf_msm_problem_fn fn, void *ctx, enum mf_severity sev,
		   const char *code, uint64_t offset, const char *fmt, ...)
	MF_ATTR_PRINTF(6, 7);

#endif
