/* SPDX-License-Identifier: MIT */
/*
 * exchange_finish.c: the end of a mailbox (the pair goes into place) and of the run
 * (DIRECTRY.PRI and the packing list)
 * (see exchange.c and exchange_priv.h).
 */
#include "exporters/exchange/exchange_priv.h"
#include "exporters/exchange/exch_verify.h"

/* ---- end of a mailbox: the pair goes into place ---- */

static int close_file(FILE **f, const char *path, struct mf_diag *d)
{
	int rc = MF_OK;
	if (fflush(*f) != 0 || fsync(fileno(*f)) != 0)
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
	int rc;

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
	if ((rc = close_file(&c->secf, c->tmp_sec, d)) < 0 ||
	    (rc = close_file(&c->pri, c->tmp_pri, d)) < 0) {
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
	{
		int known = 0;
		for (size_t i = 0; i < c->set->npairs; i++)
			if (c->set->pairs[i].number == c->number)
				known = 1;
		if (!known) {
			struct pair *p;
			c->set->pairs = mf_xreallocarray(c->set->pairs, c->set->npairs + 1,
							 sizeof(*c->set->pairs));
			p = &c->set->pairs[c->set->npairs++];
			p->number = c->number;
			snprintf(p->alias, sizeof(p->alias), "%s", mb->alias ? mb->alias : "-");
			p->is_new = !c->prev_delivered;
		}
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

/* The Common-Name a list member will have on the target, or NULL. */
static const char *member_alias(struct mf_export_ctx *c, const struct mf_plan_object *objs,
				size_t n, int64_t entry_id, const char *mailbox_alias,
				struct mf_arena *a)
{
	struct mf_plan_entry e;
	if (mailbox_alias)
		return mailbox_alias;
	for (size_t i = 0; i < n; i++)
		if (objs[i].entry_id == entry_id && objs[i].action == MF_PLAN_CREATE)
			return objs[i].alias;
	if (mf_plan_recipient_action(c->st, &e, entry_id, a, NULL) == MF_OK &&
	    e.action == MF_PLAN_EXISTS && e.object_alias)
		return e.object_alias;
	return NULL;
}

static int write_directory(struct mf_export_ctx *c, struct po_set *s, int *written,
			   struct mf_diag *d)
{
	struct mf_buf out, line;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_plan_object *objs = NULL;
	size_t nobjs = 0;
	int rc, n = 0;
	char path[PATH_MAX + 32];

	*written = 0;
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	mf_buf_init(&line, 1u << 20);
	mf_buf_addf(&out, "! mailferry %s: %s post office %s, code page %s\r\n", MF_VERSION,
		    s->format, s->tag, c->cpnum);

	/* mailboxes whose first MAILMESSAGE section is in this set */
	for (size_t i = 0; i < s->npairs; i++) {
		if (!s->pairs[i].is_new)
			continue;
		{
			struct mf_arena ma = MF_ARENA_INIT;
			struct mf_mailbox m;
			int rc2 = mf_export_mailbox_by_alias(c->ex, s->pairs[i].alias, &m, &ma, d);
			if (rc2 < 0 && rc2 != MF_ENOTFOUND) {
				mf_arena_release(&ma);
				goto fail;
			}
			if (rc2 == MF_OK && !strcmp(m.kind, "mailbox") && plan_creates_mailbox(c, m.id)) {
				char *dn = mf_xstrdup(m.display_name);
				char *gn = m.given_name ? mf_xstrdup(m.given_name) : NULL;
				char *sn = m.surname ? mf_xstrdup(m.surname) : NULL;
				char *proxy = mf_xasprintf("MIGRATE:%s", m.source_address);
				if (n++ == 0)
					mf_buf_addstr(&out, "DIRECTORY\r\nObj-Class,Mode,Common-Name,Display-Name,"
						      "Given-Name,Surname,Secondary-Proxy-Addresses,Home-Server\r\n");
				mf_buf_reset(&line);
				exw_fieldz(&line, "mailbox", EXW_NEVER, 1);
				exw_fieldz(&line, "create", EXW_NEVER, 0);
				exw_fieldz(&line, s->pairs[i].alias, EXW_DIRECTORY, 0);
				dir_field(c, &line, dn, 0);
				dir_field(c, &line, gn, 0);
				dir_field(c, &line, sn, 0);
				dir_field_q(c, &line, proxy, EXW_DOTS, 0);
				exw_fieldz(&line, "~Server", EXW_NEVER, 0);
				exw_eol(&line);
				mf_buf_add(&out, line.data, line.len);
				free(dn);
				free(gn);
				free(sn);
				free(proxy);
			}
			mf_arena_release(&ma);
		}
	}

	/* custom recipients and lists of this post office's source, once, in
	 * its first set */
	if (s->first && mf_plan_objects(c->st, &objs, &nobjs, &a, d) < 0)
		goto fail;
	if (s->first) {
		int nr = 0, nl = 0;
		for (size_t i = 0; i < nobjs; i++) {
			const struct mf_plan_object *o = &objs[i];
			if (o->action != MF_PLAN_CREATE || strcmp(o->kind, "custom") ||
			    entry_source(c, o->entry_id) != s->source_id)
				continue;
			if (nr++ == 0)
				mf_buf_addstr(&out, "\r\nDIRECTORY\r\nObj-Class,Mode,Common-Name,Display-Name,"
					      "Given-Name,Surname,Target-Address\r\n");
			{
				struct mf_buf ta;
				const char *colon = o->address ? strchr(o->address, ':') : NULL;
				mf_buf_init(&ta, 1u << 16);
				if (colon) {
					char type[32];
					snprintf(type, sizeof(type), "%.*s", (int)(colon - o->address),
						 o->address);
					exx_typed_address(&ta, type, colon + 1);
				}
				mf_buf_reset(&line);
				exw_fieldz(&line, "remote", EXW_NEVER, 1);
				exw_fieldz(&line, "create", EXW_NEVER, 0);
				exw_fieldz(&line, o->alias, EXW_DIRECTORY, 0);
				dir_field(c, &line, o->display_name ? o->display_name : o->name, 0);
				dir_field(c, &line, o->given_name, 0);
				dir_field(c, &line, o->surname, 0);
				dir_field_q(c, &line, ta.data, EXW_DOTS, 0);
				exw_eol(&line);
				mf_buf_add(&out, line.data, line.len);
				mf_buf_release(&ta);
			}
		}
		for (size_t i = 0; i < nobjs; i++) {
			const struct mf_plan_object *o = &objs[i];
			struct mf_buf mem;
			if (o->action != MF_PLAN_CREATE || strcmp(o->kind, "list") ||
			    entry_source(c, o->entry_id) != s->source_id)
				continue;
			mf_buf_init(&mem, 1u << 20);
			{
				struct mf_export_member *mm;
				size_t nmm;
				if (mf_export_list_members(c->ex, o->entry_id, &mm, &nmm, &a, d) < 0) {
					mf_buf_release(&mem);
					goto fail;
				}
				for (size_t k = 0; k < nmm; k++) {
					const char *al = NULL;
					if (mm[k].entry_id)
						al = member_alias(c, objs, nobjs, mm[k].entry_id,
								  mm[k].mailbox_alias, &a);
					if (!al) {
						mf_export_problem(c->ex, MF_WARNING, "exchange.dl-member-unresolved",
								  0, 0, "list '%s': member '%s' will not be in the "
								  "target's directory; left out of the distribution list",
								  o->name, mm[k].address);
						continue;
					}
					if (mem.len)
						mf_buf_addch(&mem, '%');
					mf_buf_addstr(&mem, al);
				}
			}
			if (nl++ == 0)
				mf_buf_addstr(&out, "\r\nDIRECTORY\r\nObj-Class,Mode,Common-Name,"
					      "Display-Name,Members\r\n");
			mf_buf_reset(&line);
			exw_fieldz(&line, "dl", EXW_NEVER, 1);
			exw_fieldz(&line, "create", EXW_NEVER, 0);
			exw_fieldz(&line, o->alias, EXW_DIRECTORY, 0);
			dir_field(c, &line, o->display_name ? o->display_name : o->name, 0);
			exw_field(&line, mem.data, mem.len, EXW_NEVER, 0);
			exw_eol(&line);
			mf_buf_add(&out, line.data, line.len);
			mf_buf_release(&mem);
		}
		n += nr + nl;
	}
	rc = MF_OK;
	if (n) {
		snprintf(path, sizeof(path), "%s/DIRECTRY.PRI", s->folder);
		rc = mf_write_atomic(path, out.data, out.len, 0644, 1, d);
		*written = rc == MF_OK;
	}
	mf_arena_release(&a);
	mf_buf_release(&out);
	mf_buf_release(&line);
	return rc;
fail:
	mf_arena_release(&a);
	mf_buf_release(&out);
	mf_buf_release(&line);
	return MF_ESTORE;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	return (x->number > y->number) - (x->number < y->number);
}

static int ex_finish(struct mf_export_ctx *c, struct mf_diag *d)
{
	for (size_t i = 0; i < c->nsets; i++) {
		struct po_set *s = &c->sets[i];
		struct mf_buf pkl;
		const char **names;
		char *kinds;
		size_t n = 0;
		int dir_written = 0, rc;
		char path[PATH_MAX + 32];

		if (!s->exists || !s->npairs)
			continue;
		if (!c->directory_skip && (rc = write_directory(c, s, &dir_written, d)) < 0)
			return rc;
		qsort(s->pairs, s->npairs, sizeof(*s->pairs), cmp_pair);
		names = mf_xcalloc(2 * s->npairs + 1, sizeof(*names));
		kinds = mf_xcalloc(2 * s->npairs + 2, 1);
		if (dir_written) {
			names[n] = mf_xstrdup("DIRECTRY.PRI");
			kinds[n++] = 'P';
		}
		for (size_t k = 0; k < s->npairs; k++) {
			names[n] = mf_xasprintf("%08d.PRI", s->pairs[k].number);
			kinds[n++] = 'P';
			names[n] = mf_xasprintf("%08d.SEC", s->pairs[k].number);
			kinds[n++] = 'S';
		}
		mf_buf_init(&pkl, MF_BUF_UNBOUNDED);
		exw_pkl(&pkl, c->cpnum, names, kinds, n);
		snprintf(path, sizeof(path), "%s/%s.PKL", s->folder, s->tag);
		rc = mf_write_atomic(path, pkl.data, pkl.len, 0644, 1, d);
		mf_buf_release(&pkl);
		for (size_t k = 0; k < n; k++)
			free((char *)names[k]);
		free(names);
		free(kinds);
		if (rc < 0)
			return rc;
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
		free(c->sets[i].pairs);
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
