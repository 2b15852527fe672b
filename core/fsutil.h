/* SPDX-License-Identifier: MIT */
/*
 * fsutil.h: reading input files safely, and writing output files safely.
 *
 * Input: export sets come from DOS machines, so the names in their
 * manifests and CSV files are matched case-insensitively; a name that leaves
 * the set (absolute, "..", a symbolic link whose target lies outside) is
 * refused.  Files are mapped read-only; a long file can be released behind
 * the reader (mf_map_release_before) so resident memory stays bounded.
 *
 * Output: mf_write_atomic writes a temporary file in the same folder and
 * renames it into place, so a crash never leaves a half-written file under
 * the final name.
 */
#ifndef MF_CORE_FSUTIL_H
#define MF_CORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "core/mf.h"
#include "core/rd.h"

/*
 * Resolve rel (a relative path with '/' or '\' separators, as written in a
 * manifest or CSV) inside the folder root, matching each component
 * case-insensitively when the exact name does not exist.
 * On success *out (free it) is the real path of an existing entry inside
 * root.  MF_EFORMAT for an absolute path, a ".." component, a NUL or
 * control byte, or a target outside root (also through symbolic links);
 * MF_ENOTFOUND when nothing matches.  diag names rel.
 */
int mf_path_resolve(char **out, const char *root, const char *rel,
		    struct mf_diag *diag);
/* The same below root_real, a path realpath() returned (a caller that
 * resolves many names in one folder resolves the folder once). */
int mf_path_resolve_real(char **out, const char *root_real, const char *rel,
			 struct mf_diag *diag);

/* A read-only mapping of a whole regular file. */
struct mf_map {
	const unsigned char *data;  /* never NULL (an empty file maps to "") */
	size_t len;
	int fd;
	char *path;                 /* owned copy of the path */
};

/*
 * Map path read-only.  MF_EIO (diag has errno) when it cannot be opened,
 * MF_EFORMAT when it is not a regular file.  Release with mf_map_close.
 */
int mf_map_open(struct mf_map *m, const char *path, struct mf_diag *diag);
/* Tell the kernel the bytes before off will not be read again, so their
 * pages leave this process's resident set. */
void mf_map_release_before(struct mf_map *m, uint64_t off);
/* Let the long scans of a reader over m's bytes give back the pages they
 * pass over (struct mf_rd's `passed`), so scanning a multi-gigabyte file
 * for its next line keeps the resident set small. */
void mf_map_watch(struct mf_map *m, struct mf_rd *r);
void mf_map_close(struct mf_map *m);

/* Read a whole small file (up to max bytes) into a new NUL-terminated
 * buffer; MF_ETOOBIG over max. */
int mf_read_file(char **out, size_t *len_out, const char *path, size_t max,
		 struct mf_diag *diag);

/*
 * Write data to path atomically: a temporary file "<dir>/.<name>.tmp.<pid>"
 * is written, fsynced when do_fsync, and renamed over path.  mode is the
 * file mode (e.g. 0644).  On failure nothing is left under path's name and
 * the temporary file is removed.
 */
int mf_write_atomic(const char *path, const void *data, size_t len, int mode,
		    int do_fsync, struct mf_diag *diag);

/*
 * The identity of one output folder's contents: the 32 hex digits stored in
 * DIR/.mailferry-target, created (atomically, so two runs starting at once
 * agree) the first time the folder is used.  Exporters put it in their
 * target string, so the delivery ledger belongs to this folder's contents:
 * when the folder is deleted and created again, the ledger of the old one
 * no longer says "delivered" and everything is written again.
 */
int mf_target_instance(char out[33], const char *dir, struct mf_diag *diag);

/* mkdir -p with mode; existing folders are fine (mf_mkdirs_at from the
 * current folder). */
int mf_mkdirs(const char *path, int mode, struct mf_diag *diag);
/*
 * mkdir -p of rel, a relative path below the open folder dirfd (root, its
 * name, is only for messages; NULL names rel alone).  The whole path is tried first, so a folder
 * that exists or whose parent does costs one mkdirat and no look-up of the
 * folders above dirfd; only a missing parent is made level by level.
 */
int mf_mkdirs_at(int dirfd, const char *root, const char *rel, int mode, struct mf_diag *diag);

#endif
