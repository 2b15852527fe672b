/* SPDX-License-Identifier: MIT */
/* fuzz-msmail-dir.c: MSMX.TXT, users.csv and the IMPORT/GIMPORT directory
 * lines (importers/msmail/msmail_dir.c). */
#include "importers/msmail/msmail_dir.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi;

static void inside(struct mf_span s)
{
	if (s.len && (s.p < lo || s.p + s.len > hi))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_msmx mx;
	struct mf_msusers u;
	struct mf_msuser row;
	struct mf_msdir d;
	struct mf_msdir_line l;
	int n = 0;

	if (size > 1 << 20)
		return 0;
	lo = data;
	hi = data + size;
	mf_msmx_parse(&mx, data, size, NULL, NULL);
	if (!mx.source_codepage[0] || !mx.timezone[0] || !mx.newline[0])
		__builtin_trap();

	mf_msusers_init(&u, data, size, NULL, NULL);
	while (mf_msusers_next(&u, &row) == MF_OK && ++n < 100000)
		if (!row.mailbox || !row.full_name || !row.mail_dir || !row.calendar)
			__builtin_trap();
	mf_msusers_release(&u);

	mf_msdir_init(&d, data, size, NULL, NULL);
	n = 0;
	while (mf_msdir_next(&d, &l) == MF_OK && ++n < 100000) {
		inside(l.name);
		inside(l.address);
		inside(l.raw);
		inside(l.templ);
	}
	return 0;
}
