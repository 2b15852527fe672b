/* SPDX-License-Identifier: MIT */
/* jobfile.c: the batch job file parser (see jobfile.h and docs/batch.md). */
#include "core/jobfile.h"
#include "core/hash.h"
#include "core/rd.h"

#include <stdlib.h>
#include <string.h>

const char *const mf_jobfile_keys[] = {
	"source", "path", "db", "directory_snapshot", "alias_map", "target",
	"report_html", "report_json",
	NULL
};

static const char *known_key(const char *const *keys, struct mf_span k)
{
	for (size_t i = 0; keys[i]; i++)
		if (strlen(keys[i]) == k.len && !memcmp(keys[i], k.p, k.len))
			return keys[i];
	return NULL;
}

static void section_release(struct mf_job_section *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->kv[i].value);
	free(s->kv);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void mf_jobfile_release(struct mf_jobfile *jf)
{
	section_release(&jf->defaults);
	for (size_t i = 0; i < jf->n_jobs; i++)
		section_release(&jf->jobs[i]);
	free(jf->jobs);
	memset(jf, 0, sizeof(*jf));
}

static int name_ok(struct mf_span s)
{
	if (s.len == 0 || s.len > MF_JOBFILE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = s.p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int span_is(struct mf_span s, const char *w)
{
	return s.len == strlen(w) && !memcmp(s.p, w, s.len);
}

int mf_jobfile_parse(struct mf_jobfile *out, const char *file, const unsigned char *p,
		     size_t len, struct mf_diag *diag)
{
	return mf_jobfile_parse_keys(out, file, p, len, mf_jobfile_keys, diag);
}

int mf_jobfile_parse_keys(struct mf_jobfile *out, const char *file, const unsigned char *p,
			  size_t len, const char *const *keys, struct mf_diag *diag)
{
	struct mf_rd r;
	struct mf_span line;
	struct mf_job_section *cur = NULL;
	uint32_t lineno = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > MF_JOBFILE_MAX)
		return mf_diag_set(diag, MF_ETOOBIG, file, MF_NO_OFFSET,
				   "the job file is larger than %u bytes", MF_JOBFILE_MAX);
	if (memchr(p, '\0', len))
		return mf_diag_set(diag, MF_EFORMAT, file,
				   (uint64_t)((const unsigned char *)memchr(p, '\0', len) - p),
				   "a NUL byte: this is not a text file");
	mf_rd_init(&r, p, len);
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		mf_rd_seek(&r, 3);
	for (;;) {
		uint64_t off = mf_rd_offset(&r);
		struct mf_span t;
		rc = mf_rd_line(&r, &line, NULL, MF_EOLS_LF_CRLF, MF_JOBFILE_LINE_MAX);
		if (rc == MF_DONE)
			break;
		lineno++;
		if (rc == MF_ETOOBIG) {
			rc = mf_diag_set(diag, MF_ETOOBIG, file, off,
					 "line %u: longer than %d bytes", lineno, MF_JOBFILE_LINE_MAX);
			goto fail;
		}
		t = mf_span_trim(line);
		if (t.len == 0 || t.p[0] == '#' || t.p[0] == ';')
			continue;
		if (t.p[0] == '[') {
			struct mf_span name;
			if (t.p[t.len - 1] != ']' || t.len < 2) {
				rc = mf_diag_set(diag, MF_EFORMAT, file, off,
						 "line %u: a section header is '[name]'", lineno);
				goto fail;
			}
			name.p = t.p + 1;
			name.len = t.len - 2;
			name = mf_span_trim(name);
			if (!name_ok(name)) {
				rc = mf_diag_set(diag, MF_EFORMAT, file, off,
						 "line %u: a job name is 1 to %d letters, digits, '.', '_' or '-'",
						 lineno, MF_JOBFILE_NAME_MAX);
				goto fail;
			}
			if (span_is(name, "defaults")) {
				if (out->defaults.name) {
					rc = mf_diag_set(diag, MF_EFORMAT, file, off,
							 "line %u: a second [defaults] section", lineno);
					goto fail;
				}
				cur = &out->defaults;
			} else {
				for (size_t i = 0; i < out->n_jobs; i++)
					if (span_is(name, out->jobs[i].name)) {
						rc = mf_diag_set(diag, MF_EFORMAT, file, off,
								 "line %u: job [%s] was already defined on line %u",
								 lineno, out->jobs[i].name, out->jobs[i].line);
						goto fail;
					}
				if (out->n_jobs >= MF_JOBFILE_JOBS_MAX) {
					rc = mf_diag_set(diag, MF_ETOOBIG, file, off,
							 "line %u: more than %d jobs", lineno, MF_JOBFILE_JOBS_MAX);
					goto fail;
				}
				out->jobs = mf_xreallocarray(out->jobs, out->n_jobs + 1, sizeof(*out->jobs));
				cur = &out->jobs[out->n_jobs++];
				memset(cur, 0, sizeof(*cur));
			}
			cur->name = mf_span_dup(name);
			cur->line = lineno;
			cur->offset = off;
			continue;
		}
		{
			const unsigned char *eq = memchr(t.p, '=', t.len);
			struct mf_span k, v;
			const char *key;
			if (!eq) {
				rc = mf_diag_set(diag, MF_EFORMAT, file, off,
						 "line %u: expected 'key = value', '[job]' or a comment", lineno);
				goto fail;
			}
			k.p = t.p;
			k.len = (size_t)(eq - t.p);
			k = mf_span_trim(k);
			v.p = eq + 1;
			v.len = (size_t)(t.p + t.len - (eq + 1));
			v = mf_span_trim(v);
			if (!cur) {
				rc = mf_diag_set(diag, MF_EFORMAT, file, off,
						 "line %u: a key before the first [job] section", lineno);
				goto fail;
			}
			key = known_key(keys, k);
			if (!key) {
				char shown[48];
				size_t n = k.len < sizeof(shown) - 1 ? k.len : sizeof(shown) - 1;
				for (size_t i = 0; i < n; i++)
					shown[i] = (k.p[i] >= 0x20 && k.p[i] < 0x7f) ? (char)k.p[i] : '?';
				shown[n] = '\0';
				rc = mf_diag_set(diag, MF_EFORMAT, file, off,
						 "line %u: unknown key '%s' (see docs/batch.md)", lineno, shown);
				goto fail;
			}
			for (size_t i = 0; i < cur->n; i++)
				if (cur->kv[i].key == key) {
					rc = mf_diag_set(diag, MF_EFORMAT, file, off,
							 "line %u: '%s' was already set on line %u", lineno,
							 key, cur->kv[i].line);
					goto fail;
				}
			cur->kv = mf_xreallocarray(cur->kv, cur->n + 1, sizeof(*cur->kv));
			cur->kv[cur->n].key = key;
			cur->kv[cur->n].value = mf_span_dup(v);
			cur->kv[cur->n].line = lineno;
			cur->kv[cur->n].offset = off;
			cur->n++;
		}
	}
	return MF_OK;
fail:
	mf_jobfile_release(out);
	return rc;
}

const struct mf_job_kv *mf_jobfile_get(const struct mf_jobfile *jf,
				       const struct mf_job_section *job, const char *key)
{
	for (size_t i = 0; i < job->n; i++)
		if (!strcmp(job->kv[i].key, key))
			return &job->kv[i];
	for (size_t i = 0; i < jf->defaults.n; i++)
		if (!strcmp(jf->defaults.kv[i].key, key))
			return &jf->defaults.kv[i];
	return NULL;
}

uint64_t mf_shard_hash(const char *source_address)
{
	char hex[MF_SHA256_HEX];
	char *low = mf_xstrdup(source_address ? source_address : "");
	uint64_t h = 0;

	for (char *c = low; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	mf_sha256_hex(hex, low, strlen(low));
	free(low);
	for (int i = 0; i < 16; i++) {
		char c = hex[i];
		h = (h << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return h;
}
