/* SPDX-License-Identifier: MIT */
/* fuzz-msmail-mmff.c: the MMFF message reader, the textized header and the
 * PRIORITY: classification (importers/msmail/msmail_mmff.c). */
#include "importers/msmail/msmail_mmff.h"

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
	struct mf_mmff p;
	struct mf_mmff_msg m;
	int rc, n = 0;
	uint64_t last = 0;

	if (size > 1 << 20)
		return 0;
	lo = data;
	hi = data + size;
	mf_mmff_init(&p, data, size, NULL, NULL);
	while ((rc = mf_mmff_next(&p, &m)) != MF_DONE) {
		/* always moving forward, never past the end */
		if (m.offset < last || m.offset + m.length > size || (rc == MF_SKIP && !m.length))
			__builtin_trap();
		last = m.offset + (m.length ? 1 : 0);
		if (rc == MF_OK) {
			struct mf_textized t;
			int level;
			inside(m.raw);
			inside(m.header);
			inside(m.body);
			inside(m.subject);
			for (size_t i = 0; i < m.n_rcpt; i++)
				inside(m.rcpt[i].value);
			for (size_t i = 0; i < m.n_att; i++) {
				inside(m.att[i].name);
				inside(m.att[i].data);
				if (m.att[i].data.len != m.att[i].size)
					__builtin_trap();
			}
			for (size_t i = 0; i < m.n_ext; i++)
				inside(m.ext[i].value);
			mf_mmff_priority(m.priority, &level);
			if (mf_textized_parse(&t, m.body) == 1) {
				if (t.header_len > m.body.len)
					__builtin_trap();
				for (int f = 0; f <= MF_TXH_ATTACHMENTS; f++)
					inside(t.field[f]);
			}
		}
		if (++n > 100000)
			break;
	}
	mf_mmff_release(&p);
	{
		struct mf_span l = { data, size > 64 ? 64 : size };
		mf_textized_label(l);
	}
	return 0;
}
