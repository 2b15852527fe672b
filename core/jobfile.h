/* SPDX-License-Identifier: MIT */
/*
 * jobfile.h: the batch job file of `mailferry batch` (docs/batch.md): an
 * INI-style text file, one section per job.
 *
 *     # comment          (also '; comment'; only at the start of a line)
 *     [defaults]         keys every job takes unless it sets them itself
 *     target = maildir
 *
 *     [sales01]          a job: its name is [A-Za-z0-9._-], 1..64 bytes
 *     source = ccmail
 *     path = /exports/SALES01
 *     db = /stage/sales01.db
 *
 * UTF-8 (a leading byte order mark is skipped), LF or CR LF line ends,
 * lines of at most MF_JOBFILE_LINE_MAX bytes, at most MF_JOBFILE_MAX bytes
 * in all, MF_JOBFILE_JOBS_MAX jobs.  `key = value`: the key is one of the
 * known keys (the job's own, mf_jobfile_keys, and the keys of the plugins'
 * and drivers' options, engine/options.h, which the caller passes), the value is the rest of the line with the
 * blanks around it removed (no quoting, no continuation lines; an empty
 * value unsets a default).  A key given twice in one section, an unknown
 * key, a key outside a section, a section given twice, a NUL byte or a
 * malformed line is an error naming the file, the line and its byte offset.
 *
 * The parser only reads the file's structure; what the values mean is
 * checked by the batch command (cli/cmd_batch.c), with the same positions.
 */
#ifndef MF_CORE_JOBFILE_H
#define MF_CORE_JOBFILE_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"

#define MF_JOBFILE_MAX (1u << 20)
#define MF_JOBFILE_LINE_MAX 4096
#define MF_JOBFILE_JOBS_MAX 10000
#define MF_JOBFILE_NAME_MAX 64

struct mf_job_kv {
	const char *key;        /* one of the known keys (the caller's strings) */
	char *value;            /* owned */
	uint32_t line;          /* 1-based */
	uint64_t offset;        /* of the line's first byte */
};

struct mf_job_section {
	char *name;             /* owned */
	uint32_t line;
	uint64_t offset;
	struct mf_job_kv *kv;   /* owned, in file order */
	size_t n;
};

struct mf_jobfile {
	struct mf_job_section defaults;   /* name "defaults"; n 0 when absent */
	struct mf_job_section *jobs;      /* owned, in file order */
	size_t n_jobs;
};

/* The job's own keys (source, path, db, directory_snapshot, alias_map,
 * target, report_html, report_json), NULL-terminated. */
extern const char *const mf_jobfile_keys[];

/*
 * Parse p[0..len) (the contents of file, which names the input in errors).
 * On MF_OK *out holds the jobs (release with mf_jobfile_release); on error
 * (MF_EFORMAT, MF_ETOOBIG) diag names the file, the byte offset and the
 * line, and *out is empty.
 */
int mf_jobfile_parse(struct mf_jobfile *out, const char *file, const unsigned char *p,
		     size_t len, struct mf_diag *diag);
/* The same with keys (NULL-terminated; they must outlive *out) known
 * instead of mf_jobfile_keys. */
int mf_jobfile_parse_keys(struct mf_jobfile *out, const char *file, const unsigned char *p,
			  size_t len, const char *const *keys, struct mf_diag *diag);
void mf_jobfile_release(struct mf_jobfile *jf);

/* The entry of key in job, else in the defaults, else NULL. */
const struct mf_job_kv *mf_jobfile_get(const struct mf_jobfile *jf,
				       const struct mf_job_section *job, const char *key);

/*
 * The stable shard hash of a mailbox (`mailferry batch --shard I/N`): the
 * first 8 bytes, big-endian, of the SHA-256 of its source address with
 * ASCII letters in lower case ("ccmail:lindqvist, anna at sales01"; other
 * bytes as they are).  The mailbox belongs to shard hash % N (0-based).
 * The same on every machine and in every staging copy: it depends on
 * nothing but the address.  Check one with
 *     printf %s 'ccmail:lindqvist, anna at sales01' | sha256sum | cut -c1-16
 */
uint64_t mf_shard_hash(const char *source_address);

#endif
