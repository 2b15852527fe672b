/* SPDX-License-Identifier: MIT */
/*
 * pst.c: `mailferry export pst`: one Unicode PST per mailbox
 * (DIR/<alias>.pst, parts <alias>-002.pst ... past --split-size) and
 * DIR/PstImportMapping.csv for Microsoft's PST import service.
 *
 * Safety.  A part is written as DIR/.<name>.tmp.<pid> and renamed when it
 * is complete; its messages stay PENDING until every part of the mailbox
 * is in place, then they are confirmed (with the part's sha256).  The
 * driver commits those confirmations together with the mailbox's own
 * ledger row after mailbox_end, in one transaction, so the ledger either
 * knows the whole mailbox or none of it:
 *   - mailbox row delivered, nothing new: the files stay as they are;
 *   - mailbox row delivered, new messages (a later import): they go into
 *     the next free part, never into a finished file;
 *   - no mailbox row (new, or an interrupted run): the mailbox is written
 *     again whole from part 1, and parts past the new last one are removed.
 * Temporary files of runs that are gone are removed by the next run.
 *
 * Durability.  Parts are not fsynced one by one (two fsyncs per mailbox
 * were most of the time of a directory of empty mailboxes): the driver
 * keeps the ledger rows of the mailboxes finished in the last two seconds
 * and calls pst_sync, one syncfs() of the output file system, right before
 * it commits them (engine/exporter.h, sync).  A power cut can take files
 * the ledger does not name yet, never one it names; a run that finds no
 * mailbox row writes the mailbox again (docs/decisions.md).
 */
#include "exporters/pst/pst.h"
#include "exporters/pst/pst_mapping.h"
#include "exporters/pst/reader/pstr_inspect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "engine/plan.h"
#include "core/safename.h"
#include "engine/exporter.h"
#include "exporters/files/ical.h"

#define DEFAULT_SPLIT (20ull * 1000 * 1000 * 1000)
#define MAX_PARTS 999

struct pend {
	int64_t id, bytes;
	int part;
	uint32_t nid;
	const char *kind;        /* "message", "calendar" (a task), "pab" */
};

struct mf_export_ctx {
	struct mf_export *ex;
	struct mf_store *st;
	char *out, *target, *domain;
	int outfd;               /* DIR, for the syncfs() of pst_sync */
	uint64_t split;
	int directory;           /* --directory create: DIR/directory.pst */
	char *tzid;              /* the mailbox's post office zone (calendar items) */
	/* the mailbox */
	const struct mf_mailbox *mb;
	char alias[128];
	char *address;
	int prev_done, part, first_part, open;
	char **folders;
	size_t nfolders;
	struct pst_store store;
	char tmp[PATH_MAX], final[PATH_MAX];
	char (*sha)[MF_SHA256_HEX];  /* per part written in this mailbox */
	size_t nsha;
	FILE *pendf;                 /* struct pend records of this mailbox (tmpfile):
	                              * memory stays flat however many messages */
	size_t npend;
	struct pst_mapping *map;     /* the mapping CSV's rows (spilled, pst_mapping.h) */
	struct pst_cs_keep cs;       /* the header converter, kept from file to file */
	struct pst_journals jp;      /* the journal files, likewise */
};

/* The pid at the end of one of our temporary names, or 0: .<name>.tmp.<pid>
 * (a part, the mapping CSV, any file written by mf_write_atomic) and
 * .mailferry-target.<pid> (the target marker before it is linked). */
static long tmp_pid(const char *name)
{
	static const char marker[] = ".mailferry-target.";
	const char *t = NULL, *p;
	char *end;
	long pid;

	if (name[0] != '.')
		return 0;
	if (!strncmp(name, marker, sizeof(marker) - 1))
		t = name + sizeof(marker) - 1;
	for (p = strstr(name, ".tmp."); p; p = strstr(p + 1, ".tmp."))
		t = p + 5;                   /* the last one */
	if (!t || *t < '0' || *t > '9')
		return 0;
	pid = strtol(t, &end, 10);
	return *end || pid <= 0 ? 0 : pid;
}

/* Remove the temporary files of processes that are gone (a killed run):
 * the next run leaves none behind. */
