/* SPDX-License-Identifier: MIT */
/* fuzz-ccmail-msg.c: the cc:Mail message export parser (importers/ccmail/ccmail_msg.c):
 * every message, its items, nested messages, file titles and MacBinary II. */
#include "importers/ccmail/ccmail_msg.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi;

static void inside(struct mf_span s)
{
	if (s.len && (s.p < lo || s.p + s.len > hi))
		__builtin_trap();
}

static void problem(void *payload, enum mf_severity sev, const char *code, uint64_t off,
		    const char *text)
{
	(void)payload;
	(void)sev;
	if (!code || !text || off > (uint64_t)(hi - lo))
		__builtin_trap();
}

static void walk(const struct ccm_message *m, int depth)
{
	if (depth > CCM_MAX_DEPTH + 1 || m->end < m->offset || m->end > (uint64_t)(hi - lo))
		__builtin_trap();
	inside(m->raw_header);
	for (size_t i = 0; i < m->n_headers; i++) {
		inside(m->headers[i].keyword);
		inside(m->headers[i].value);
		inside(m->headers[i].raw_value);
	}
	for (size_t i = 0; i < m->n_items; i++) {
		const struct ccm_item *it = &m->items[i];
		struct ccm_macbin mb;
		inside(it->title);
		inside(it->payload);
		inside(ccm_title_filename(it->title));
		if (ccm_macbin_decode(&mb, it->payload)) {
			inside(mb.data);
			inside(mb.rsrc);
			inside(mb.name);
		}
		if (it->nested)
			walk(it->nested, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccm_parser p;
	struct ccm_message m;
	struct mf_arena a = MF_ARENA_INIT;
	int rc, n = 0;

	if (size > 1 << 20)
		return 0;
	lo = data;
	hi = data + size;
	ccm_parser_init(&p, data, size, problem, NULL);
	while ((rc = ccm_parser_next(&p, &m, &a)) != MF_DONE) {
		if (rc != MF_OK && rc != MF_SKIP)
			__builtin_trap();
		if (rc == MF_OK)
			walk(&m, 0);
		mf_arena_reset(&a);
		if (++n > 100000) /* every call makes progress */
			__builtin_trap();
	}
	mf_arena_release(&a);
	return 0;
}
