/* SPDX-License-Identifier: MIT */
/* fuzz-addr.c: cc:Mail, MS Mail and typed address splitting. */
#include "core/addr.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *data, size_t size, struct mf_span s)
{
	if (s.len && (s.p < data || s.p + s.len > data + size))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct mf_ccaddr a;
	struct mf_span parts[16];
	struct mf_typedaddr t;
	struct mf_msaddr m;
	size_t n = 0;
	char canon[24];

	if (size > 1 << 16)
		return 0;
	mf_ccaddr_parse(&a, s, size);
	inside(data, size, a.name);
	inside(data, size, a.po);
	mf_ccaddr_split(parts, 16, &n, s, size);
	for (size_t i = 0; i < n && i < 16; i++) {
		inside(data, size, parts[i]);
		mf_ccaddr_parse(&a, (const char *)parts[i].p, parts[i].len);
	}
	if (mf_typedaddr_parse(&t, s, size) == MF_OK) {
		inside(data, size, t.type);
		inside(data, size, t.address);
		mf_addrtype_canonical(canon, (const char *)t.type.p, t.type.len);
		mf_msaddr_parse(&m, (const char *)t.address.p, t.address.len);
	}
	if (mf_msaddr_parse(&m, s, size) == MF_OK) {
		inside(data, size, m.network);
		inside(data, size, m.mailbox);
	}
	return 0;
}
