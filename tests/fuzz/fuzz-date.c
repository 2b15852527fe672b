/* SPDX-License-Identifier: MIT */
/* fuzz-date.c: locale date parsing in every field order, then the zone
 * conversion of whatever parsed. */
#include "core/date.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_civil c;
	unsigned fl;
	int64_t t;
	char b14[15], r[40];

	if (size > 256)
		return 0;
	for (int order = 0; order < 3; order++) {
		if (mf_date_parse(&c, &fl, (const char *)data, size, (enum mf_date_order)order) == MF_OK) {
			if (!mf_civil_valid(&c))
				__builtin_trap();
			mf_civil_format14(b14, &c);
			if (mf_tz_local_to_utc(&t, "Europe/Stockholm", &c) == MF_OK)
				mf_format_rfc5322(r, t, "Europe/Stockholm");
		}
	}
	mf_time_parse(&c, (const char *)data, size);
	return 0;
}
