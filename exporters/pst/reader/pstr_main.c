/* SPDX-License-Identifier: MIT */
/* pstr_main.c: `mailferry inspect pst FILE [--json]`: run every check of the
 * PST reader over one file and print the problems and a summary. */
#include "exporters/pst/reader/pstr.h"
#include "exporters/pst/reader/pstr_inspect.h"
#include "core/json.h"

#include <stdio.h>
#include <string.h>

struct out {
	int json;
	const char *name;
	struct mf_buf problems;
	long shown;
};

static void on_problem(void *ctx, uint64_t off, uint32_t nid, const char *text)
{
	struct out *o = ctx;
	char where[64] = "";
	if (off != MF_NO_OFFSET && nid != PSTR_NO_NID)
		snprintf(where, sizeof(where), "offset %llu: node 0x%X: ", (unsigned long long)off,
			 nid);
	else if (off != MF_NO_OFFSET)
		snprintf(where, sizeof(where), "offset %llu: ", (unsigned long long)off);
	else if (nid != PSTR_NO_NID)
		snprintf(where, sizeof(where), "node 0x%X: ", nid);
	if (!o->json) {
		fprintf(stderr, "problem: %s: %s%s\n", o->name, where, text);
		return;
	}
	if (o->shown++)
		mf_buf_addch(&o->problems, ',');
	mf_buf_addch(&o->problems, '{');
	if (off != MF_NO_OFFSET)
		mf_json_kv_int(&o->problems, "offset", (int64_t)off, 1);
	else
		mf_buf_addstr(&o->problems, "\"offset\":null");
	if (nid != PSTR_NO_NID)
		mf_json_kv_int(&o->problems, "nid", nid, 0);
	mf_json_kv_str(&o->problems, "text", text, 0);
	mf_buf_addch(&o->problems, '}');
}

/* Returns the exit code: 0 valid, 1 problems, 3 unreadable. */
int pstr_inspect(const char *path, int json);
int pstr_inspect(const char *path, int json)
{
	struct pstr f;
	struct mf_diag d;
	struct out o;
	struct mf_buf jb;
	int rc;

	memset(&f, 0, sizeof(f));
	memset(&o, 0, sizeof(o));
	o.json = json;
	o.name = path;
	mf_buf_init(&o.problems, MF_BUF_UNBOUNDED);
	mf_buf_init(&jb, MF_BUF_UNBOUNDED);
	f.problem = on_problem;
	f.problem_ctx = &o;
	mf_diag_clear(&d);
	if (pstr_open_path(&f, path, &d) != MF_OK) {
		char line[1200];
		fprintf(stderr, "mailferry: %s\n", mf_diag_format(&d, line, sizeof(line)));
		pstr_close(&f);
		mf_buf_release(&o.problems);
		mf_buf_release(&jb);
		return 3;
	}
	pstr_check_ndb(&f);
	pstr_check_msg(&f, json ? &jb : NULL);
	if (json) {
		mf_buf_addstr(&o.problems, "");
		printf("{\"file\":");
		{
			struct mf_buf t;
			mf_buf_init(&t, MF_BUF_UNBOUNDED);
			mf_json_str(&t, path);
			fwrite(t.data, 1, t.len, stdout);
			mf_buf_release(&t);
		}
		printf(",\"valid\":%s,\"problems\":[%s],\"store\":%s}\n",
		       f.nproblems ? "false" : "true", o.problems.data, jb.len ? jb.data : "null");
	} else {
		printf("pst %s: %ld folders, %ld messages, %ld associated, %ld attachments, "
		       "%ld recipients; %ld nodes, %ld blocks, %ld B-tree pages; %s",
		       path, f.tot.folders, f.tot.messages, f.tot.assoc, f.tot.attachments,
		       f.tot.recipients, f.tot.nodes, f.tot.blocks, f.tot.pages,
		       f.nproblems ? "PROBLEMS FOUND" : "valid");
		if (f.nproblems)
			printf(" (%ld)", f.nproblems);
		printf("\n");
	}
	rc = f.nproblems ? 1 : 0;
	pstr_close(&f);
	mf_buf_release(&o.problems);
	mf_buf_release(&jb);
	return rc;
}

int pstr_inspect_cb(struct mf_inspect_sum *sum, const char *path, unsigned flags,
		    FILE *out, FILE *err, struct mf_diag *diag)
{
	int rc;
	(void)diag;
	fflush(out);
	fflush(err);
	rc = pstr_inspect(path, (flags & MF_INSPECT_JSON) != 0);
	fflush(stdout);
	sum->checked = 1;
	sum->unreadable = rc == 3;
	sum->invalid = rc != 0;
	return MF_OK;
}
