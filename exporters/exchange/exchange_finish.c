/* SPDX-License-Identifier: MIT */
/*
 * exchange_finish.c: the end of a mailbox (the pair goes into place) and of the run
 * (DIRECTRY.PRI and the packing list)
 * (see exchange.c and exchange_priv.h).
 */
#include "exporters/exchange/exchange_priv.h"
#include "exporters/exchange/exch_verify.h"

#include <fcntl.h>

/* ---- end of a mailbox: the pair goes into place ---- */

static int close_file(FILE **f, const char *path, int sync, struct mf_diag *d)
{
	int rc = MF_OK;
	if (fflush(*f) != 0 || (sync && fsync(fileno(*f)) != 0))
		rc = exx_fail_io(d, path, "cannot write");
	if (fclose(*f) != 0 && rc == MF_OK)
		rc = exx_fail_io(d, path, "cannot close");
	*f = NULL;
	return rc;
}

static int ex_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *d)
{
	char pri_path[PATH_MAX + 32], sec_path[PATH_MAX + 32], rid[256];
	int rc, sync;

	if (failed) {
		exx_discard_tmp(c);
		return MF_OK;
	}
	if (c->prev_delivered && !c->content) {
		/* nothing new for a mailbox the target already has */
		exx_discard_tmp(c);
		return MF_OK;
	}
	if (c->sc2.len) {
		uint64_t off;
		struct mf_buf line, v, sc2;
		char nm[32];
		mf_buf_init(&line, 1u << 20);
		mf_buf_init(&v, 4096);
		mf_buf_init(&sc2, MF_BUF_UNBOUNDED);
		mf_buf_addstr(&sc2, "SCHEDULE+2 EXPORT VERSION 103\r\n");
		mf_buf_add(&sc2, c->sc2.data, c->sc2.len);
		exw_sec_section(&c->sec, &off, "Body", "", 0, 0, NULL, EXW_NOPOS, NULL);
		snprintf(nm, sizeof(nm), "%.8s.SC2", mb->alias ? mb->alias : "SCHEDULE");
		for (char *p = nm; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p -= 32;
		exw_sec_section(&c->sec, NULL, "Schedule", sc2.data, sc2.len, 1, nm, -1, NULL);
		/* the Wizard writes the message's body itself (contract 5.3) */
		exw_fieldz(&line, NULL, EXW_FOLDER, 1);
		exw_fieldz(&line, c->mb_name, EXW_PLAIN, 0);
		exw_fieldz(&line, c->mb_name, EXW_PLAIN, 0);
		exw_fieldz(&line, NULL, EXW_PLAIN, 0);
		exw_fieldz(&line, NULL, EXW_PLAIN, 0);
		exw_fieldz(&line, "Schedule+", EXW_PLAIN, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_fieldz(&line, "TRUE", EXW_NEVER, 0);
		exw_fieldz(&line, NULL, EXW_NEVER, 0);
		exw_pointer(&v, c->sec_name, off);
		exw_field(&line, v.data, v.len, EXW_NEVER, 0);
		exw_eol(&line);
		fwrite(line.data, 1, line.len, c->pri);
		mf_buf_release(&line);
		mf_buf_release(&v);
		mf_buf_release(&sc2);
	}
	if (c->pab.len) {
		fputs("\r\n", c->pri);
		fwrite(c->pab.data, 1, c->pab.len, c->pri);
	}
	if (c->sec.err) {
		errno = c->sec.err;
		exx_discard_tmp(c);
		return exx_fail_io(d, c->tmp_sec, "cannot write secondary file");
	}
	/* synced before the ledger hears of its items; a pair with none (a
	 * mailbox without mail, --no-mail) is made durable with the set, by
	 * the syncfs() before its packing list (ex_finish) */
	sync = c->nmsgs || c->ncals || c->pab_pending;
	if ((rc = close_file(&c->secf, c->tmp_sec, sync, d)) < 0 ||
	    (rc = close_file(&c->pri, c->tmp_pri, sync, d)) < 0) {
		exx_discard_tmp(c);
		return rc;
	}
	if (!c->set->exists) {
		if (mkdir(c->set->folder, 0755) != 0 && errno != EEXIST) {
			rc = exx_fail_io(d, c->set->folder, "cannot create set folder");
			unlink(c->tmp_pri);
			unlink(c->tmp_sec);
			return rc;
		}
		c->set->exists = 1;
	}
	snprintf(pri_path, sizeof(pri_path), "%s/%08d.PRI", c->set->folder, c->number);
	snprintf(sec_path, sizeof(sec_path), "%s/%s", c->set->folder, c->sec_name);
	if (rename(c->tmp_sec, sec_path) != 0 || rename(c->tmp_pri, pri_path) != 0) {
		rc = exx_fail_io(d, pri_path, "cannot move the pair into place");
		unlink(c->tmp_pri);
		unlink(c->tmp_sec);
		return rc;
	}
	if (c->number > c->set->maxn) {
		/* a new pair (a resumed one has a number up to maxn already) */
		c->set->maxn = c->number;
		c->set->npairs++;
	}
	/* the files are in place: now the ledger may say so */
	for (size_t i = 0; i < c->nmsgs; i++) {
		snprintf(rid, sizeof(rid), "%s/%08d.PRI:%d", strrchr(c->set->folder, '/') + 1,
			 c->number, c->msgs[i].line);
		mf_export_confirm(c->ex, "message", c->msgs[i].id, mb->id, rid, c->msgs[i].sha256,
				  c->msgs[i].bytes);
	}
	for (size_t i = 0; i < c->ncals; i++) {
		snprintf(rid, sizeof(rid), "%s/%08d.PRI", strrchr(c->set->folder, '/') + 1, c->number);
		mf_export_confirm(c->ex, "calendar", c->cals[i], mb->id, rid, NULL, -1);
	}
	if (c->pab_pending) {
		snprintf(rid, sizeof(rid), "%s/%08d.PRI", strrchr(c->set->folder, '/') + 1, c->number);
		mf_export_confirm(c->ex, "pab", mb->id, mb->id, rid, NULL, -1);
	}
	if (c->repl)
		c->repl = 0;
	return MF_OK;
}

/* ---- the end of the run: DIRECTRY.PRI and the packing list ---- */

/*
 * The plan decides the DIRECTORY lines (engine/plan.h): a mailbox planned
 * CREATE gets one; a mailbox the plan CONVERTs from an existing custom
 * recipient, or that EXISTS on the target, must not (Event 238, contract
 * 10.10): its MAILMESSAGE section does the rest.  Custom recipients and
 * lists planned CREATE get remote and dl lines with the plan's aliases.
 */
static int plan_creates_mailbox(struct mf_export_ctx *c, int64_t mailbox_id)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_plan_entry e;
	int creates = 1;
	if (mf_plan_mailbox_action(c->st, &e, mailbox_id, &a, NULL) == MF_OK)
		creates = e.action == MF_PLAN_CREATE;
	mf_arena_release(&a);
	return creates;
}

static void dir_field_q(struct mf_export_ctx *c, struct mf_buf *line, const char *utf8,
		       unsigned quote, int first)
{
	struct mf_buf v;
	mf_buf_init(&v, 1u << 16);
	exx_enc_line(c, &v, utf8);
	exw_field(line, v.data, v.len, EXW_DIRECTORY | quote, first);
	mf_buf_release(&v);
}

static void dir_field(struct mf_export_ctx *c, struct mf_buf *line, const char *utf8, int first)
{
	dir_field_q(c, line, utf8, 0, first);
}

static int64_t entry_source(struct mf_export_ctx *c, int64_t entry_id)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_export_entry e;
	int64_t sid = 0;
	if (mf_export_entry(c->ex, entry_id, &e, &a, NULL) == MF_OK)
		sid = e.source_id;
	mf_arena_release(&a);
	return sid;
}

