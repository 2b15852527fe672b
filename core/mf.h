/* SPDX-License-Identifier: MIT */
/*
 * mf.h: the few things every part of mailferry shares: status codes, the
 * diagnostic record, allocation helpers that abort on exhaustion, and the
 * attribute macros.
 *
 * Conventions (see docs/hacking.md):
 *  - Functions return MF_OK (0) on success, a positive non-error (MF_DONE,
 *    MF_SKIP) where the caller must act differently, or a negative MF_E*.
 *  - The function that detects a failure fills the struct mf_diag it was
 *    given; callers pass it on and never rewrite it.
 *  - Out-parameters come first and end in `out`.
 *  - x_new() returns owned memory; x_free(&p) frees and sets p to NULL and
 *    accepts NULL; x_init()/x_release() work on caller-provided structs.
 *  - Allocation failure aborts the process (mf_xmalloc and friends), so
 *    lengths read from input are checked before they are used to allocate.
 */
#ifndef MF_CORE_MF_H
#define MF_CORE_MF_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define MF_ATTR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MF_ATTR_NORETURN __attribute__((noreturn))
#define MF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum mf_status {
	MF_OK = 0,
	MF_DONE = 1,       /* end of input: nothing more to read */
	MF_SKIP = 2,       /* this unit was damaged and skipped; go on */
	MF_ERR = -1,       /* any other failure */
	MF_EFORMAT = -2,   /* input does not follow its format */
	MF_ECHARSET = -3,  /* unknown code page or unconvertible text */
	MF_ETOOBIG = -4,   /* a length or count over its bound */
	MF_EIO = -5,       /* a file or socket operation failed */
	MF_EREMOTE = -6,   /* the target refused */
	MF_ESTORE = -7,    /* the staging database failed */
	MF_EUSAGE = -8,    /* the caller asked for something impossible */
	MF_ENOTFOUND = -9, /* a looked-up object does not exist */
	MF_EBUSY = -10,    /* held by someone else (a lease, a lock) */
};

/* A short English name for a status code (static storage). */
const char *mf_strerror(int code);

/*
 * A diagnostic: filled by the function that detects a failure.  `file` and
 * `offset` locate the failure in the input when there is one (offset is
 * UINT64_MAX when unknown).  `sys_errno` keeps errno for I/O failures.
 */
struct mf_diag {
	int code;
	int sys_errno;
	uint64_t offset;
	char file[512];
	char msg[512];
};

#define MF_NO_OFFSET UINT64_MAX

/* Reset a diag to "no error". */
void mf_diag_clear(struct mf_diag *d);

/*
 * Record a failure in d (when d is not NULL) and return code, so
 * `return mf_diag_set(d, MF_EFORMAT, file, off, "...")` is idiomatic.
 * file may be NULL; off may be MF_NO_OFFSET.
 */
int mf_diag_set(struct mf_diag *d, int code, const char *file, uint64_t off,
		const char *fmt, ...) MF_ATTR_PRINTF(5, 6);

/* As mf_diag_set, appending ": strerror(errno)" and keeping errno. */
int mf_diag_errno(struct mf_diag *d, int code, const char *file,
		  const char *fmt, ...) MF_ATTR_PRINTF(4, 5);

/* Format d as one line "file: offset N: msg" into buf (always terminated). */
const char *mf_diag_format(const struct mf_diag *d, char *buf, size_t len);

/* Allocation that never returns NULL: on exhaustion the process aborts. */
void *mf_xmalloc(size_t n);
void *mf_xcalloc(size_t n, size_t size);
void *mf_xrealloc(void *p, size_t n);
/* Resize an array of nmemb elements of size bytes; aborts on overflow. */
void *mf_xreallocarray(void *p, size_t nmemb, size_t size);
char *mf_xstrdup(const char *s);
char *mf_xstrndup(const char *s, size_t n);
void *mf_xmemdup(const void *p, size_t n);
char *mf_xasprintf(const char *fmt, ...) MF_ATTR_PRINTF(1, 2);
MF_ATTR_NORETURN void mf_oom(void);

/* free(*pp) and set *pp to NULL; accepts NULL. */
#define mf_free(pp) do { free(*(pp)); *(pp) = NULL; } while (0)

/* Case-insensitive ASCII comparison helpers (locale independent). */
int mf_strcaseeq(const char *a, const char *b);
int mf_strncaseeq(const char *a, const char *b, size_t n);
/* Does [p, p+len) start with the ASCII word w, ignoring case? */
int mf_mem_startswith_ci(const unsigned char *p, size_t len, const char *w);

/* Parse a decimal unsigned integer from [p, p+len); all bytes must be digits.
 * Fails with MF_EFORMAT on empty or non-digit input, MF_ETOOBIG on overflow
 * of max. */
int mf_parse_u64(uint64_t *out, const char *p, size_t len, uint64_t max);

/* Current time in seconds since the epoch (wall clock). */
int64_t mf_now(void);

#endif
