/* SPDX-License-Identifier: MIT */
/*
 * pst_mapping.c: DIR/PstImportMapping.csv through an external sort
 * (pst_mapping.h).
 *
 * Every row is a fixed-size record (the file name, where its Mailbox value
 * is in the strings file, and the order it came in) sorted by file name,
 * then this run's rows before the earlier CSV's, then the later before the
 * earlier: the first record of each name is the row that wins, and the
 * CSV is written in one pass over the sorted records.
 */
#include "exporters/pst/pst_mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/extsort.h"
#include "core/safename.h"

#define DEFAULT_RUN 2048     /* rows in memory: about 560 KiB */

struct maprec {
	char name[PST_MAPPING_NAME_MAX + 1];
	uint32_t old;            /* 1: a row of the earlier CSV */
	uint64_t seq;            /* order added: of two rows for a name the later wins */
	uint64_t moff;           /* the Mailbox value in the strings file */
	uint64_t mlen;
};

struct pst_mapping {
	char *dir, *path, *tmp;  /* DIR, DIR/PstImportMapping.csv, its temporary */
	struct mf_extsort *sort;
	FILE *strf;              /* Mailbox values, one after the other (tmpfile) */
	uint64_t stroff, seq;
	size_t nrows;
	FILE *out;               /* the prepared CSV, open until committed */
	int prepared;
};

