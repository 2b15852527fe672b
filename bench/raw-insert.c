/* SPDX-License-Identifier: MIT */
/*
 * raw-insert.c: the floor under an import.  Reads every file under a folder
 * and inserts its bytes into a fresh SQLite database, cut into records of
 * RECORD bytes (the corpus's mean message size), with one prepared
 * statement in one transaction and the staging store's pragmas (WAL,
 * synchronous=NORMAL).  Prints "bytes records seconds".  An importer that
 * parses, converts and indexes can only be slower; bench/run.sh reports the
 * ratio.
 *
 *   raw-insert DB RECORD_BYTES FOLDER
 */
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv);

static sqlite3 *db;
static sqlite3_stmt *ins;
static size_t record;
static long long total_bytes, total_records;

static int one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	int fd;
	unsigned char *p;
	(void)ftw;
	if (flag != FTW_F || !S_ISREG(sb->st_mode) || sb->st_size == 0)
		return 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	p = mmap(NULL, (size_t)sb->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	for (off_t o = 0; o < sb->st_size; o += (off_t)record) {
		size_t n = (size_t)(sb->st_size - o) < record ? (size_t)(sb->st_size - o) : record;
		sqlite3_bind_blob64(ins, 1, p + o, n, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
		sqlite3_reset(ins);
		total_bytes += (long long)n;
		total_records++;
	}
	munmap(p, (size_t)sb->st_size);
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	if (argc != 4) {
		fprintf(stderr, "usage: raw-insert DB RECORD_BYTES FOLDER\n");
		return 2;
	}
	record = (size_t)atol(argv[2]);
	if (record == 0)
		record = 16384;
	unlink(argv[1]);
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return 1;
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
			 "PRAGMA cache_size=-8192; CREATE TABLE r (id INTEGER PRIMARY KEY, data BLOB) STRICT;",
		     NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO r(data) VALUES (?1)", -1, &ins, NULL);
	nftw(argv[3], one, 16, FTW_PHYS);
	sqlite3_finalize(ins);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld %lld %.3f\n", total_bytes, total_records,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