static void sweep(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	if (!dp)
		return;
	while ((e = readdir(dp)) != NULL) {
		long pid = tmp_pid(e->d_name);
		if (pid && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
			char *p = mf_xasprintf("%s/%s", dir, e->d_name);
			unlink(p);
			free(p);
		}
	}
	closedir(dp);
}

static int pst_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		    const struct mf_export_opts *o, struct mf_diag *d)
{
	struct mf_export_ctx *c;
	char real[PATH_MAX], inst[33];
	uint64_t split = DEFAULT_SPLIT;
	int rc;

	if (!o->out || !*o->out)
		return mf_diag_set(d, MF_EUSAGE, NULL, MF_NO_OFFSET, "pst needs --out DIR");
	if (mf_opt_given(o->values, "split-size"))
		split = (uint64_t)mf_opt_num(o->values, "split-size");
	if ((rc = mf_mkdirs(o->out, 0755, d)) < 0)
		return rc;
	if (!realpath(o->out, real))
		return mf_diag_errno(d, MF_EIO, o->out, "cannot resolve");
	if (access(real, W_OK) != 0)
		return mf_diag_errno(d, MF_EIO, real, "cannot write into");
	if ((rc = mf_target_instance(inst, real, d)) < 0)
		return rc;
	sweep(real);
	c = mf_xcalloc(1, sizeof(*c));
	c->outfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->outfd < 0) {
		rc = mf_diag_errno(d, MF_EIO, real, "cannot open");
		free(c);
		return rc;
	}
	c->ex = ex;
	c->st = st;
	c->out = mf_xstrdup(real);
	c->target = mf_xasprintf("pst:%s#%s", real, inst);
	c->domain = mf_opt_str(o->values, "mailbox-domain") ?
		    mf_xstrdup(mf_opt_str(o->values, "mailbox-domain")) : NULL;
	c->split = split;
	c->directory = o->directory_mode && !strcmp(o->directory_mode, "create");
	c->map = pst_mapping_new(real, 0);
	*out = c;
	return MF_OK;
}

static const char *pst_target(struct mf_export_ctx *c)
{
	return c->target;
}

static void part_name(char *out, size_t n, const char *alias, int part)
{
	if (part <= 1)
		snprintf(out, n, "%s.pst", alias);
	else
		snprintf(out, n, "%s-%03d.pst", alias, part);
}

static void part_path(struct mf_export_ctx *c, char *out, size_t n, int part)
{
	char name[200];
	part_name(name, sizeof(name), c->alias, part);
	snprintf(out, n, "%s/%s", c->out, name);
}

static int exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

/* Forget the pending confirmations (the journal is reused). */
static void pend_reset(struct mf_export_ctx *c)
{
	c->npend = 0;
	if (c->pendf) {
		clearerr(c->pendf);
		if (fseek(c->pendf, 0, SEEK_SET) != 0 || ftruncate(fileno(c->pendf), 0) != 0) {
			fclose(c->pendf);
			c->pendf = NULL;
		}
	}
}

static void drop_folders(struct mf_export_ctx *c)
{
	for (size_t i = 0; i < c->nfolders; i++)
		free(c->folders[i]);
	free(c->folders);
	c->folders = NULL;
	c->nfolders = 0;
}

static void discard(struct mf_export_ctx *c)
{
	if (c->open) {
		pst_store_abort(&c->store);
		unlink(c->tmp);
		c->open = 0;
	}
}

/* Open the current part: the standard folders and every staged folder. */
static int part_open(struct mf_export_ctx *c, struct mf_diag *d)
{
	char seed[256], name[200];
	const char *dn = c->mb->display_name && *c->mb->display_name ? c->mb->display_name :
			 c->alias;
	int rc;
	part_name(name, sizeof(name), c->alias, c->part);
	snprintf(c->tmp, sizeof(c->tmp), "%s/.%s.tmp.%ld", c->out, name, (long)getpid());
	part_path(c, c->final, sizeof(c->final), c->part);
	snprintf(seed, sizeof(seed), "%s\n%d", c->alias, c->part);
	if ((rc = pst_store_open(&c->store, c->tmp, seed, dn, c->mb, &c->jp, d)) < 0)
		return rc;
	c->store.nb.nosync = 1;  /* pst_sync, before the ledger names it */
	c->store.cs_keep = &c->cs;
	c->open = 1;
	for (size_t i = 0; i < c->nfolders; i++)
		pst_store_folder(&c->store, c->folders[i], NULL);
	return MF_OK;
}