static int cmp_rec(const void *a, const void *b, void *arg)
{
	const struct maprec *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	(void)arg;
	if (r)
		return r;
	if (x->old != y->old)
		return x->old < y->old ? -1 : 1;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

struct pst_mapping *pst_mapping_new(const char *dir, size_t run)
{
	struct pst_mapping *m = mf_xcalloc(1, sizeof(*m));
	m->dir = mf_xstrdup(dir);
	m->path = mf_xasprintf("%s/%s", dir, PST_MAPPING_NAME);
	m->tmp = mf_xasprintf("%s/.%s.tmp.%ld", dir, PST_MAPPING_NAME, (long)getpid());
	m->sort = mf_extsort_new(sizeof(struct maprec), run ? run : DEFAULT_RUN, cmp_rec, NULL,
				 NULL);
	return m;
}

static int add(struct pst_mapping *m, const char *name, const char *mailbox, int old,
	       struct mf_diag *d)
{
	struct maprec r;
	size_t nl = strlen(name), ml = mailbox ? strlen(mailbox) : 0;

	if (nl > PST_MAPPING_NAME_MAX)
		return mf_diag_set(d, MF_EUSAGE, m->path, MF_NO_OFFSET,
				   "file name '%.40s...' is too long for the mapping CSV", name);
	memset(&r, 0, sizeof(r));
	memcpy(r.name, name, nl);
	r.old = (uint32_t)old;
	r.seq = m->seq++;
	r.moff = m->stroff;
	r.mlen = ml;
	if (ml) {
		if (!m->strf && !(m->strf = tmpfile()))
			return mf_diag_errno(d, MF_EIO, NULL, "cannot create a journal file");
		if (fwrite(mailbox, 1, ml, m->strf) != ml)
			return mf_diag_errno(d, MF_EIO, NULL, "cannot write a journal file");
		m->stroff += ml;
	}
	m->nrows++;
	return mf_extsort_add(m->sort, &r, d);
}

int pst_mapping_add(struct pst_mapping *m, const char *name, const char *mailbox,
		    struct mf_diag *d)
{
	return add(m, name, mailbox, 0, d);
}

static int exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

/* One line of the earlier CSV: a row for a file still in DIR is kept
 * (whether this run named the file too is settled by the sort). */
static int old_row(struct pst_mapping *m, char *line, struct mf_diag *d)
{
	char *f[4] = { 0 }, *p = line, fp[PATH_MAX];
	int n = 0;

	if (!strncmp(line, "Workload,", 9))
		return MF_OK;
	while (n < 4 && p) {
		f[n++] = p;
		p = strchr(p, ',');
		if (p)
			*p++ = '\0';
	}
	if (n < 4 || !f[2][0] || strchr(f[2], '"') || strchr(f[3], '"'))
		return MF_OK;
	if (!mf_filename_is_safe(f[2], PST_MAPPING_NAME_MAX))
		return MF_OK;
	snprintf(fp, sizeof(fp), "%s/%s", m->dir, f[2]);
	if (!exists(fp))
		return MF_OK;
	return add(m, f[2], f[3], 1, d);
}

/* The earlier CSV, a line at a time.  Lines end at CR or LF (empty ones
 * are skipped); the file ends at its first NUL byte; a line longer than
 * PST_MAPPING_LINE_MAX is not a row. */
static int read_old(struct pst_mapping *m, struct mf_diag *d)
{
	FILE *f = fopen(m->path, "rbe");
	char *line;
	size_t n = 0;
	int over = 0, ch, rc = MF_OK;

	if (!f)
		return errno == ENOENT ? MF_OK :
		       mf_diag_errno(d, MF_EIO, m->path, "cannot read the earlier mapping CSV");
	line = mf_xmalloc(PST_MAPPING_LINE_MAX + 1);
	for (;;) {
		ch = getc(f);
		if (ch == EOF || ch == '\0' || ch == '\r' || ch == '\n') {
			if (n && !over) {
				line[n] = '\0';
				if ((rc = old_row(m, line, d)) < 0)
					break;
			}
			n = 0;
			over = 0;
			if (ch == EOF || ch == '\0')
				break;
			continue;
		}
		if (n == PST_MAPPING_LINE_MAX)
			over = 1;
		else
			line[n++] = (char)ch;
	}
	if (rc == MF_OK && ferror(f))
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot read the earlier mapping CSV");
	fclose(f);
	free(line);
	return rc;
}

static void csv_field(struct mf_buf *b, const char *s)
{
	int q = 0;
	if (!s)
		s = "";
	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n')
			q = 1;
	/* a leading = + - @ would be a formula to a spreadsheet */
	if (strchr("=+-@", s[0]) && s[0])
		q = 1;
	if (!q) {
		mf_buf_addstr(b, s);
		return;
	}
	mf_buf_addch(b, '"');
	if (strchr("=+-@", s[0]) && s[0])
		mf_buf_addch(b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			mf_buf_addch(b, '"');
		mf_buf_addch(b, *p);
	}
	mf_buf_addch(b, '"');
}

/* A row's Mailbox value back from the strings file, into b (NUL-ended). */
static int mailbox_of(struct pst_mapping *m, const struct maprec *r, struct mf_buf *b,
		      struct mf_diag *d)
{
	uint64_t left = r->mlen, off = r->moff;
	char chunk[4096];

	mf_buf_reset(b);
	while (left) {
		size_t want = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
		ssize_t got = pread(fileno(m->strf), chunk, want, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			return mf_diag_errno(d, MF_EIO, NULL, "cannot read a journal file back");
		}
		mf_buf_add(b, chunk, (size_t)got);
		left -= (uint64_t)got;
		off += (uint64_t)got;
	}
	mf_buf_addch(b, '\0');
	return MF_OK;
}

/* The rows in order, the first of each name, into the open CSV. */
static int write_rows(struct pst_mapping *m, int *names_directory, struct mf_diag *d)
{
	struct maprec r;
	struct mf_buf mb, line;
	char prev[PST_MAPPING_NAME_MAX + 1];
	int have_prev = 0, rc;

	mf_buf_init(&mb, MF_BUF_UNBOUNDED);
	mf_buf_init(&line, MF_BUF_UNBOUNDED);
	while ((rc = mf_extsort_next(m->sort, &r, d)) == 1) {
		r.name[PST_MAPPING_NAME_MAX] = '\0';
		if (have_prev && !strcmp(prev, r.name))
			continue;   /* an earlier row of the same file */
		memcpy(prev, r.name, sizeof(prev));
		have_prev = 1;
		if (mf_strcaseeq(r.name, "directory.pst"))
			*names_directory = 1;
		if ((rc = mailbox_of(m, &r, &mb, d)) < 0)
			break;
		mf_buf_reset(&line);
		mf_buf_addstr(&line, "Exchange,,");
		csv_field(&line, r.name);
		mf_buf_addch(&line, ',');
		csv_field(&line, mb.data);
		mf_buf_addstr(&line, ",FALSE,/,,,,\r\n");
		if (fwrite(line.data, 1, line.len, m->out) != line.len) {
			rc = mf_diag_errno(d, MF_EIO, m->path, "cannot write");
			break;
		}
	}
	mf_buf_release(&mb);
	mf_buf_release(&line);
	return rc < 0 ? rc : MF_OK;
}

int pst_mapping_prepare(struct pst_mapping *m, int *names_directory, struct mf_diag *d)
{
	static const char head[] = "Workload,FilePath,Name,Mailbox,IsArchive,TargetRootFolder,"
				   "ContentCodePage,SPFileContainer,SPManifestContainer,SPSiteUrl\r\n";
	int fd, rc;

	*names_directory = 0;
	if (m->prepared)
		return mf_diag_set(d, MF_EUSAGE, m->path, MF_NO_OFFSET,
				   "the mapping CSV is prepared once");
	m->prepared = 1;
	if ((rc = read_old(m, d)) < 0)
		return rc;
	if ((rc = mf_extsort_finish(m->sort, d)) < 0)
		return rc;
	if (m->strf && fflush(m->strf) != 0)
		return mf_diag_errno(d, MF_EIO, NULL, "cannot write a journal file");
	fd = open(m->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return mf_diag_errno(d, MF_EIO, m->path, "cannot create");
	if (!(m->out = fdopen(fd, "w"))) {
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot create");
		close(fd);
		unlink(m->tmp);
		return rc;
	}
	if (fwrite(head, 1, sizeof(head) - 1, m->out) != sizeof(head) - 1)
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot write");
	else
		rc = write_rows(m, names_directory, d);
	if (rc == MF_OK && fflush(m->out) != 0)
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot write");
	if (rc == MF_OK && fsync(fileno(m->out)) != 0)
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot sync");
	if (rc < 0) {
		fclose(m->out);
		m->out = NULL;
		unlink(m->tmp);
	}
	return rc;
}

int pst_mapping_commit(struct pst_mapping *m, struct mf_diag *d)
{
	int rc = MF_OK;
	if (!m->out)
		return mf_diag_set(d, MF_EUSAGE, m->path, MF_NO_OFFSET,
				   "the mapping CSV is not prepared");
	if (fclose(m->out) != 0)
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot close");
	m->out = NULL;
	if (rc == MF_OK && rename(m->tmp, m->path) != 0)
		rc = mf_diag_errno(d, MF_EIO, m->path, "cannot rename into place");
	if (rc < 0)
		unlink(m->tmp);
	return rc;
}

size_t pst_mapping_count(const struct pst_mapping *m)
{
	return m->nrows;
}

size_t pst_mapping_spilled_runs(const struct pst_mapping *m)
{
	return mf_extsort_runs(m->sort);
}

void pst_mapping_free(struct pst_mapping *m)
{
	if (!m)
		return;
	if (m->out) {
		fclose(m->out);
		unlink(m->tmp);
	}
	if (m->strf)
		fclose(m->strf);
	mf_extsort_free(m->sort);
	free(m->dir);
	free(m->path);
	free(m->tmp);
	free(m);
}
