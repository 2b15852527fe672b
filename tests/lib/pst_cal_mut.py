#!/usr/bin/env python3
"""pst_cal_mut.py IN OUT: copy a PST with the first recurrence blob damaged
(its ModifiedInstanceCount raised past its DeletedInstanceCount), the
block's CRC made right again, so only the blob check can notice.  The blob
is found by its first bytes (ReaderVersion, WriterVersion 0x3004) in an
unencrypted file, its block with pstdump.py (a reader mailferry did not
write)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pstdump  # noqa: E402
import pstmut  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    d = bytearray(open(src, "rb").read())
    at = d.find(b"\x04\x30\x04\x30\x0a\x20")   # a daily series
    if at < 0:
        sys.exit("no recurrence blob found")
    p = pstdump.PST(src)
    blk = [e for e in p.bbt.values() if e["ib"] <= at < e["ib"] + e["cb"]]
    if len(blk) != 1:
        sys.exit("no block holds offset %d" % at)
    # header 22 bytes, daily: no pattern-specific field; EndType, count, FirstDOW
    o = at + 22 + 12
    ndel = struct.unpack_from("<I", d, o)[0]
    o += 4 + 4 * ndel
    struct.pack_into("<I", d, o, ndel + 5)
    pstmut.fix_block(d, blk[0])
    open(dst, "wb").write(d)


if __name__ == "__main__":
    main()
