#!/usr/bin/env python3
"""pst_pim_mut.py: damage a contact list or task of a PST in one way, for
the verifier's tests, and print what `inspect pst` must report.

usage: pst_pim_mut.py IN OUT KIND TESTS_LIB
KIND: wrapped-type (a list member's wrapped entry ID gets type 0x8F),
pattern-frequency (a task's RecurrencePattern gets frequency 0x2010),
list-checksum (a byte of a member changes, the checksum no longer fits).
The block holding the byte gets its CRC fixed (pstmut.py), so only the
checked structure is wrong.
"""
import sys

sys.path.insert(0, sys.argv[4])
import pstdump  # noqa: E402
import pstmut  # noqa: E402
src, dst, kind = sys.argv[1:4]
p = pstdump.PST(src)
d = bytearray(p.data)
if kind == "wrapped-type":
    pat, delta, say = bytes.fromhex("C091ADD3519DCF11A4A900AA0047FAA4"), 16, "wraps an entry ID of type 0x8F"
    new = 0x8F
elif kind == "pattern-frequency":
    pat, delta, say = bytes.fromhex("04300430"), 4, "task recurrence pattern: unknown frequency"
    new = 0x10
elif kind == "list-checksum":
    pat, delta, say = bytes.fromhex("C091ADD3519DCF11A4A900AA0047FAA4"), 40, "distribution list checksum"
    new = None
at = bytes(d).find(pat)
if at < 0:
    sys.exit("pattern not found")
at += delta
d[at] = new if new is not None else d[at] ^ 0x01
for e in p.bbt.values():
    if e["ib"] <= at < e["ib"] + e["cb"]:
        pstmut.fix_block(d, e)
        break
else:
    sys.exit("no block")
open(dst, "wb").write(d)
print(say)