/* The sha256 of a part just written, for the ledger.  The file has to be
 * read again (its header, written last, is its first bytes); its holes are
 * not read (mf_sha256_fd). */
static int file_sha(char out[MF_SHA256_HEX], const char *path)
{
	int64_t size;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	if (fd < 0)
		return -1;
	rc = mf_sha256_fd(fd, out, &size);
	close(fd);
	return rc;
}

/* Finish the current part and put it in place. */
static int part_close(struct mf_export_ctx *c, struct mf_diag *d)
{
	int rc;
	c->open = 0;
	if ((rc = pst_store_finish(&c->store, d)) < 0) {
		unlink(c->tmp);
		return rc;
	}
	if (rename(c->tmp, c->final) != 0) {
		rc = mf_diag_errno(d, MF_EIO, c->final, "cannot move the file into place");
		unlink(c->tmp);
		return rc;
	}
	c->sha = mf_xreallocarray(c->sha, c->nsha + 1, sizeof(*c->sha));
	if (file_sha(c->sha[c->nsha], c->final) < 0)
		return mf_diag_errno(d, MF_EIO, c->final, "cannot read back");
	c->nsha++;
	return MF_OK;
}

static char *mailbox_address(struct mf_export_ctx *c, const struct mf_mailbox *mb)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_plan_entry pe;
	const char *alias = mb->alias ? mb->alias : "mailbox", *smtp = NULL;
	char *r;
	if (mf_plan_mailbox_action(c->st, &pe, mb->id, &a, NULL) == MF_OK) {
		if (pe.alias)
			alias = pe.alias;
		/* a mailbox the plan maps onto an object of the target's
		 * directory: that object's SMTP address */
		if ((pe.action == MF_PLAN_CONVERT || pe.action == MF_PLAN_EXISTS) &&
		    pe.object_id > 0 && mf_store_target_smtp(c->st, &smtp, pe.object_id, &a, NULL) != 1)
			smtp = NULL;
	}
	r = smtp ? mf_xstrdup(smtp) : c->domain ? mf_xasprintf("%s@%s", alias, c->domain) :
						   mf_xstrdup(alias);
	mf_arena_release(&a);
	return r;
}

static int pst_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			     const char *const *folders, size_t nf, struct mf_diag *d)
{
	struct mf_arena a = MF_ARENA_INIT;
	char p[PATH_MAX];

	c->mb = mb;
	snprintf(c->alias, sizeof(c->alias), "%s", mb->alias && *mb->alias ? mb->alias : "mailbox");
	if (!mf_filename_is_safe(c->alias, 100))
		return mf_diag_set(d, MF_EFORMAT, NULL, MF_NO_OFFSET,
				   "mailbox alias '%s' cannot name a file", c->alias);
	free(c->address);
	c->address = mailbox_address(c, mb);
	free(c->tzid);
	c->tzid = NULL;
	{
		struct mf_source_info si;
		struct mf_diag d2;
		if (mf_export_source(c->ex, mb->source_id, &si, &a, &d2) == MF_OK && si.timezone)
			c->tzid = mf_xstrdup(si.timezone);
		mf_arena_reset(&a);
	}
	pend_reset(c);
	c->nsha = 0;
	drop_folders(c);
	c->folders = mf_xcalloc(nf ? nf : 1, sizeof(*c->folders));
	for (size_t i = 0; i < nf; i++)
		c->folders[c->nfolders++] = mf_xstrdup(folders[i]);
	c->prev_done = mf_export_ledger_remote_id(c->ex, "mailbox", mb->id, &a) != NULL;
	mf_arena_release(&a);
	if (c->prev_done) {
		/* finished before: new mail goes into the next free part */
		c->part = 1;
		for (part_path(c, p, sizeof(p), c->part); exists(p) && c->part < MAX_PARTS;
		     part_path(c, p, sizeof(p), c->part))
			c->part++;
		c->first_part = c->part;
		return MF_OK;
	}
	c->part = c->first_part = 1;
	return part_open(c, d);
}

