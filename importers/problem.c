/* SPDX-License-Identifier: MIT */
/* problem.c: see problem.h. */
#include "importers/problem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mf_problem_report(mf_problem_fn *fn, void *ctx, enum mf_severity sev,
		       const char *code, uint64_t offset, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fn(ctx, sev, code, offset, text);
}

void mf_pending_add(struct mf_pending *pd, enum mf_severity sev, const char *code,
		    uint64_t offset, const char *text)
{
	if (pd->n == pd->cap) {
		pd->cap = pd->cap ? pd->cap * 2 : 16;
		pd->p = mf_xreallocarray(pd->p, pd->cap, sizeof(*pd->p));
	}
	pd->p[pd->n].sev = sev;
	pd->p[pd->n].code = code;
	pd->p[pd->n].offset = offset;
	pd->p[pd->n].text = mf_xstrdup(text);
	pd->n++;
}

void mf_pending_fn(void *ctx, enum mf_severity sev, const char *code, uint64_t offset,
		   const char *text)
{
	mf_pending_add(ctx, sev, code, offset, text);
}

void mf_pending_clear(struct mf_pending *pd)
{
	for (size_t i = 0; i < pd->n; i++)
		free(pd->p[i].text);
	pd->n = 0;
}

void mf_pending_release(struct mf_pending *pd)
{
	mf_pending_clear(pd);
	free(pd->p);
	memset(pd, 0, sizeof(*pd));
}
