/* SPDX-License-Identifier: MIT */
/* hash.h: SHA-256 (OpenSSL), as lower-case hex, whole or streaming. */
#ifndef MF_CORE_HASH_H
#define MF_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MF_SHA256_HEX 65  /* 64 hex digits and the NUL */

struct mf_sha256 {
	void *ctx;  /* EVP_MD_CTX, owned */
};

/* hex[65] <- SHA-256 of p[0..n). */
void mf_sha256_hex(char hex[MF_SHA256_HEX], const void *p, size_t n);

void mf_sha256_init(struct mf_sha256 *h);
void mf_sha256_update(struct mf_sha256 *h, const void *p, size_t n);
/* Write the digest and release the context. */
void mf_sha256_final(struct mf_sha256 *h, char hex[MF_SHA256_HEX]);

/* hex[65] <- SHA-256 of the whole open file fd (from offset 0), *size its
 * length.  Holes are hashed as the zeros they read as, without reading
 * them (SEEK_DATA/SEEK_HOLE): reading a hole fills the page cache with
 * zeroed pages, and a PST is mostly holes (100,000 empty mailboxes would
 * fill 20 GB).  Where the file system cannot tell holes, all is read.
 * 0, or -1 with errno on a read error. */
int mf_sha256_fd(int fd, char hex[MF_SHA256_HEX], int64_t *size);

/* mf_sha256_fd of the file at path, opened without following a last
 * symbolic link: MF_OK, MF_ENOTFOUND when it does not exist, MF_EIO. */
int mf_sha256_file(const char *path, char hex[MF_SHA256_HEX], int64_t *size);

#endif
