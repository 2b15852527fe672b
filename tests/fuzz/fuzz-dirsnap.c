/* SPDX-License-Identifier: MIT */
/* fuzz-dirsnap.c: the target directory snapshot's CSV records and proxy
 * addresses (core/csvrd.c, mf_proxy_parse / mf_proxy_key in engine/plan.c). */
#include "core/csvrd.h"
#include "engine/plan.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_rd r;
	struct mf_csv_rec rec;
	struct mf_diag d;
	struct mf_buf key;
	int rc, guard = 0;

	if (size > 1 << 18)
		return 0;
	mf_rd_init(&r, data, size);
	mf_csv_rec_init(&rec, 4096, 32);
	mf_buf_init(&key, 1 << 16);
	while ((rc = mf_csv_next(&r, &rec, "fuzz.csv", &d)) != MF_DONE) {
		/* every call consumes input: no endless loop on damage */
		if (++guard > (int)size + 2)
			__builtin_trap();
		if (rc < 0)
			continue;
		if (rec.offset > size || rec.nfields > 32)
			__builtin_trap();
		for (size_t i = 0; i < rec.nfields; i++) {
			const char *f = mf_csv_field(&rec, i);
			size_t len = strlen(f);
			struct mf_proxy p;
			/* each ';'-separated piece as a proxy address */
			for (size_t a = 0, b = 0; b <= len; b++) {
				if (b < len && f[b] != ';')
					continue;
				if (mf_proxy_parse(&p, f + a, b - a) == MF_OK) {
					if (p.address < f + a || p.address + p.address_len > f + b)
						__builtin_trap();
					mf_buf_reset(&key);
					mf_proxy_key(&key, &p, 0);
					mf_buf_reset(&key);
					mf_proxy_key(&key, &p, 1);
				}
				a = b + 1;
			}
		}
	}
	mf_buf_release(&key);
	mf_csv_rec_release(&rec);
	return 0;
}