/* The custom recipients and lists the plan creates, by entry id (sorted,
 * for a binary search per list member). */
struct created {
	int64_t entry_id;
	size_t idx;              /* its place among the objects: the first one wins */
	const char *alias;
};

static int cmp_created(const void *a, const void *b)
{
	const struct created *x = a, *y = b;
	if (x->entry_id != y->entry_id)
		return (x->entry_id > y->entry_id) - (x->entry_id < y->entry_id);
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The Common-Name a list member will have on the target, or NULL (the
 * first object of that entry the plan creates, else the target's object
 * the plan matched it with). */
static const char *member_alias(struct mf_export_ctx *c, const struct created *cr, size_t n,
				int64_t entry_id, const char *mailbox_alias, struct mf_arena *a)
{
	struct mf_plan_entry e;
	size_t lo = 0, hi = n;
	if (mailbox_alias)
		return mailbox_alias;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cr[mid].entry_id < entry_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && cr[lo].entry_id == entry_id)
		return cr[lo].alias;
	if (mf_plan_recipient_action(c->st, &e, entry_id, a, NULL) == MF_OK &&
	    e.action == MF_PLAN_EXISTS && e.object_alias)
		return e.object_alias;
	return NULL;
}

/* The DIRECTRY.PRI of a set, written as it is made (a temporary file,
 * synced and renamed into place when complete). */
