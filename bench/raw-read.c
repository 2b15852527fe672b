/* SPDX-License-Identifier: MIT */
/*
 * raw-read.c: the floor under an export that must read the staged bytes.
 * Reads every attachment's data and every body part's text out of a
 * staging store once, the way the exporters get them (one prepared
 * statement each, sqlite3_column_blob, the exports' 2 MiB page cache),
 * and prints "rows bytes".  bench/run.sh times it beside the exporters
 * and cp -r of their output.
 *
 *   raw-read DB
 */
#include <sqlite3.h>
#include <stdio.h>

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	static const char *const sql[] = { "SELECT data FROM attachments",
					   "SELECT text FROM body_parts" };
	sqlite3 *db;
	long long rows = 0, bytes = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: raw-read DB\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "raw-read: %s: %s\n", argv[1], sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	sqlite3_exec(db, "PRAGMA cache_size = -2048", NULL, NULL, NULL);
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s;
		int rc;
		if (sqlite3_prepare_v2(db, sql[i], -1, &s, NULL) != SQLITE_OK) {
			fprintf(stderr, "raw-read: %s\n", sqlite3_errmsg(db));
			sqlite3_close(db);
			return 1;
		}
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (sqlite3_column_blob(s, 0))
				bytes += sqlite3_column_bytes(s, 0);
			rows++;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "raw-read: %s\n", sqlite3_errmsg(db));
			sqlite3_close(db);
			return 1;
		}
	}
	printf("%lld %lld\n", rows, bytes);
	sqlite3_close(db);
	return 0;
}
