/* SPDX-License-Identifier: MIT */
/*
 * exchange_people.c: senders and recipients as MAILMESSAGE fields, personal address books
 * (see exchange.c and exchange_priv.h).
 */
#include "exporters/exchange/exchange_priv.h"

/* ---- rendering of people ---- */

/* X.400 in ';' form to slash form, leaving out empty attributes. */
static void x400_slash(struct mf_buf *out, const char *a)
{
	const char *p = a;
	while (*p) {
		const char *e = strchr(p, ';');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (n && !(eq && (size_t)(eq - p) == n - 1)) {
			if (*p != '/')
				mf_buf_addch(out, '/');
			mf_buf_add(out, p, n);
		}
		p += n;
		if (*p == ';')
			p++;
	}
}

/* "TYPE:address" (UTF-8) of a party, or "" when unknown. */
void exx_typed_address(struct mf_buf *out, const char *type, const char *address)
{
	if (!type || !*type || !address || !*address)
		return;
	mf_buf_addstr(out, type);
	mf_buf_addch(out, ':');
	if (!strcmp(type, "X400") && strchr(address, ';'))
		x400_slash(out, address);
	else
		mf_buf_addstr(out, address);
}

/*
 * One sender or recipient for a MAILMESSAGE field, encoded: the display
 * name of a directory object that will exist in the address book, else
 * "Name [TYPE:address]" (contract 4.4 "Recipients").
 */
void exx_render_party(struct mf_export_ctx *c, struct mf_buf *out, int64_t entry_id,
		      const char *name, const char *type, const char *address,
		      const char *raw)
{
	struct mf_buf t, u;
	size_t r = 0;

	mf_buf_init(&t, 1u << 16);
	mf_buf_init(&u, 1u << 16);
	if (entry_id > 0) {
		struct name_slot *slot = &c->names[(uint64_t)entry_id % NAME_CACHE];
		struct mf_arena a = MF_ARENA_INIT;
		struct mf_export_entry e;
		if (slot->entry_id == entry_id) {
			if (slot->name) {
				mf_buf_addstr(out, slot->name);
				goto done;
			}
			goto typed;
		}
		if (mf_export_entry(c->ex, entry_id, &e, &a, NULL) == MF_OK)
			mf_buf_addstr(&t, e.mailbox_display_name ? e.mailbox_display_name
					  : e.display_name ? e.display_name : "");
		mf_arena_release(&a);
		free(slot->name);
		slot->entry_id = entry_id;
		slot->name = NULL;
		if (t.len) {
			size_t start = out->len;
			exw_encode_name(out, c->cs, t.data, &r);
			slot->name = mf_xstrndup(out->data + start, out->len - start);
			goto done;
		}
	}
typed:
	exx_typed_address(&u, type, address);
	if (!name || !*name)
		name = address && *address ? address : raw ? raw : "";
	exw_encode_name(out, c->cs, name, &r);
	if (u.len) {
		/* ';' would split the value; ']' would end the brackets early */
		for (size_t i = 0; i < u.len; i++)
			if (u.data[i] == ';')
				u.data[i] = ',';
			else if (u.data[i] == ']')
				u.data[i] = ')';
		mf_buf_addstr(out, " [");
		exw_encode_name(out, c->cs, u.data, &r);
		mf_buf_addch(out, ']');
	}
done:
	c->repl += (int64_t)r;
	mf_buf_release(&t);
	mf_buf_release(&u);
}

/* ---- personal address books (contract 4.3) ---- */

static void pab_address(struct mf_export_ctx *c, struct mf_buf *out, const char *type,
			const char *address, const char *display)
{
	struct mf_buf t;
	mf_buf_init(&t, 1u << 16);
	if (type && *type && address && *address) {
		exx_typed_address(&t, type, address);
	} else if (address && *address) {
		/* a bare Internet address is SMTP (KB253196); a cc:Mail name is CCMAIL */
		if (strchr(address, '@') && !strstr(address, " at "))
			mf_buf_addf(&t, "SMTP:%s", address);
		else if (strchr(address, ':'))
			mf_buf_addstr(&t, address);
		else
			mf_buf_addf(&t, "CCMAIL:%s", address);
	} else {
		mf_buf_addf(&t, "USER:%s", display ? display : "");
	}
	exw_encode_name(out, c->cs, t.data, NULL);
	mf_buf_release(&t);
}

int exx_ex_put_pab(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		   const struct mf_pab_entry *e, size_t n, struct mf_put_result *res,
		   struct mf_diag *d)
{
	struct mf_buf v, t;
	(void)d;
	if (strcmp(mb->kind, "mailbox"))
		return MF_OK;
	mf_buf_init(&v, 1u << 20);
	mf_buf_init(&t, 1u << 20);
	mf_buf_addstr(&c->pab, "PAB");
	mf_buf_addstr(&t, "MIGRATE:");
	mf_buf_addstr(&t, mb->source_address);
	exx_enc_line(c, &v, t.data);
	exw_field(&c->pab, v.data, v.len, EXW_DOTS, 0);
	exw_eol(&c->pab);
	mf_buf_addstr(&c->pab, EXW_PAB_HEADER);
	for (size_t i = 0; i < n; i++) {
		int dl = e[i].kind && !strcmp(e[i].kind, "dl");
		exw_fieldz(&c->pab, dl ? "dl" : "entry", EXW_NEVER, 1);
		mf_buf_reset(&v);
		exw_encode_name(&v, c->cs, e[i].display_name, NULL);
		exw_field(&c->pab, v.data, v.len, EXW_PLAIN, 0);
		mf_buf_reset(&v);
		if (dl) {
			for (size_t k = 0; k < e[i].n_members; k++) {
				const struct mf_pab_member *m = &e[i].members[k];
				if (k)
					mf_buf_addch(&v, ';');
				if (m->member_pab_id) {
					for (size_t j = 0; j < n; j++)
						if (e[j].id == m->member_pab_id)
							exw_encode_name(&v, c->cs, e[j].display_name, NULL);
				} else if (m->entry_id) {
					struct mf_arena a = MF_ARENA_INIT;
					struct mf_export_entry en;
					if (mf_export_entry(c->ex, m->entry_id, &en, &a, NULL) == MF_OK)
						pab_address(c, &v, en.address_type, en.address, en.display_name);
					mf_arena_release(&a);
				} else {
					pab_address(c, &v, NULL, m->address, m->address);
				}
			}
			if (!e[i].n_members)
				mf_export_problem(c->ex, MF_WARNING, "exchange.empty-pab-list", mb->id, 0,
						  "personal list '%s' has no members", e[i].display_name);
		} else {
			pab_address(c, &v, e[i].address_type, e[i].address, e[i].display_name);
		}
		exw_field(&c->pab, v.data, v.len, EXW_DOTS | EXW_MULTI, 0);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			exw_fieldz(&c->pab, (dl && f != MF_PAB_NOTE) ? NULL : exx_enc_line(c, &v, e[i].field[f]),
				   EXW_PLAIN, 0);
		exw_eol(&c->pab);
	}
	c->pab_pending = 1;
	c->content = 1;
	res->state = MF_PUT_PENDING;
	mf_buf_release(&v);
	mf_buf_release(&t);
	return MF_OK;
}