struct dirfile {
	char path[PATH_MAX + 32], tmp[PATH_MAX + 48];
	FILE *f;
};

/* Append the line to the directory file, opening it (with its first line)
 * on the first one. */
static int dir_put(struct dirfile *df, struct mf_export_ctx *c, struct po_set *s,
		   const char *data, size_t len, struct mf_diag *d)
{
	if (!df->f) {
		snprintf(df->path, sizeof(df->path), "%s/DIRECTRY.PRI", s->folder);
		snprintf(df->tmp, sizeof(df->tmp), "%s/.DIRECTRY.PRI.tmp.%ld", s->folder,
			 (long)getpid());
		if (!(df->f = fopen(df->tmp, "wb")))
			return exx_fail_io(d, df->tmp, "cannot create");
		setvbuf(df->f, NULL, _IOFBF, 1u << 16);
		fprintf(df->f, "! mailferry %s: %s post office %s, code page %s\r\n", MF_VERSION,
			s->format, s->tag, c->cpnum);
	}
	fwrite(data, 1, len, df->f);
	return MF_OK;
}

/* The state of the passes over the plan's objects (write_directory). */
struct dirpass {
	struct mf_export_ctx *c;
	struct po_set *s;
	struct dirfile *df;
	struct mf_buf *line;
	struct mf_arena *a, *sa;
	struct mf_diag *d;
	struct created *cr;
	size_t ncr, capcr, idx;
	const char *kind;        /* the pass: "custom" or "list" */
	int nr, nl, rc;
};

static int pass_created(void *arg, const struct mf_plan_object *o)
{
	struct dirpass *p = arg;
	size_t idx = p->idx++;
	if (o->action != MF_PLAN_CREATE)
		return MF_OK;
	if (p->ncr == p->capcr) {
		p->capcr = p->capcr ? p->capcr * 2 : 256;
		p->cr = mf_xreallocarray(p->cr, p->capcr, sizeof(*p->cr));
	}
	p->cr[p->ncr].entry_id = o->entry_id;
	p->cr[p->ncr].idx = idx;
	p->cr[p->ncr++].alias = o->alias ? mf_arena_strdup(p->a, o->alias) : NULL;
	return MF_OK;
}

