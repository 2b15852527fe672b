#!/usr/bin/env python3
"""pstgen.py: write small Unicode PST files for the PST reader's tests.

A test-input generator, independent of mailferry's PST writer (written from
[MS-PST] for tests only): unencoded blocks, one or many heap blocks per node,
B-trees of any depth, data trees through XBLOCKs, subnode trees through one
SLBLOCK, the nodes [MS-PST] 2.7.1 requires, and folders with messages,
recipients and attachments whose tables agree with their nodes.

usage: pstgen.py OUT [--folders N] [--messages N] [--attach-every K]
                     [--attach-size BYTES] [--nested] [--no-pad] [--json FILE]

--json writes what was put in (folders, subjects, attachments with sha256)
so a test can compare it with `mailferry inspect pst --json`.
"""
import argparse
import hashlib
import json
import struct
import sys
import zlib

PAGE = 512
AMAP0 = 0x4400
SPAN = 0x3E000
MAXDATA = 8176

# ---------------------------------------------------------------- CRC, sig
_T = []
for _i in range(256):
    _c = _i
    for _k in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    _T.append(_c)


def crc(b, c=0):
    if len(b) > 64:   # the same CRC, from zlib: pre- and post-inverted
        return zlib.crc32(b, c ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c


def sig(ib, bid):
    w = (ib ^ bid) & 0xFFFFFFFF
    return ((w >> 16) ^ w) & 0xFFFF


def align(n, a):
    return (n + a - 1) // a * a


# ---------------------------------------------------------------- values
PT_I32, PT_BOOL, PT_I64, PT_TIME, PT_STR, PT_BIN, PT_I16 = 3, 0xB, 0x14, 0x40, 0x1F, 0x102, 2
FIXED = {2: 2, 3: 4, 4: 4, 0xA: 4, 0xB: 1, 5: 8, 6: 8, 7: 8, 0x14: 8, 0x40: 8}


def enc(ptype, v):
    """Canonical bytes of a value."""
    if ptype == PT_STR:
        return v.encode("utf-16-le")
    if ptype == PT_BIN:
        return bytes(v)
    if ptype == PT_BOOL:
        return b"\x01" if v else b"\x00"
    if ptype == PT_I16:
        return struct.pack("<H", v & 0xFFFF)
    if ptype == PT_I32:
        return struct.pack("<I", v & 0xFFFFFFFF)
    if ptype in (PT_I64, PT_TIME):
        return struct.pack("<Q", v)
    raise ValueError(ptype)


def filetime(unix):
    return (unix + 11644473600) * 10000000


# ---------------------------------------------------------------- heap
class Heap:
    """A heap-on-node over one or more blocks."""

    def __init__(self, client):
        self.client = client
        self.blocks = [[]]          # allocations per block
        self.root = 0

    def hdr_size(self, i):
        if i == 0:
            return 12
        return 66 if (i - 8) % 128 == 0 and i >= 8 else 2

    def used(self, i):
        a = self.blocks[i]
        return self.hdr_size(i) + sum(len(x) for x in a) + 4 + 2 * (len(a) + 1) + 1

    def alloc(self, data):
        data = bytes(data)
        assert len(data) <= 3580
        i = len(self.blocks) - 1
        if self.used(i) + len(data) + 2 > MAXDATA or len(self.blocks[i]) >= 2000:
            self.blocks.append([])
            i += 1
        self.blocks[i].append(data)
        return (i << 16) | (len(self.blocks[i]) << 5)

    def serialize(self):
        out = []
        for i, a in enumerate(self.blocks):
            body = b"".join(a)
            hs = self.hdr_size(i)
            ibh = hs + len(body)
            ibh += ibh & 1
            if i == 0:
                hdr = struct.pack("<HBBI4s", ibh, 0xEC, self.client, self.root, b"\0" * 4)
            elif hs == 66:
                hdr = struct.pack("<H", ibh) + b"\0" * 64
            else:
                hdr = struct.pack("<H", ibh)
            offs = [hs]
            for x in a:
                offs.append(offs[-1] + len(x))
            blk = hdr + body
            blk += b"\0" * (ibh - len(blk))
            blk += struct.pack("<HH", len(a), 0) + b"".join(struct.pack("<H", o) for o in offs)
            out.append(blk)
        return out


def bth(heap, cbkey, cbent, recs):
    """recs: sorted list of (keybytes, entbytes); returns the BTH header HID."""
    per = 3580 // (cbkey + cbent)
    level = 0
    if not recs:
        return heap.alloc(struct.pack("<BBBBI", 0xB5, cbkey, cbent, 0, 0))
    items = [(k, k + e) for k, e in recs]
    while True:
        groups = [items[i:i + per] for i in range(0, len(items), per)]
        hids = [(g[0][0], heap.alloc(b"".join(r for _, r in g))) for g in groups]
        if len(hids) == 1:
            return heap.alloc(struct.pack("<BBBBI", 0xB5, cbkey, cbent, level, hids[0][1]))
        level += 1
        per = 3580 // (cbkey + 4)
        items = [(k, k + struct.pack("<I", h)) for k, h in hids]


# ---------------------------------------------------------------- nodes
class Node:
    def __init__(self, nid, data_blocks, subs=None, parent=0):
        self.nid = nid
        self.blocks = data_blocks       # list of bytes (each <= 8176), or [] for none
        self.subs = subs or []          # list of Node (subnodes)
        self.parent = parent

    def total(self):
        return sum(len(b) for b in self.blocks) + sum(s.total() for s in self.subs)


class SubAlloc:
    """NIDs for subnodes of one node (type 0x1F values)."""

    def __init__(self):
        self.n = 0

    def nid(self, t=0x1F):
        self.n += 1
        return (self.n << 5) | t


def chunk(data):
    return [data[i:i + MAXDATA] for i in range(0, len(data), MAXDATA)] or [b""]


def pc_node(nid, props, subs=None, parent=0, sa=None):
    """props: list of (id, type, value).  Big values go to subnodes."""
    heap = Heap(0xBC)
    subs = list(subs or [])
    sa = sa or SubAlloc()
    recs = []
    for pid, pt, v in sorted(props, key=lambda p: p[0]):
        b = enc(pt, v)
        if pt in FIXED and FIXED[pt] <= 4:
            raw = struct.unpack("<I", (b + b"\0\0\0\0")[:4])[0]
        elif len(b) == 0 and pt in (PT_STR, PT_BIN):
            raw = 0
        elif len(b) <= 3580:
            raw = heap.alloc(b)
        else:
            snid = sa.nid()
            subs.append(Node(snid, chunk(b)))
            raw = snid
        recs.append((struct.pack("<H", pid), struct.pack("<HI", pt, raw)))
    heap.root = bth(heap, 2, 6, recs)
    return Node(nid, heap.serialize(), subs, parent)


def tc_node(nid, cols, rows, parent=0, subs=None):
    """cols: list of (tag); rows: list of (rowid, {tag: value}).  Returns Node."""
    heap = Heap(0x7C)
    subs = list(subs or [])
    sa = SubAlloc()
    tags = [0x67F20003, 0x67F30003] + [t for t in cols if t not in (0x67F20003, 0x67F30003)]

    def size(t):
        return FIXED.get(t & 0xFFFF, 4)
    # layout: RowId, RowVer, 8-byte, 4-byte, 2-byte, 1-byte, CEB
    lay = {}
    off = 8
    lay[0x67F20003] = 0
    lay[0x67F30003] = 4
    for want in (8, 4):
        for t in tags[2:]:
            if size(t) == want:
                lay[t] = off
                off += want
    e4 = off
    for t in tags[2:]:
        if size(t) == 2:
            lay[t] = off
            off += 2
    e2 = off
    for t in tags[2:]:
        if size(t) == 1:
            lay[t] = off
            off += 1
    e1 = off
    bits = {t: i for i, t in enumerate(tags)}
    rowsize = e1 + (len(tags) + 7) // 8
    matrix = []
    for rowid, vals in rows:
        r = bytearray(rowsize)
        vals = dict(vals)
        vals[0x67F20003] = rowid
        vals.setdefault(0x67F30003, 1)
        for t, v in vals.items():
            pt = t & 0xFFFF
            b = enc(pt, v)
            if pt in FIXED:
                r[lay[t]:lay[t] + len(b)] = b
            elif len(b) == 0:
                pass
            elif len(b) <= 3580:
                r[lay[t]:lay[t] + 4] = struct.pack("<I", heap.alloc(b))
            else:
                snid = sa.nid()
                subs.append(Node(snid, chunk(b)))
                r[lay[t]:lay[t] + 4] = struct.pack("<I", snid)
            bi = bits[t]
            r[e1 + bi // 8] |= 0x80 >> (bi % 8)
        matrix.append(bytes(r))
    ri = bth(heap, 4, 4, [(struct.pack("<I", rid), struct.pack("<I", i))
                          for rid, i in sorted((rid, i) for i, (rid, _) in enumerate(rows))])
    if not matrix:
        hrows = 0
    elif len(matrix) * rowsize <= 3580:
        hrows = heap.alloc(b"".join(matrix))
    else:
        per = MAXDATA // rowsize
        blocks = [b"".join(matrix[i:i + per]) for i in range(0, len(matrix), per)]
        hrows = sa.nid()
        subs.append(Node(hrows, blocks))
    info = struct.pack("<BB4HIII", 0x7C, len(tags), e4, e2, e1, rowsize, ri, hrows, 0)
    for t in sorted(tags):
        info += struct.pack("<IHBB", t, lay[t], size(t), bits[t])
    heap.root = heap.alloc(info)
    return Node(nid, heap.serialize(), subs, parent)


# ---------------------------------------------------------------- file
class File:
    def __init__(self):
        self.buf = bytearray(AMAP0 + 2 * PAGE)
        self.cur = AMAP0 + 2 * PAGE
        self.bid = 4
        self.pbid = 0x100
        self.bbt = []    # (bid, ib, cb, cref)
        self.nbt = []    # (nid, bidData, bidSub, parent)
        self.pages = []  # ib
        self.maps = []   # (ib, ptype)

    def room(self, n, a):
        while True:
            c = align(self.cur, a)
            s = (c - AMAP0) // SPAN
            nxt = AMAP0 + (s + 1) * SPAN
            if c + n <= nxt:
                if c < AMAP0 + s * SPAN + self.mapbytes(s):
                    self.cur = AMAP0 + s * SPAN + self.mapbytes(s)
                    continue
                self.cur = c + n
                if len(self.buf) < self.cur:
                    self.buf.extend(b"\0" * (self.cur - len(self.buf)))
                return c
            self.cur = nxt

    @staticmethod
    def mapbytes(s):
        return 2 * PAGE if s % 8 == 0 else PAGE

    def block(self, data, internal=False):
        bid = self.bid | (2 if internal else 0)
        self.bid += 4
        span = align(len(data) + 16, 64)
        ib = self.room(span, 64)
        b = bytes(data) + b"\0" * (span - 16 - len(data))
        b += struct.pack("<HHIQ", len(data), sig(ib, bid), crc(data), bid)
        self.buf[ib:ib + span] = b
        self.bbt.append((bid, ib, len(data), 2))
        return bid

    def data_tree(self, blocks):
        if not blocks or (len(blocks) == 1 and not blocks[0]):
            return 0 if not blocks else self.block(b"")
        bids = [self.block(b) for b in blocks]
        if len(bids) == 1:
            return bids[0]
        total = sum(len(b) for b in blocks)
        xs = []
        for i in range(0, len(bids), 1021):
            part = bids[i:i + 1021]
            tot = sum(len(b) for b in blocks[i:i + 1021])
            xs.append(self.block(struct.pack("<BBHI", 1, 1, len(part), tot) +
                                 b"".join(struct.pack("<Q", x) for x in part), True))
        if len(xs) == 1:
            return xs[0]
        return self.block(struct.pack("<BBHI", 1, 2, len(xs), total) +
                          b"".join(struct.pack("<Q", x) for x in xs), True)

    def node_bids(self, n):
        bd = self.data_tree(n.blocks)
        bs = 0
        if n.subs:
            ents = []
            for s in sorted(n.subs, key=lambda s: s.nid):
                sd, ss = self.node_bids(s)
                ents.append(struct.pack("<QQQ", s.nid, sd, ss))
            assert len(ents) <= 340
            bs = self.block(struct.pack("<BBHI", 2, 0, len(ents), 0) + b"".join(ents), True)
        return bd, bs

    def add(self, n):
        bd, bs = self.node_bids(n)
        self.nbt.append((n.nid, bd, bs, n.parent))

    def page(self, body, ptype):
        ib = self.room(PAGE, PAGE)
        bid = self.pbid
        self.pbid += 1
        b = bytes(body) + b"\0" * (496 - len(body))
        b += struct.pack("<BBHIQ", ptype, ptype, sig(ib, bid), crc(b), bid)
        self.buf[ib:ib + PAGE] = b
        self.pages.append(ib)
        return bid, ib

    def btree(self, ents, leafsize, ptype):
        """ents: sorted (key, bytes); returns root (bid, ib)."""
        per = 488 // leafsize
        level = 0
        items = ents
        while True:
            out = []
            for i in range(0, max(len(items), 1), per):
                g = items[i:i + per]
                cb = leafsize if level == 0 else 24
                body = b"".join(e for _, e in g) + b"\0" * (488 - cb * len(g))
                body += struct.pack("<BBBBI", len(g), 488 // cb, cb, level, 0)
                bid, ib = self.page(body, ptype)
                out.append((g[0][0] if g else 0, struct.pack("<QQQ", g[0][0] if g else 0, bid, ib),
                            bid, ib))
            if len(out) == 1:
                return out[0][2], out[0][3]
            level += 1
            per = 20
            items = [(k, e) for k, e, _, _ in out]

    def finish(self, pad=True):
        nbt = sorted(self.nbt)
        bbt = sorted(self.bbt)
        bbt_root = self.btree([(b, struct.pack("<QQHHI", b, ib, cb, cr, 0)) for b, ib, cb, cr in bbt],
                              24, 0x80)
        nbt_root = self.btree([(n, struct.pack("<QQQII", n, d, s, p, 0)) for n, d, s, p in nbt],
                              32, 0x81)
        eof = self.cur
        if pad:
            s = (eof - AMAP0 + SPAN - 1) // SPAN
            eof = AMAP0 + s * SPAN
        eof = align(eof, 64)
        if len(self.buf) < eof:
            self.buf.extend(b"\0" * (eof - len(self.buf)))
        nsec = (eof - AMAP0 + SPAN - 1) // SPAN
        nslots = (eof - AMAP0) // 64
        bits = bytearray(nsec * 496)

        def mark(ib, n):
            for k in range((ib - AMAP0) // 64, (ib - AMAP0 + n + 63) // 64):
                bits[k // 8] |= 0x80 >> (k % 8)
        for s in range(nsec):
            mark(AMAP0 + s * SPAN, self.mapbytes(s))
        for ib in self.pages:
            mark(ib, PAGE)
        for b, ib, cb, cr in bbt:
            mark(ib, align(cb + 16, 64))
        free = sum(1 for k in range(nslots) if not bits[k // 8] & (0x80 >> (k % 8)))
        for s in range(nsec):
            ib = AMAP0 + s * SPAN
            body = bytes(bits[s * 496:(s + 1) * 496])
            self.buf[ib:ib + PAGE] = body + struct.pack("<BBHIQ", 0x84, 0x84, 0, crc(body), ib)
            if s % 8 == 0:
                pb = b"\xff" * 496
                self.buf[ib + PAGE:ib + 2 * PAGE] = pb + struct.pack("<BBHIQ", 0x83, 0x83, 0, crc(pb),
                                                                      ib + PAGE)
        dl = b"\0" * 496
        dbid = self.pbid
        self.pbid += 1
        self.buf[0x4200:0x4400] = dl + struct.pack("<BBHIQ", 0x86, 0x86, sig(0x4200, dbid), crc(dl), dbid)
        h = bytearray(564)
        h[0:4] = b"!BDN"
        h[8:10] = b"SM"
        struct.pack_into("<HHBB", h, 10, 23, 19, 1, 1)
        struct.pack_into("<Q", h, 32, self.pbid)
        struct.pack_into("<I", h, 40, 1)
        rgnid = [0x400] * 32
        rgnid[2] = rgnid[0xD] = rgnid[0xE] = rgnid[0xF] = 0x1000
        rgnid[3] = 0x4000
        rgnid[4] = 0x20000
        rgnid[8] = 0x8000
        struct.pack_into("<32I", h, 44, *rgnid)
        last_amap = AMAP0 + (nsec - 1) * SPAN
        struct.pack_into("<IQQQQQQQQBBH", h, 180, 0, eof, last_amap, free * 64, 0,
                         nbt_root[0], nbt_root[1], bbt_root[0], bbt_root[1], 2, 0, 0)
        h[256:512] = b"\xff" * 256
        h[512] = 0x80
        h[513] = 0
        struct.pack_into("<Q", h, 516, self.bid)
        struct.pack_into("<I", h, 4, crc(bytes(h[8:8 + 471])))
        struct.pack_into("<I", h, 524, crc(bytes(h[8:8 + 516])))
        self.buf[0:564] = h
        return bytes(self.buf[:eof])


# ---------------------------------------------------------------- messaging
UID = bytes(range(0x10, 0x20))
HIER_COLS = [0x3001001F, 0x36020003, 0x36030003, 0x360A000B]
CONT_COLS = [0x00170003, 0x001A001F, 0x0037001F, 0x00390040, 0x0042001F, 0x0E03001F,
             0x0E04001F, 0x0E060040, 0x0E070003, 0x0E080003, 0x0E170003, 0x30080040]
FAI_COLS = [0x001A001F, 0x0E070003, 0x0E170003, 0x3001001F]
RECIP_COLS = [0x0C150003, 0x3001001F, 0x3002001F, 0x3003001F, 0x39FE001F, 0x0FFE0003,
              0x39000003]
ATT_COLS = [0x0E200003, 0x3704001F, 0x37050003, 0x370B0003]


def eid(nid):
    return b"\0" * 4 + UID + struct.pack("<I", nid)


def folder_pc(nid, parent, name, count, unread, has_sub, comment=None):
    props = [(0x3001, PT_STR, name), (0x3602, PT_I32, count), (0x3603, PT_I32, unread),
             (0x360A, PT_BOOL, has_sub)]
    if comment is not None:
        props.append((0x3004, PT_STR, comment))
    return pc_node(nid, props, parent=parent)


def message(nid, parent, i, folder, att_every, att_size, want):
    t = 1700000000 + i * 3600
    subj = "%s message %d" % (folder, i)
    read = i % 3 != 0
    recips = [(1, "Alice Example", "alice@example.com"), (2, "Bob Example", "bob@example.com")]
    subs = []
    rows = []
    for k, (rt, name, addr) in enumerate(recips):
        rows.append((k, {0x0C150003: rt, 0x3001001F: name, 0x3002001F: "SMTP",
                         0x3003001F: addr, 0x39FE001F: addr, 0x0FFE0003: 6, 0x39000003: 0}))
    subs.append(tc_node(0x692, RECIP_COLS, rows))
    atts = []
    if att_every and i % att_every == 0:
        size = att_size + i * 37
        pat = bytes((j * 7 + i) & 0xFF for j in range(256))
        data = (pat * (size // 256 + 1))[:size]
        anid = (1 << 5) | 5
        name = "file%d.bin" % i
        sa = SubAlloc()
        aprops = [(0x3701, PT_BIN, data), (0x3704, PT_STR, name), (0x3707, PT_STR, name),
                  (0x3705, PT_I32, 1), (0x370B, PT_I32, 0xFFFFFFFF),
                  (0x370E, PT_STR, "application/octet-stream"), (0x0E20, PT_I32, 0)]
        a = pc_node(anid, aprops, sa=sa)
        asz = a.total()
        aprops[-1] = (0x0E20, PT_I32, asz)
        a = pc_node(anid, aprops, sa=SubAlloc())
        assert a.total() == asz
        subs.append(a)
        subs.append(tc_node(0x671, ATT_COLS, [(anid, {0x0E200003: asz, 0x3704001F: name,
                                                      0x37050003: 1, 0x370B0003: 0xFFFFFFFF})]))
        atts.append({"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    flags = (1 if read else 0) | (0x10 if atts else 0)
    body = "Body of %s.\r\nSecond line.\r\n" % subj
    props = [(0x001A, PT_STR, "IPM.Note"), (0x0037, PT_STR, subj), (0x0039, PT_TIME, filetime(t)),
             (0x0E06, PT_TIME, filetime(t + 60)), (0x0E07, PT_I32, flags), (0x0E08, PT_I32, 0),
             (0x0E17, PT_I32, 0), (0x3007, PT_TIME, filetime(t)), (0x3008, PT_TIME, filetime(t + 60)),
             (0x300B, PT_BIN, hashlib.md5(subj.encode()).digest()), (0x0017, PT_I32, 1),
             (0x0042, PT_STR, "Carol Sender"), (0x0065, PT_STR, "carol@example.com"),
             (0x0C1A, PT_STR, "Carol Sender"), (0x0C1E, PT_STR, "SMTP"),
             (0x0C1F, PT_STR, "carol@example.com"), (0x0E04, PT_STR, "Alice Example"),
             (0x0E03, PT_STR, "Bob Example"), (0x1000, PT_STR, body)]
    n = pc_node(nid, props, subs=subs, parent=parent)
    size = n.total()
    props[5] = (0x0E08, PT_I32, size)
    n = pc_node(nid, props, subs=subs, parent=parent)
    assert n.total() == size
    row = {0x00170003: 1, 0x001A001F: "IPM.Note", 0x0037001F: subj, 0x00390040: filetime(t),
           0x0042001F: "Carol Sender", 0x0E03001F: "Bob Example", 0x0E04001F: "Alice Example",
           0x0E060040: filetime(t + 60), 0x0E070003: flags, 0x0E080003: size, 0x0E170003: 0,
           0x30080040: filetime(t + 60)}
    want.append({"subject": subj, "read": read, "attachments": atts})
    return n, row, read


def build(a):
    f = File()
    nodes = []
    # folders under the IPM subtree: (nid, parent, name)
    user = []
    names = ["Inbox", "Sent Items", "Drafts", "Outbox", "Archive", "Projects", "Old"]
    for k in range(a.folders):
        user.append(((0x404 + k) << 5 | 2, 0x8022, names[k % len(names)] + ("" if k < len(names) else str(k))))
    if a.nested and user:
        user.append(((0x404 + a.folders) << 5 | 2, user[0][0], "Sub of " + user[0][2]))
    msgs = {}
    mi = 0
    want = {"folders": []}
    for fi, (fnid, _, fname) in enumerate(user):
        lst = []
        wf = {"name": fname, "messages": []}
        count = a.messages if fi == 0 else max(0, a.messages // (fi + 1))
        for i in range(count):
            mnid = ((0x10000 + mi + 1) << 5) | 4
            mi += 1
            n, row, read = message(mnid, fnid, i, fname, a.attach_every, a.attach_size,
                                   wf["messages"])
            nodes.append(n)
            lst.append((mnid, row, read))
        msgs[fnid] = lst
        want["folders"].append(wf)
    allf = [(0x8062, 0x8022, "Deleted Items")] + user
    kids = {}
    for nid, parent, name in allf:
        kids.setdefault(parent, []).append(nid)
    info = {nid: (parent, name) for nid, parent, name in allf}

    def tables(fnid, hier_rows, cont):
        b = fnid & ~0x1F
        nodes.append(tc_node(b | 0xD, HIER_COLS, hier_rows))
        nodes.append(tc_node(b | 0xE, CONT_COLS, [(m, r) for m, r, _ in cont]))
        nodes.append(tc_node(b | 0xF, FAI_COLS, []))

    def hrow(nid, name, count, unread, sub):
        return (nid, {0x3001001F: name, 0x36020003: count, 0x36030003: unread, 0x360A000B: sub})

    def fstats(nid):
        lst = msgs.get(nid, [])
        return len(lst), sum(1 for _, _, r in lst if not r), bool(kids.get(nid))
    for nid, parent, name in allf:
        c, u, s = fstats(nid)
        nodes.append(folder_pc(nid, parent, name, c, u, s,
                               "Deleted Items folder" if nid == 0x8062 else None))
        tables(nid, [hrow(k, info[k][1], *fstats(k)) for k in kids.get(nid, [])], msgs.get(nid, []))
    # IPM subtree, search root, root, spam search folder
    nodes.append(folder_pc(0x8022, 0x122, "Top of Personal Folders", 0, 0, True))
    tables(0x8022, [hrow(k, info[k][1], *fstats(k)) for k in kids[0x8022]], [])
    nodes.append(folder_pc(0x8042, 0x122, "Search Root", 0, 0, False))
    tables(0x8042, [], [])
    nodes.append(folder_pc(0x2223, 0x122, "SPAM Search Folder 2", 0, 0, False))
    nodes.append(folder_pc(0x122, 0x122, "", 0, 0, True))
    tables(0x122, [hrow(0x8022, "Top of Personal Folders", 0, 0, True),
                   hrow(0x8042, "Search Root", 0, 0, False),
                   hrow(0x2223, "SPAM Search Folder 2", 0, 0, False)], [])
    # store, name map, search nodes, templates
    nodes.append(pc_node(0x21, [(0x0FF9, PT_BIN, UID), (0x3001, PT_STR, "pstgen test store"),
                                (0x35DF, PT_I32, 0x89), (0x35E0, PT_BIN, eid(0x8022)),
                                (0x35E3, PT_BIN, eid(0x8062)), (0x35E7, PT_BIN, eid(0x8042)),
                                (0x67FF, PT_I32, 0)]))
    # one numeric name in PS_MAPI (wGuid 1): NPID 0x8000, in its hash bucket
    ent = struct.pack("<IHH", 0x8001, 1 << 1, 0)
    nodes.append(pc_node(0x61, [(0x0001, PT_I32, 251), (0x0002, PT_BIN, b"\0" * 16),
                                (0x0003, PT_BIN, ent), (0x0004, PT_BIN, b"\0" * 4),
                                (0x1000 + (0x8001 ^ 2) % 251, PT_BIN, ent)]))
    nodes.append(Node(0x1E1, []))
    nodes.append(Node(0x201, [struct.pack("<I", 0x2223)]))
    nodes.append(tc_node(0x60D, HIER_COLS, []))
    nodes.append(tc_node(0x60E, CONT_COLS, []))
    nodes.append(tc_node(0x60F, FAI_COLS, []))
    nodes.append(tc_node(0x610, CONT_COLS, []))
    nodes.append(tc_node(0x671, ATT_COLS, []))
    nodes.append(tc_node(0x692, RECIP_COLS, []))
    for n in sorted(nodes, key=lambda n: n.nid):
        f.add(n)
    return f.finish(not a.no_pad), want


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--folders", type=int, default=2)
    ap.add_argument("--messages", type=int, default=3)
    ap.add_argument("--attach-every", type=int, default=2)
    ap.add_argument("--attach-size", type=int, default=1000)
    ap.add_argument("--nested", action="store_true")
    ap.add_argument("--no-pad", action="store_true",
                    help="end the file at its last page, not at the end of its AMap "
                    "section as Outlook does (small fuzz seeds)")
    ap.add_argument("--json")
    a = ap.parse_args()
    data, want = build(a)
    with open(a.out, "wb") as fh:
        fh.write(data)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(want, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
