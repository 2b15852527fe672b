#!/usr/bin/env python3
"""pstmut.py: damage a PST file in one chosen way, for the reader's tests.

usage: pstmut.py IN OUT KIND    write the damaged copy; print the text the
                                verifier must report for it
       pstmut.py IN - counts    print pstdump.py's counts of IN as
                                "nodes N blocks N pages N folders N messages N"

KIND: block-crc, trailer-bid, amap-bit, contents-row, message-size (one
check each, every other CRC kept right), subject (one letter of a
message's subject changed, every CRC kept right: for `verify pst`), and the hostile ones: nbt-loop,
bbt-loop, block-outside, block-ib-2^32, eof-2^32, nbt-root-2^32, bbt-cb-max.

Structures are located with pstdump.py (next to this file), a reader that
shares nothing with mailferry's C reader.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pstdump  # noqa: E402

# pstdump checks CRCs with its table code on files under 16 MiB; its zlib
# form gives the same values (it checks that itself) and is much quicker
pstdump.pst_crc = pstdump.pst_crc_fast


def crc(b):
    return pstdump.pst_crc_fast(bytes(b))


def fix_block(d, e):
    """Recompute the CRC of block e (a pstdump BBT entry) in d."""
    size = (e["cb"] + 16 + 63) & ~63
    struct.pack_into("<I", d, e["ib"] + size - 12, crc(d[e["ib"]:e["ib"] + e["cb"]]))


def fix_page(d, ib):
    struct.pack_into("<I", d, ib + 500, crc(d[ib:ib + 496]))


def fix_header(d):
    struct.pack_into("<I", d, 4, crc(d[8:8 + 471]))
    struct.pack_into("<I", d, 524, crc(d[8:8 + 516]))


def data_entries(p, node):
    """BBT entries of a node's data blocks, in order."""
    return [p.bbt[t[1] & ~1] for t in node.tree if t[0] == "data"]


def heap_offset(p, node, heap, hid):
    """File offset of heap allocation hid."""
    blk = hid >> 16
    idx = (hid >> 5) & 0x7FF
    e = data_entries(p, node)[blk]
    return e, e["ib"] + heap.pages[blk]["rgibAlloc"][idx - 1]


def messages(p):
    return [n for n in p.nbt_order if n & 0x1F == 4]


def contents_row(p, d):
    """Change a 4-byte value in the first row of a contents table that has rows."""
    for nid in p.nbt_order:
        if nid & 0x1F != 0xE:
            continue
        e = p.nbt[nid]
        node = pstdump.Node(p, nid, e["bidData"], e["bidSub"], "x")
        tc = pstdump.TC(node)
        if not tc.rowids:
            continue
        rowid = [r for r, i in tc.rowids if i == 0][0]
        for want in (0x0E170003, 0x0E070003, 0x00170003, 0x0E080003):
            col = [c for c in tc.cols if c["tag"] == want]
            if col:
                break
        else:
            continue
        col = col[0]
        if tc.hnidRows & 0x1F == 0:
            be, off = heap_offset(p, node, tc.heap, tc.hnidRows)
        else:
            sn = node.subnode(tc.hnidRows)
            be = data_entries(p, sn)[0]
            off = be["ib"]
        at = off + col["ibData"]
        old = struct.unpack_from("<I", d, at)[0]
        struct.pack_into("<I", d, at, old ^ 0x55)
        fix_block(d, be)
        return "row 0x%X: column 0x%08X is" % (rowid, want)
    raise SystemExit("no contents table with rows")


def message_size(p, d):
    nid = messages(p)[0]
    e = p.nbt[nid]
    node = pstdump.Node(p, nid, e["bidData"], e["bidSub"], "x")
    pc = pstdump.PC(node)
    bth = pc.bth
    if bth.bIdxLevels:
        raise SystemExit("message PC with index levels")
    be, off = heap_offset(p, node, pc.heap, bth.hidRoot)
    for i, (key, ent) in enumerate(bth.records):
        if struct.unpack("<H", key)[0] == 0x0E08:
            at = off + i * 8 + 4
            struct.pack_into("<I", d, at, struct.unpack_from("<I", d, at)[0] + 64)
            fix_block(d, be)
            return "node 0x%X: PidTagMessageSize" % nid
    raise SystemExit("no PidTagMessageSize")


