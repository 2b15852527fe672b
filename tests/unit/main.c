/* SPDX-License-Identifier: MIT */
/* main.c: runs every unit-test table. */
#include "tests/unit/tests.h"

int t_run(const struct t_case *const *tables, int argc, char **argv);

int main(int argc, char **argv)
{
	static const struct t_case *const tables[] = {
		t_core, t_text, t_store, t_export, t_ccmail, t_msmail, t_plan,
		t_mime, t_files, t_exchange, t_imap, t_verify, t_dav, 0
	};
	return t_run(tables, argc, argv);
}