static int pass_write(void *arg, const struct mf_plan_object *o)
{
	struct dirpass *p = arg;
	struct mf_export_ctx *c = p->c;
	struct mf_buf *line = p->line;

	if (o->action != MF_PLAN_CREATE || strcmp(o->kind, p->kind) ||
	    entry_source(c, o->entry_id) != p->s->source_id)
		return MF_OK;
	mf_buf_reset(line);
	if (!strcmp(p->kind, "custom")) {
		struct mf_buf ta;
		const char *colon = o->address ? strchr(o->address, ':') : NULL;
		if (p->nr++ == 0)
			mf_buf_addstr(line, "\r\nDIRECTORY\r\nObj-Class,Mode,Common-Name,Display-Name,"
				      "Given-Name,Surname,Target-Address\r\n");
		mf_buf_init(&ta, 1u << 16);
		if (colon) {
			char type[32];
			snprintf(type, sizeof(type), "%.*s", (int)(colon - o->address), o->address);
			exx_typed_address(&ta, type, colon + 1);
		}
		exw_fieldz(line, "remote", EXW_NEVER, 1);
		exw_fieldz(line, "create", EXW_NEVER, 0);
		exw_fieldz(line, o->alias, EXW_DIRECTORY, 0);
		dir_field(c, line, o->display_name ? o->display_name : o->name, 0);
		dir_field(c, line, o->given_name, 0);
		dir_field(c, line, o->surname, 0);
		dir_field_q(c, line, ta.data, EXW_DOTS, 0);
		exw_eol(line);
		mf_buf_release(&ta);
	} else {
		struct mf_buf mem;
		struct mf_export_member *mm;
		size_t nmm;
		mf_buf_init(&mem, 1u << 20);
		mf_arena_reset(p->sa);
		if (mf_export_list_members(c->ex, o->entry_id, &mm, &nmm, p->sa, p->d) < 0) {
			mf_buf_release(&mem);
			p->rc = MF_ESTORE;
			return MF_ESTORE;
		}
		for (size_t k = 0; k < nmm; k++) {
			const char *al = NULL;
			if (mm[k].entry_id)
				al = member_alias(c, p->cr, p->ncr, mm[k].entry_id, mm[k].mailbox_alias,
						  p->sa);
			if (!al) {
				mf_export_problem(c->ex, MF_WARNING, "exchange.dl-member-unresolved", 0, 0,
						  "list '%s': member '%s' will not be in the target's "
						  "directory; left out of the distribution list",
						  o->name, mm[k].address);
				continue;
			}
			if (mem.len)
				mf_buf_addch(&mem, '%');
			mf_buf_addstr(&mem, al);
		}
		if (p->nl++ == 0)
			mf_buf_addstr(line, "\r\nDIRECTORY\r\nObj-Class,Mode,Common-Name,"
				      "Display-Name,Members\r\n");
		exw_fieldz(line, "dl", EXW_NEVER, 1);
		exw_fieldz(line, "create", EXW_NEVER, 0);
		exw_fieldz(line, o->alias, EXW_DIRECTORY, 0);
		dir_field(c, line, o->display_name ? o->display_name : o->name, 0);
		exw_field(line, mem.data, mem.len, EXW_NEVER, 0);
		exw_eol(line);
		mf_buf_release(&mem);
	}
	if ((p->rc = dir_put(p->df, c, p->s, line->data, line->len, p->d)) < 0)
		return p->rc;
	return MF_OK;
}

/*
 * The one pass over a set's pairs at its end: each pair's first line is read
 * once, its packing-list lines go to pairs (the packing list's tail: its
 * head waits for whether DIRECTRY.PRI was written), and, unless the
 * DIRECTORY section is skipped, the directory lines of the mailboxes it
 * creates to DIRECTRY.PRI, then those of its custom recipients and lists.
 */
static int write_directory(struct mf_export_ctx *c, struct po_set *s, FILE *pairs, int *written,
			   struct mf_diag *d)
{
	struct mf_buf line;
	struct mf_arena a = MF_ARENA_INIT, sa = MF_ARENA_INIT;
	struct created *cr = NULL;
	struct dirfile df;
	size_t ncr = 0;
	int rc = MF_OK, n = 0;

	*written = 0;
	memset(&df, 0, sizeof(df));
	mf_buf_init(&line, 1u << 20);

	/* mailboxes whose first MAILMESSAGE section is in this set, in pair
	 * order (each pair's .PRI says whose it is) */
	for (int k = 1; k <= s->maxn && rc == MF_OK; k++) {
		char pri[PATH_MAX + 32], alias[64];
		int is_new = 0;
		snprintf(pri, sizeof(pri), "%s/%08d.PRI", s->folder, k);
		if (!exx_pair_head(pri, alias, &is_new))
			continue;
		fprintf(pairs, "%08d.PRI,Primary\r\n%08d.SEC,Secondary\r\n", k, k);
		if (c->directory_skip || !is_new)
			continue;
		{
			struct mf_arena ma = MF_ARENA_INIT;
			struct mf_mailbox m;
			int rc2 = mf_export_mailbox_by_alias(c->ex, alias, &m, &ma, d);
			if (rc2 < 0 && rc2 != MF_ENOTFOUND) {
				mf_arena_release(&ma);
				goto fail;
			}
			if (rc2 == MF_OK && !strcmp(m.kind, "mailbox") && plan_creates_mailbox(c, m.id)) {
				char *proxy = mf_xasprintf("MIGRATE:%s", m.source_address);
				mf_buf_reset(&line);
				if (n++ == 0)
					mf_buf_addstr(&line, "DIRECTORY\r\nObj-Class,Mode,Common-Name,Display-Name,"
						      "Given-Name,Surname,Secondary-Proxy-Addresses,Home-Server\r\n");
				exw_fieldz(&line, "mailbox", EXW_NEVER, 1);
				exw_fieldz(&line, "create", EXW_NEVER, 0);
				exw_fieldz(&line, alias, EXW_DIRECTORY, 0);
				dir_field(c, &line, m.display_name, 0);
				dir_field(c, &line, m.given_name, 0);
				dir_field(c, &line, m.surname, 0);
				dir_field_q(c, &line, proxy, EXW_DOTS, 0);
				exw_fieldz(&line, "~Server", EXW_NEVER, 0);
				exw_eol(&line);
				rc = dir_put(&df, c, s, line.data, line.len, d);
				free(proxy);
			}
			mf_arena_release(&ma);
		}
	}
	if (rc < 0)
		goto out;

