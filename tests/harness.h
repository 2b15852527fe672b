/* SPDX-License-Identifier: MIT */
/*
 * harness.h: a small unit-test harness.
 *
 * A test file defines `const struct t_case t_<file>[]` (NULL-terminated) and
 * registers it in tests/unit/main.c.  Each case is a function; the T_*
 * macros record a failure with file:line and both values and let the case
 * continue.  The runner prints "ok - name" or "FAIL - name" per case and
 * ends with exactly one line "N passed, N failed" (exit status 1 on any
 * failure).  `run-unit -s SUBSTRING` runs the matching cases only.
 */
#ifndef MF_TESTS_HARNESS_H
#define MF_TESTS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct t_case {
	const char *name;
	void (*fn)(void);
};

void t_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Directory for the current case's files (created fresh, removed after). */
const char *t_tmpdir(void);
/* Path of a file under tests/ (the harness knows the source tree). */
const char *t_srcpath(const char *rel);

#define T_ASSERT(e) do { if (!(e)) t_fail(__FILE__, __LINE__, "assertion failed: %s", #e); } while (0)
#define T_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
	if (a_ != b_) t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); } while (0)
#define T_EQ_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
		a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define T_EQ_MEM(a, alen, b, blen) do { size_t al_ = (alen), bl_ = (blen); \
	if (al_ != bl_ || memcmp((a), (b), al_) != 0) t_fail(__FILE__, __LINE__, \
		"%s (%zu bytes) differs from %s (%zu bytes)", #a, al_, #b, bl_); } while (0)

#endif