/* The current part, open and with room for about `need` bytes. */
static int ensure_open(struct mf_export_ctx *c, uint64_t need, struct mf_diag *d)
{
	int rc;
	if (c->open && c->store.messages && pst_ndb_size(&c->store.nb) + need > c->split) {
		if ((rc = part_close(c, d)) < 0)
			return rc;
		c->part++;
	}
	if (!c->open) {
		if (c->part > MAX_PARTS)
			return mf_diag_set(d, MF_ETOOBIG, c->out, MF_NO_OFFSET,
					   "mailbox %s needs more than %d parts", c->alias, MAX_PARTS);
		if ((rc = part_open(c, d)) < 0)
			return rc;
	}
	return MF_OK;
}

/* An item written into the current part, confirmed at mailbox_end: one
 * record in the journal file (memory does not grow with the mailbox). */
static int add_pend(struct mf_export_ctx *c, const char *kind, int64_t id, uint64_t bytes,
		    struct mf_diag *d)
{
	struct pend pe;
	memset(&pe, 0, sizeof(pe));
	pe.kind = kind;          /* a string constant of this process */
	pe.id = id;
	pe.bytes = (int64_t)bytes;
	pe.part = c->part;
	pe.nid = PST_NID(NT_MESSAGE, c->store.next_msg - 1);
	if (!c->pendf && !(c->pendf = tmpfile()))
		return mf_diag_errno(d, MF_EIO, NULL, "cannot create a journal file");
	if (fwrite(&pe, sizeof(pe), 1, c->pendf) != 1)
		return mf_diag_errno(d, MF_EIO, NULL, "cannot write a journal file");
	c->npend++;
	return MF_OK;
}

static int pst_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			   const struct mf_message *m, struct mf_put_result *res, struct mf_diag *d)
{
	struct pst_folder *f;
	uint64_t bytes = 0;
	int rc;
	(void)mb;
	if ((rc = ensure_open(c, (uint64_t)(m->size > 0 ? m->size : 0) * 2, d)) < 0)
		return rc;
	f = pst_store_folder(&c->store, m->folder_path, m->folder_special);
	if ((rc = pst_store_message(&c->store, f, m, &bytes, d)) < 0)
		return rc;
	if ((rc = add_pend(c, "message", m->id, bytes, d)) < 0)
		return rc;
	res->state = MF_PUT_PENDING;
	res->bytes = (int64_t)bytes;
	return MF_OK;
}

/* An event is an appointment in the Calendar (pst_appt.c), a to-do a task
 * in the Tasks folder (pst_task.c); other kinds (journal) are left pending
 * without a ledger row. */
static int put_event(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		     const struct mf_calendar_item *it, struct mf_put_result *res, struct mf_diag *d)
{
	struct mf_diag d2;
	struct icalcomponent_impl *root = NULL;
	uint64_t bytes = 0;
	int rc;
	mf_diag_clear(&d2);
	/* what the iCalendar exporter refuses (unknown zones, no UID, ...);
	 * the item parsed for that check is the one written */
	rc = mf_ical_parse_item(&root, it->ical ? it->ical : "", &d2);
	if (rc == MF_OK) {
		if ((rc = ensure_open(c, (it->ical ? strlen(it->ical) : 0) * 2 + 4096, d)) < 0) {
			mf_ical_item_free(&root);
			return rc;
		}
		rc = pst_store_appointment(&c->store, root, c->tzid, &bytes, &d2);
	}
	if (rc == MF_EIO) {
		*d = d2;
		return rc;
	}
	if (rc < 0) {
		res->state = MF_PUT_REFUSED;
		snprintf(res->detail, sizeof(res->detail), "calendar item '%.80s': %.150s",
			 it->uid ? it->uid : "", d2.msg);
		mf_export_problem(c->ex, MF_ERROR, "pst.invalid-item", mb->id, 0,
				  "%s (kept in the staging database, calendar_items %lld)",
				  res->detail, (long long)it->id);
		return MF_OK;
	}
	if ((rc = add_pend(c, "calendar", it->id, bytes, d)) < 0)
		return rc;
	res->bytes = (int64_t)bytes;
	return MF_OK;
}