	/* custom recipients and lists of this post office's source, once, in
	 * its first set; the plan's objects are walked, not held (three
	 * passes: what the plan creates, the custom recipients, the lists) */
	if (s->first && !c->directory_skip) {
		struct dirpass p;
		memset(&p, 0, sizeof(p));
		p.c = c;
		p.s = s;
		p.df = &df;
		p.line = &line;
		p.a = &a;
		p.sa = &sa;
		p.d = d;
		if (mf_plan_objects_each(c->st, pass_created, &p, d) < 0) {
			free(p.cr);
			goto fail;
		}
		cr = p.cr;
		ncr = p.ncr;
		if (ncr)
			qsort(cr, ncr, sizeof(*cr), cmp_created);
		p.cr = cr;
		p.ncr = ncr;
		p.kind = "custom";
		if ((rc = mf_plan_objects_each(c->st, pass_write, &p, d)) == MF_OK && !p.rc) {
			p.kind = "list";
			rc = mf_plan_objects_each(c->st, pass_write, &p, d);
		}
		if (p.rc < 0)
			rc = p.rc;
		else if (rc < 0)
			goto fail;
	}
out:
	if (df.f) {
		int ok = rc == MF_OK;
		if (ok && (fflush(df.f) != 0 || fsync(fileno(df.f)) != 0))
			ok = 0, rc = exx_fail_io(d, df.tmp, "cannot write");
		if (fclose(df.f) != 0 && ok)
			ok = 0, rc = exx_fail_io(d, df.tmp, "cannot close");
		if (ok && rename(df.tmp, df.path) != 0)
			ok = 0, rc = exx_fail_io(d, df.path, "cannot rename into place");
		if (!ok)
			unlink(df.tmp);
		*written = ok;
	}
	free(cr);
	mf_arena_release(&a);
	mf_arena_release(&sa);
	mf_buf_release(&line);
	return rc;
fail:
	rc = MF_ESTORE;
	goto out;
}

