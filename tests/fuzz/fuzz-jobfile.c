/* SPDX-License-Identifier: MIT */
/* fuzz-jobfile.c: the batch job file parser (core/jobfile.c), then every
 * lookup the batch command makes and the shard hash of every value. */
#include "core/jobfile.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_jobfile jf;
	struct mf_diag d;

	mf_diag_clear(&d);
	if (mf_jobfile_parse(&jf, "fuzz.ini", data, size, &d) != MF_OK) {
		if (d.code == MF_OK)
			__builtin_trap();   /* an error must say what it is */
		return 0;
	}
	for (size_t i = 0; i < jf.n_jobs; i++) {
		const struct mf_job_section *s = &jf.jobs[i];
		if (!s->name || !*s->name || strlen(s->name) > MF_JOBFILE_NAME_MAX)
			__builtin_trap();
		for (size_t k = 0; mf_jobfile_keys[k]; k++) {
			const struct mf_job_kv *kv = mf_jobfile_get(&jf, s, mf_jobfile_keys[k]);
			if (kv && (!kv->value || kv->line == 0 || kv->offset >= size))
				__builtin_trap();
			if (kv)
				(void)mf_shard_hash(kv->value);
		}
	}
	mf_jobfile_release(&jf);
	return 0;
}
