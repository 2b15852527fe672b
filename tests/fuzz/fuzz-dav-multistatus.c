/* SPDX-License-Identifier: MIT */
/* fuzz-dav-multistatus.c: a 207 Multi-Status body from a WebDAV server,
 * through the parser the CardDAV/CalDAV exporters and verify use (libxml2,
 * no network, no entities), then each item's data through the content-line
 * reader as verify would. */
#include "exporters/dav/dav.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_dav_ms ms;
	struct mf_diag d;

	if (size > 200000)
		return 0;
	if (mf_dav_ms_parse(&ms, (const char *)data, size, &d) != MF_OK)
		return 0;
	for (size_t i = 0; i < ms.n; i++) {
		const struct mf_dav_item *it = &ms.items[i];
		struct mf_cl_doc doc;
		if (!it->href)
			__builtin_trap();
		if (it->data && mf_cl_parse(&doc, it->data, it->data_len, 10000, &d) == MF_OK)
			mf_cl_release(&doc);
	}
	mf_dav_ms_release(&ms);
	return 0;
}
