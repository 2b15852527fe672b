/* SPDX-License-Identifier: MIT */
/* fuzz-ccmail-dir.c: the text files of a cc:Mail export set
 * (importers/ccmail/ccmail_dir.c): manifest, USERS.CSV, directory / list /
 * private directory records.  The same bytes go through all three. */
#include "importers/ccmail/ccmail_dir.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccx_manifest mf;
	struct ccx_csv csv;
	struct ccx_csv_row row;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena a = MF_ARENA_INIT;
	int n = 0;

	if (size > 1 << 20)
		return 0;
	lo = data;
	hi = data + size;
	ccx_manifest_parse(&mf, data, size, problem, NULL);
	if (strlen(mf.postoffice) >= CCX_VALUE_MAX || strlen(mf.timezone) >= CCX_VALUE_MAX)
		__builtin_trap();
	ccx_csv_init(&csv, data, size, problem, NULL);
	while (ccx_csv_next(&csv, &row, &a) == MF_OK) {
		for (size_t i = 0; i < row.n_fields; i++)
			if (!row.fields[i] || strlen(row.fields[i]) > size)
				__builtin_trap();
		if (++n > 1000000)
			__builtin_trap();
	}
	mf_arena_reset(&a);
	ccx_recs_init(&recs, data, size, "directory", problem, NULL);
	while (ccx_recs_next(&recs, &rec, &a) == MF_OK) {
		inside(rec.raw);
		for (size_t i = 0; i < rec.n_fields; i++) {
			inside(rec.fields[i].label);
			inside(rec.fields[i].value);
		}
		ccx_record_get(&rec, "Name");
		mf_arena_reset(&a);
		if (++n > 2000000)
			__builtin_trap();
	}
	mf_arena_release(&a);
	return 0;
}