def subject(p, d):
    """Change one letter of a message's subject (its heap block's CRC kept
    right): a file every structural check passes whose content differs."""
    for nid in messages(p):
        e = p.nbt[nid]
        node = pstdump.Node(p, nid, e["bidData"], e["bidSub"], "x")
        pc = pstdump.PC(node)
        prop = pc.get(0x0037)
        if prop is None or prop[2] & 0x1F != 0 or len(prop[3]) < 6:
            continue
        be, off = heap_offset(p, node, pc.heap, prop[2])
        for i in range(4, len(prop[3]), 2):   # past the prefix marker
            c = d[off + i]
            if d[off + i + 1] == 0 and (0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A):
                d[off + i] = c ^ 0x20
                fix_block(d, be)
                return "node 0x%X: subject" % nid
    raise SystemExit("no message with a subject")


def amap_bit(p, d):
    eof = len(d)
    ib = 0x4400
    while ib < eof:
        n = min(496 * 8, (eof - ib) // 64)
        for i in range(n):
            if not d[ib + i // 8] & (0x80 >> (i % 8)):
                d[ib + i // 8] |= 0x80 >> (i % 8)
                fix_page(d, ib)
                return "AMap bit for offset %d is allocated" % (ib + i * 64)
        ib += 0x3E000
    raise SystemExit("no free AMap slot")


def first_btree_index_page(p, kind):
    for pg in p.bt_pages:
        if pg["kind"] == kind and pg["cLevel"] > 0:
            return pg
    return None


def loop(p, d, kind):
    """Point an index entry of the tree back at the root page."""
    pg = first_btree_index_page(p, kind)
    if pg is None:
        raise SystemExit("%s has one level: generate more messages" % kind)
    ib = pg["ib"]
    key, cbid, cib = struct.unpack_from("<QQQ", d, ib)
    struct.pack_into("<QQQ", d, ib + 24 * (pg["cEnt"] - 1), pg["keys"][-1][0], pg["bid"], ib)
    fix_page(d, ib)
    return "reached twice"


def main():
    src, dst, kind = sys.argv[1:4]
    p = pstdump.PST(src)
    if kind == "counts":
        print("nodes %d blocks %d pages %d folders %d messages %d" % (
            len(p.nbt), len(p.bbt), len(p.bt_pages),
            sum(1 for n in p.nbt if n & 0x1F in (2, 3)), len(messages(p))))
        return 0
    d = bytearray(p.data)
    msg_nid = messages(p)[0] if messages(p) else 0x21
    me = p.nbt[msg_nid]
    be = p.bbt[me["bidData"] & ~1]
    size = (be["cb"] + 16 + 63) & ~63
    if kind == "block-crc":
        struct.pack_into("<I", d, be["ib"] + size - 12,
                         struct.unpack_from("<I", d, be["ib"] + size - 12)[0] ^ 1)
        out = "block 0x%X: CRC" % be["bid"]
    elif kind == "trailer-bid":
        struct.pack_into("<Q", d, be["ib"] + size - 8, be["bid"] + 4)
        out = "block 0x%X: trailer BID" % be["bid"]
    elif kind == "amap-bit":
        out = amap_bit(p, d)
    elif kind == "contents-row":
        out = contents_row(p, d)
    elif kind == "message-size":
        out = message_size(p, d)
    elif kind == "subject":
        out = subject(p, d)
    elif kind == "nbt-loop":
        out = loop(p, d, "NBT")
    elif kind == "bbt-loop":
        out = loop(p, d, "BBT")
    elif kind in ("block-outside", "block-ib-2^32", "bbt-cb-max"):
        # change the BBT leaf entry of the message's data block
        page = be["page_ib"]
        for i in range(20):
            if struct.unpack_from("<Q", d, page + i * 24)[0] & ~1 == be["bid"] & ~1:
                if kind == "block-outside":
                    struct.pack_into("<Q", d, page + i * 24 + 8, len(d) + 4096)
                elif kind == "block-ib-2^32":
                    struct.pack_into("<Q", d, page + i * 24 + 8, 1 << 32)
                else:
                    struct.pack_into("<H", d, page + i * 24 + 16, 0xFFFF)
                break
        fix_page(d, page)
        out = "block 0x%X" % be["bid"]
    elif kind == "eof-2^32":
        struct.pack_into("<Q", d, 184, 1 << 32)
        fix_header(d)
        out = "file is cut"
    elif kind == "nbt-root-2^32":
        struct.pack_into("<Q", d, 224, 1 << 32)
        fix_header(d)
        out = "outside the file"
    else:
        raise SystemExit("unknown kind " + kind)
    with open(dst, "wb") as fh:
        fh.write(d)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