static int ex_finish(struct mf_export_ctx *c, struct mf_diag *d)
{
	/* the pairs written without a sync of their own (ex_mailbox_end) are
	 * on disk before any packing list says the set is complete */
	if (c->nsets) {
		int fd = open(c->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int bad = fd < 0 || syncfs(fd) != 0;
		if (fd >= 0)
			close(fd);
		if (bad)
			return exx_fail_io(d, c->out, "cannot sync");
	}
	for (size_t i = 0; i < c->nsets; i++) {
		struct po_set *s = &c->sets[i];
		int dir_written = 0, rc;
		char path[PATH_MAX + 32], tmp[PATH_MAX + 48];
		FILE *f, *pairs;
		int ok;

		if (!s->exists || !s->npairs)
			continue;
		/* the pairs' lines of the packing list, kept in an unlinked file
		 * of the set folder until its head is known */
		snprintf(tmp, sizeof(tmp), "%s/.%s.PKL.pairs.%ld", s->folder, s->tag, (long)getpid());
		if (!(pairs = fopen(tmp, "w+b")))
			return exx_fail_io(d, tmp, "cannot create");
		unlink(tmp);
		setvbuf(pairs, NULL, _IOFBF, 1u << 16);
		if ((rc = write_directory(c, s, pairs, &dir_written, d)) < 0) {
			fclose(pairs);
			return rc;
		}
		/* the packing list: DIRECTRY.PRI, then every pair in number order */
		snprintf(path, sizeof(path), "%s/%s.PKL", s->folder, s->tag);
		snprintf(tmp, sizeof(tmp), "%s/.%s.PKL.tmp.%ld", s->folder, s->tag, (long)getpid());
		if (!(f = fopen(tmp, "wb"))) {
			fclose(pairs);
			return exx_fail_io(d, tmp, "cannot create");
		}
		setvbuf(f, NULL, _IOFBF, 1u << 16);
		fprintf(f, "%s\r\n\r\nFilename,Filetype\r\n", c->cpnum);
		if (dir_written)
			fputs("DIRECTRY.PRI,Primary\r\n", f);
		ok = fflush(pairs) == 0 && !ferror(pairs) && fseek(pairs, 0, SEEK_SET) == 0;
		while (ok) {
			char buf[1u << 16];
			size_t got = fread(buf, 1, sizeof(buf), pairs);
			if (got && fwrite(buf, 1, got, f) != got)
				ok = 0;
			if (got < sizeof(buf)) {
				ok = ok && !ferror(pairs);
				break;
			}
		}
		fclose(pairs);
		if (!ok) {
			fclose(f);
			unlink(tmp);
			return exx_fail_io(d, path, "cannot write the packing list");
		}
		ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
		ok = fclose(f) == 0 && ok;
		if (!ok || rename(tmp, path) != 0) {
			rc = exx_fail_io(d, path, "cannot write the packing list");
			unlink(tmp);
			return rc;
		}
	}
	return MF_OK;
}

static void ex_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = *pc;
	if (!c)
		return;
	exx_discard_tmp(c);
	for (size_t i = 0; i < c->nsets; i++)
		mf_strmap_release(&c->sets[i].resumed);
	free(c->sets);
	for (size_t i = 0; i < NAME_CACHE; i++)
		free(c->names[i].name);
	free(c->msgs);
	free(c->cals);
	mf_buf_release(&c->sc2);
	mf_buf_release(&c->pab);
	mf_charset_free(&c->cs);
	free(c);
	*pc = NULL;
}

const struct mf_exporter mf_exporter_exchange = {
	.name = "exchange",
	.summary = "Exchange Migration Wizard files (.pkl/.pri/.sec)",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		{ .name = "codepage", .kind = MF_OPT_STRING, .arg = "CP",
		  .help = "exchange: code page of the files (default 1252)",
		  .prompt = "Code page of the migration files", .prompt_dflt = "1252",
		  .prompt_help = "The Windows code page the Exchange migration files are written in: 1252\n"
				 "(Western), 1250 (Central European), 1251 (Cyrillic), 932 (Japanese) ...",
		  .field = MF_OPT_FIELD(struct mf_export_opts, codepage) },
		{ .name = "directory", .kind = MF_OPT_ENUM,
		  .choices = (const char *const[]){ "create", "skip", NULL },
		  .help = "exchange: write the DIRECTORY section or not; vcard, carddav,\n"
			  "pst: also the directory as directory.vcf, a collection, directory.pst",
		  .prompt = "Directory objects (create or skip)", .prompt_dflt = "create",
		  .prompt_help = "create: the files carry the directory (new mailboxes, custom recipients,\n"
				 "distribution lists) for the Migration Wizard to create; skip: mail only.",
		  .field = MF_OPT_FIELD(struct mf_export_opts, directory_mode) },
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES | MF_EXP_CALENDAR | MF_EXP_PAB | MF_EXP_DIRECTORY,
	.open = exx_ex_open,
	.target = exx_ex_target,
	.check_mailbox = NULL,
	.mailbox_begin = exx_ex_mailbox_begin,
	.put_message = exx_ex_put_message,
	.put_calendar = exx_ex_put_calendar,
	.put_pab = exx_ex_put_pab,
	.mailbox_end = ex_mailbox_end,
	.finish = ex_finish,
	.close = ex_close,
	.verify = mf_exch_verify,
	.inspect = mf_exch_inspect,
};