static int pst_put_calendar(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    const struct mf_calendar_item *item, struct mf_put_result *res,
			    struct mf_diag *d)
{
	uint64_t bytes = 0;
	int rc;
	res->state = MF_PUT_PENDING;
	if (item->kind && !strcmp(item->kind, "event"))
		return put_event(c, mb, item, res, d);
	if (!item->kind || strcmp(item->kind, "todo") != 0)
		return MF_OK;
	if ((rc = ensure_open(c, 4096, d)) < 0)
		return rc;
	if ((rc = pst_store_task(&c->store, item, &bytes, d)) < 0)
		return rc;
	if ((rc = add_pend(c, "calendar", item->id, bytes, d)) < 0)
		return rc;
	res->bytes = (int64_t)bytes;
	return MF_OK;
}

/* The address book: contacts and lists in the Contacts folder
 * (pst_contact.c), confirmed as one item with the mailbox. */
static int pst_put_pab(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		       const struct mf_pab_entry *e, size_t n, struct mf_put_result *res,
		       struct mf_diag *d)
{
	uint64_t bytes = 0;
	int rc;
	if ((rc = ensure_open(c, 4096 * (uint64_t)n, d)) < 0)
		return rc;
	if ((rc = pst_store_pab(&c->store, c->st, e, n, &bytes, d)) < 0)
		return rc;
	if ((rc = add_pend(c, "pab", mb->id, bytes, d)) < 0)
		return rc;
	res->state = MF_PUT_PENDING;
	res->bytes = (int64_t)bytes;
	return MF_OK;
}

static int pst_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			   struct mf_diag *d)
{
	char p[PATH_MAX], name[200], rid[256];
	int rc, last;

	if (failed) {
		discard(c);
		pend_reset(c);
		return MF_OK;
	}
	if (c->open && (rc = part_close(c, d)) < 0) {
		pend_reset(c);
		return rc;
	}
	last = c->npend || !c->prev_done ? c->part : c->first_part - 1;
	if (!c->prev_done) {
		/* parts an interrupted earlier run left past the new end */
		for (int k = last + 1; k <= MAX_PARTS; k++) {
			part_path(c, p, sizeof(p), k);
			if (unlink(p) != 0)
				break;
		}
	}
	/* every part is in place: the ledger may say so, after pst_sync */
	if (c->npend && (fflush(c->pendf) != 0 || fseek(c->pendf, 0, SEEK_SET) != 0)) {
		pend_reset(c);
		return mf_diag_errno(d, MF_EIO, NULL, "cannot read a journal file back");
	}
	for (size_t i = 0; i < c->npend; i++) {
		struct pend pe;
		size_t k;
		if (fread(&pe, sizeof(pe), 1, c->pendf) != 1) {
			pend_reset(c);
			return mf_diag_errno(d, MF_EIO, NULL, "cannot read a journal file back");
		}
		k = (size_t)(pe.part - c->first_part);
		part_name(name, sizeof(name), c->alias, pe.part);
		snprintf(rid, sizeof(rid), "%s:0x%X", name, pe.nid);
		mf_export_confirm(c->ex, pe.kind, pe.id, mb->id, rid, k < c->nsha ? c->sha[k] : NULL,
				  pe.bytes);
	}
	pend_reset(c);
	/* the mapping rows: every part this mailbox has */
	for (int k = 1; k <= MAX_PARTS; k++) {
		part_path(c, p, sizeof(p), k);
		if (!exists(p))
			break;
		part_name(name, sizeof(name), c->alias, k);
		if ((rc = pst_mapping_add(c->map, name, c->address, d)) < 0)
			return rc;
	}
	drop_folders(c);
	return MF_OK;
}

/* DIR/directory.pst: the post office directory's custom recipients as
 * contacts and its public lists as distribution lists, for a shared
 * mailbox or a public folder (not in the mapping CSV: its mailbox is the
 * administrator's choice). */
