/* SPDX-License-Identifier: MIT */
/* fuzz-jobfile.c: the batch job file parser (core/jobfile.c), then every
 * lookup the batch command makes and the shard hash of every value. */
#include "core/jobfile.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keys of the job file as the batch command knows them (the job's own
 * and those of the plugins' options). */
static const char *const keys[] = {
	"source", "path", "db", "source_codepage", "source_timezone", "date_order",
	"keep_system_folders", "directory_snapshot", "alias_map",
	"target", "out", "url", "admin", "password_file", "oauth2_token_file",
	"login_format", "starttls", "tls_verify", "public_folder", "flag_urgent",
	"codepage", "directory", "keep_raw_headers",
	"mailboxes", "mailboxes_from", "since", "until", "no_mail", "folders",
	"skip_folders", "jobs", "lease_timeout", "force", "wait", "report_html", "report_json",
	NULL
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_jobfile jf;
	struct mf_diag d;

	mf_diag_clear(&d);
	if (mf_jobfile_parse_keys(&jf, "fuzz.ini", data, size, keys, &d) != MF_OK) {
		if (d.code == MF_OK)
			__builtin_trap();   /* an error must say what it is */
		return 0;
	}
	for (size_t i = 0; i < jf.n_jobs; i++) {
		const struct mf_job_section *s = &jf.jobs[i];
		if (!s->name || !*s->name || strlen(s->name) > MF_JOBFILE_NAME_MAX)
			__builtin_trap();
		for (size_t k = 0; keys[k]; k++) {
			const struct mf_job_kv *kv = mf_jobfile_get(&jf, s, keys[k]);
			if (kv && (!kv->value || kv->line == 0 || kv->offset >= size))
				__builtin_trap();
			if (kv)
				(void)mf_shard_hash(kv->value);
		}
	}
	mf_jobfile_release(&jf);
	return 0;
}