static int write_directory(struct mf_export_ctx *c, struct mf_diag *d)
{
	struct pst_store s;
	char *tmp = mf_xasprintf("%s/.directory.pst.tmp.%ld", c->out, (long)getpid());
	char *fin = mf_xasprintf("%s/directory.pst", c->out);
	size_t n = 0;
	int rc;
	if ((rc = pst_store_open(&s, tmp, "directory", "Post office directory", NULL, NULL, d)) ==
	    MF_OK) {
		if ((rc = pst_store_directory(&s, c->st, &n, d)) < 0)
			pst_store_abort(&s);
		else
			rc = pst_store_finish(&s, d);
	}
	if (rc == MF_OK && rename(tmp, fin) != 0)
		rc = mf_diag_errno(d, MF_EIO, fin, "cannot move the file into place");
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	free(fin);
	return rc;
}

/* The mapping CSV is prepared first (a row naming directory.pst stops
 * --directory create), then DIR/directory.pst written, then the CSV put in
 * place. */
static int pst_finish(struct mf_export_ctx *c, struct mf_diag *d)
{
	int names_directory, rc;
	if ((rc = pst_mapping_prepare(c->map, &names_directory, d)) < 0)
		return rc;
	if (c->directory) {
		/* a mailbox called "directory" has that file already */
		if (names_directory)
			return mf_diag_set(d, MF_EUSAGE, c->out, MF_NO_OFFSET,
					   "a mailbox's file is directory.pst: the directory "
					   "cannot go there (leave out --directory create)");
		if ((rc = write_directory(c, d)) < 0)
			return rc;
	}
	return pst_mapping_commit(c->map, d);
}

/* The driver's barrier before it commits ledger rows: the parts written
 * and renamed since the last one (and the removed ones) on disk. */
static int pst_sync(struct mf_export_ctx *c, struct mf_diag *d)
{
	if (syncfs(c->outfd) != 0)
		return mf_diag_errno(d, MF_EIO, c->out, "cannot sync the output file system");
	return MF_OK;
}

static void pst_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = *pc;
	if (!c)
		return;
	discard(c);
	if (c->outfd >= 0)
		close(c->outfd);
	drop_folders(c);
	pst_mapping_free(c->map);
	pst_cs_keep_free(&c->cs);
	pst_journals_free(&c->jp);
	if (c->pendf)
		fclose(c->pendf);
	free(c->sha);
	free(c->address);
	free(c->tzid);
	free(c->out);
	free(c->target);
	free(c->domain);
	free(c);
	*pc = NULL;
}

const struct mf_exporter mf_exporter_pst = {
	.name = "pst",
	.summary = "Outlook data files (Unicode .pst), one per mailbox, with an import mapping CSV",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		{ .name = "split-size", .kind = MF_OPT_SIZE, .arg = "SIZE", .min = 1 << 20,
		  .help = "pst: start a new part <alias>-002.pst ... past SIZE (K, M, G; default 20 GB)" },
		{ .name = "mailbox-domain", .kind = MF_OPT_STRING, .arg = "DOMAIN",
		  .help = "pst: the mapping CSV's Mailbox is <alias>@DOMAIN" },
		{ .name = "directory", .kind = MF_OPT_ENUM,
		  .choices = (const char *const[]){ "create", "skip", NULL },
		  .help = "pst: also the directory (custom recipients, public lists)\n"
			  "as DIR/directory.pst (default skip)",
		  .field = MF_OPT_FIELD(struct mf_export_opts, directory_mode) },
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES | MF_EXP_CALENDAR | MF_EXP_PAB | MF_EXP_ID_ORDER |
		MF_EXP_DIRECTORY,
	.open = pst_open,
	.target = pst_target,
	.check_mailbox = NULL,
	.mailbox_begin = pst_mailbox_begin,
	.put_message = pst_put_message,
	.put_calendar = pst_put_calendar,
	.put_pab = pst_put_pab,
	.mailbox_end = pst_mailbox_end,
	.finish = pst_finish,
	.close = pst_close,
	.verify = mf_pst_verify,
	.inspect = pstr_inspect_cb,   /* the independent verifier (exporters/pst/reader) */
	.sync = pst_sync,
};
