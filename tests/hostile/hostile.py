#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hostile.py: the hostile-input suite (tests/hostile/).

    python3 tests/hostile/hostile.py --mf MAILFERRY --work DIR [--variant V]
                                     [--only PATTERN] [--table] [--no-big]

Reads the list of cases from tests/hostile/cases.tsv, builds each input in
DIR (from the sample sets in docs/sample/ or from bytes written here: no
large file is committed; the 4 GiB files are sparse, made with truncate),
runs mailferry on it under /usr/bin/time and checks what the list says:

  exit      the exit status
  problem   the problem code recorded (or "fatal": exit 3 and a message on
            stderr naming the file, and the offset when one is given)
  file      the file the problem names (relative to the set)
  offset    the byte offset it names: a number, "@name" (an offset this
            script knows from building the input), or "*" (any)
  staged    messages (or calendar items) staged from that file: the damaged
            unit is skipped whole, the others are all there; "-" = no check
  absent    "@name": no message may be staged at that offset (the skipped
            unit left nothing behind); "-" = no check

and for every case: at most the time and peak memory the case allows (the
defaults below, or the case's own), the staging database passes PRAGMA
integrity_check and foreign_key_check, and no staged name holds a NUL or
control byte where the case puts one.

Families (a case id ending in "*") expand into one case per truncation
point.  Prints "ok - ..." / "FAIL - ..." lines and "N passed, N failed";
--table prints the Markdown table of docs/testing.md instead.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SAMPLE_CC = os.path.join(TOP, "docs/sample/ccmail")
SAMPLE_MS = os.path.join(TOP, "docs/sample/msmail")

# Bounds for every case unless the case says otherwise (seconds, KiB).
TIME_MAX = 20
RSS_MAX = {"normal": 96 * 1024, "asan+ubsan": 320 * 1024}
BIG = 1 << 32  # the sparse file's size: 4 GiB
KEEP = False

CRLF = b"\r\n"


# ---------------------------------------------------------------- cc:Mail

def cc_item(token, title, payload, size=None, eol=True):
    """One item with its size line (size: the text written on it)."""
    line = token.encode() + ((b" " + title) if title else b"") + CRLF
    if size is None:
        size = str(len(payload)).encode()
    if size is not False:
        line += size + CRLF
    return line + payload + (CRLF if eol else b"")


def cc_message(headers, items, msize=None, csize=None, sized=True):
    """A whole message with /ITEMSIZE sizes (right ones unless given)."""
    body = b"".join(items)
    contents = b"Contents:" + CRLF
    if sized:
        contents += (csize if csize is not None else str(len(body)).encode()) + CRLF
    contents += body
    head = b"".join(h + CRLF for h in headers)
    rest = head + contents
    m = b"Message:" + CRLF
    if sized:
        m += (msize if msize is not None else str(len(rest)).encode()) + CRLF
    return m + rest


def cc_plain(n, subject=b"plain"):
    return cc_message(
        [b"From: Berg, \x8fsa at SALES01", b"Date: 9/11/98 10:0%d" % n,
         b"To: Lindqvist, Anna at SALES01", b"Subject: " + subject + b" %d" % n],
        [cc_item("Text item:", None, b"Message number %d.\r\n" % n)])


def cc_file(middle):
    """Message 1, the hostile message, message 3: offsets of each."""
    m1 = cc_plain(1)
    m3 = cc_plain(3)
    data = m1 + middle + m3
    return data, {"m1": 0, "bad": len(m1), "m3": len(m1) + len(middle)}


def cc_set(d):
    shutil.copytree(SAMPLE_CC, d, symlinks=True)


def cc_with_middle(d, middle, facts_extra=None):
    cc_set(d)
    data, facts = cc_file(middle)
    with open(os.path.join(d, "MAIL/BERGA.TXT"), "wb") as f:
        f.write(data)
    if facts_extra:
        for k, v in facts_extra.items():
            facts[k] = facts["bad"] + v
    return facts


def cc_hostile_item(size, payload=b"short text\r\n", token="Text item:", title=None):
    """A message whose second item has the given size line; facts: the
    offset of that item line inside the message."""
    first = cc_item("Text item:", None, b"first part\r\n")
    bad = cc_item(token, title, payload, size=size)
    head = [b"From: Holm, Lars at SALES01", b"Date: 3/2/99 9:00",
            b"Subject: hostile size"]
    msg = cc_message(head, [first, bad])
    return msg, {"item": msg.index(token.encode(), msg.index(b"Contents:") + len(first))}


def cc_nested(depth, sized=True):
    """A message forwarded depth times (a Message item in a Message item...)."""
    inner = cc_message([b"From: Holm, Lars at SALES01", b"Subject: level %d" % depth],
                       [cc_item("Text item:", None, b"innermost\r\n", size=None if sized else False)],
                       sized=sized)
    for lvl in range(depth - 1, 0, -1):
        inner = cc_message([b"From: Holm, Lars at SALES01", b"Subject: level %d" % lvl],
                           [cc_item("Message item:", b"Fwd", inner, size=None if sized else False)],
                           sized=sized)
    return inner


def cc_outside(d):
    """A set with a file beside it (outside the set) that the set names."""
    os.makedirs(d)
    cc_set(os.path.join(d, "set"))
    os.makedirs(os.path.join(d, "outside"))
    shutil.copy(os.path.join(SAMPLE_CC, "MAIL/BERGA.TXT"), os.path.join(d, "outside/BERGA.TXT"))
    return os.path.join(d, "set")


def manifest_set(setdir, old, new, name="CCMX.TXT"):
    p = os.path.join(setdir, name)
    data = open(p, "rb").read()
    assert old in data, old
    open(p, "wb").write(data.replace(old, new))


def users_replace(setdir, old, new):
    p = os.path.join(setdir, "USERS.CSV")
    data = open(p, "rb").read()
    assert old in data, old
    data = data.replace(old, new)
    open(p, "wb").write(data)
    return data.index(new)


def line_offset(data, needle):
    """Offset of the start of the line holding needle."""
    i = data.index(needle)
    return data.rfind(b"\n", 0, i) + 1


# ---------------------------------------------------------------- MS Mail

def mm_message(n, text=None, tokens=None, atts=()):
    text = text if text is not None else b"Body of message %d.\r\n" % n
    toks = tokens if tokens is not None else [
        b"TO:PCM:ACMENET/HQPO/MLOPEZ", b"FROM:PCM:ACMENET/HQPO/ERAMIREZ",
        b"DATE:1995-03-1%d" % n, b"TIME:09:0%d" % n, b"SUBJECT:message %d" % n]
    out = b"VERSION:3.00" + CRLF + b"".join(t + CRLF for t in toks)
    for name, size, _ in atts:
        out += b"ATTACHMENT:" + name + b" " + size + CRLF
    out += b"TEXT:%d" % len(text) + CRLF + text
    for _, _, data in atts:
        out += data
    return out + CRLF


def mm_raw(n, count_line, text=b"some text\r\n", extra=b""):
    """A message with its TEXT: line as given."""
    return (b"VERSION:3.00" + CRLF + b"TO:PCM:ACMENET/HQPO/MLOPEZ" + CRLF +
            b"FROM:PCM:ACMENET/HQPO/ERAMIREZ" + CRLF + b"SUBJECT:hostile %d" % n + CRLF +
            extra + count_line + CRLF + text + CRLF)


def ms_set(d):
    shutil.copytree(SAMPLE_MS, d, symlinks=True)


def ms_with_middle(d, middle, name="inbox.mmff"):
    ms_set(d)
    m1 = mm_message(1)
    m3 = mm_message(3)
    data = m1 + middle + m3
    for f in os.listdir(os.path.join(d, "mail/MLOPEZ")):
        os.unlink(os.path.join(d, "mail/MLOPEZ", f))
    with open(os.path.join(d, "mail/MLOPEZ", name), "wb") as f:
        f.write(data)
    return {"m1": 0, "bad": len(m1), "m3": len(m1) + len(middle)}


def ms_outside(d):
    os.makedirs(d)
    ms_set(os.path.join(d, "set"))
    os.makedirs(os.path.join(d, "outside/MLOPEZ"))
    shutil.copy(os.path.join(SAMPLE_MS, "mail/MLOPEZ/inbox.mmff"),
                os.path.join(d, "outside/MLOPEZ/inbox.mmff"))
    shutil.copy(os.path.join(SAMPLE_MS, "calendar/ERAMIREZ/export.sc2"),
                os.path.join(d, "outside/export.sc2"))
    return os.path.join(d, "set")


def ms_users_replace(setdir, old, new):
    p = os.path.join(setdir, "users.csv")
    data = open(p, "rb").read()
    assert old in data, old
    data = data.replace(old, new)
    open(p, "wb").write(data)
    return line_offset(data, new)


SC2_HEAD = b"SCHEDULE+2 EXPORT VERSION 103\r\n"


def sc2_appt(n, extra=b""):
    return (b"SingleAppointments:\r\n{\r\n   Start: 03-1%d-1995 09:00\r\n"
            b"   End: 03-1%d-1995 10:00\r\n   Text: \"appointment %d\"\r\n" % (n, n, n) +
            extra + b"}\r\n")


def sc2_write(d, middle):
    data = SC2_HEAD + sc2_appt(1) + middle + sc2_appt(3)
    with open(os.path.join(d, "calendar/ERAMIREZ/export.sc2"), "wb") as f:
        f.write(data)
    return {"bad": len(SC2_HEAD + sc2_appt(1)), "m3": len(SC2_HEAD + sc2_appt(1) + middle)}


# ---------------------------------------------------------------- builders
# Each builder makes the input of one case in d and returns (kind, path,
# facts): kind picks the command, path is what it is given, facts the
# offsets the case list refers to as "@name".

def sparse(path, size, head=b"", tail=b""):
    """A file of size bytes: head, a hole, tail at the end (truncate -s)."""
    with open(path, "wb") as f:
        f.write(head)
    subprocess.run(["truncate", "-s", str(size - len(tail)), path], check=True)
    with open(path, "ab") as f:
        f.write(tail)


B = {}


def builder(name):
    def reg(fn):
        B[name] = fn
        return fn
    return reg


def cc_size_case(size, **kw):
    def build(d):
        msg, f = cc_hostile_item(size, **kw)
        return "ccmail", d, cc_with_middle(d, msg, f)
    return build


for _n, _s in [("2p31", b"2147483648"), ("2p32", b"4294967296"), ("2p63", b"9223372036854775808"),
               ("2p64", b"18446744073709551616"), ("2p64m1", b"18446744073709551615"),
               ("neg", b"-1"), ("negbig", b"-9223372036854775809"), ("alpha", b"abc"),
               ("trail", b"12abc"), ("hex", b"0x10"), ("plus", b"+5"), ("spaces", b"    ")]:
    B["cc-itemsize-" + _n] = cc_size_case(_s)
    B["cc-filesize-" + _n] = cc_size_case(_s, payload=b"\x00\x01binary\xff" * 4,
                                          token="File item:", title=b"DATA.BIN")


def cc_msgsize(which, size):
    def build(d):
        head = [b"From: Holm, Lars at SALES01", b"Subject: hostile message size"]
        items = [cc_item("Text item:", None, b"text\r\n")]
        if which == "message":
            msg = cc_message(head, items, msize=size)
        else:
            msg = cc_message(head, items, csize=size)
        return "ccmail", d, cc_with_middle(d, msg, {"size": msg.index(CRLF) + 2})
    return build


for _n, _s in [("2p31", b"2147483648"), ("2p64", b"18446744073709551616"), ("neg", b"-7"),
               ("alpha", b"many")]:
    B["cc-msgsize-" + _n] = cc_msgsize("message", _s)
    B["cc-contsize-" + _n] = cc_msgsize("contents", _s)


@builder("cc-nul-title")
def _(d):
    msg = cc_message([b"From: Holm, Lars at SALES01", b"Subject: NUL in a file name"],
                     [cc_item("File item:", b"EVIL\x00NAME.TXT", b"data\r\n")])
    return "ccmail", d, cc_with_middle(d, msg)


@builder("cc-nul-folder")
def _(d):
    msg = cc_message([b"From: Holm, Lars at SALES01", b"Folder: Pro\x00jects\\Q\x003",
                      b"Subject: NUL in a folder name"],
                     [cc_item("Text item:", None, b"text\r\n")])
    return "ccmail", d, cc_with_middle(d, msg)


@builder("cc-nul-header")
def _(d):
    msg = cc_message([b"From: Ho\x00lm, Lars at SALES01", b"Subject: NUL\x00 in a subject",
                      b"To: Lind\x00qvist, Anna at SALES01"],
                     [cc_item("Text item:", None, b"text with a NUL \x00 byte\r\n")])
    return "ccmail", d, cc_with_middle(d, msg)


@builder("cc-nul-users-name")
def _(d):
    cc_set(d)
    users_replace(d, b'"Holm, Lars"', b'"Holm,\x00 Lars"')
    return "ccmail", d, {"nul": open(os.path.join(d, "USERS.CSV"), "rb").read().index(b"\x00")}


@builder("cc-nul-users-file")
def _(d):
    cc_set(d)
    data = open(os.path.join(d, "USERS.CSV"), "rb").read()
    users_replace(d, b"MAIL/HOLML.TXT", b"MAIL/HOLML.TXT\x00../../etc/passwd")
    data = open(os.path.join(d, "USERS.CSV"), "rb").read()
    return "ccmail", d, {"nul": data.index(b"\x00")}


def cc_long_line(where):
    def build(d):
        big = b"x" * (1 << 20)
        if where == "subject":
            msg = cc_message([b"From: Holm, Lars at SALES01", b"Subject: " + big],
                             [cc_item("Text item:", None, b"text\r\n")])
        elif where == "title":
            msg = cc_message([b"From: Holm, Lars at SALES01", b"Subject: long title"],
                             [cc_item("File item:", big, b"data\r\n")])
        elif where == "to":
            msg = cc_message([b"From: Holm, Lars at SALES01",
                              b"To: " + b", ".join([b"Last%d, First at SALES01" % i for i in range(40000)])],
                             [cc_item("Text item:", None, b"text\r\n")])
        return "ccmail", d, cc_with_middle(d, msg)
    return build


B["cc-1mb-subject"] = cc_long_line("subject")
B["cc-1mb-title"] = cc_long_line("title")
B["cc-1mb-to"] = cc_long_line("to")


@builder("cc-1mb-directory")
def _(d):
    cc_set(d)
    p = os.path.join(d, "DIRECTRY.TXT")
    data = open(p, "rb").read()
    bad = b"Name: Long, Line\r\nLocn: R\r\nComments: " + b"y" * (1 << 20) + b"\r\n\r\n"
    open(p, "wb").write(bad + data)
    return "ccmail", d, {"line": bad.index(b"Comments:")}


@builder("cc-1mb-users")
def _(d):
    cc_set(d)
    p = os.path.join(d, "USERS.CSV")
    data = open(p, "rb").read()
    off = len(data)
    open(p, "wb").write(data + b'mailbox,"' + b"z" * (1 << 20) + b'",,\r\n')
    return "ccmail", d, {"field": off + len(b"mailbox,")}


@builder("cc-many-headers")
def _(d):
    msg = cc_message([b"From: Holm, Lars at SALES01"] + [b"X-Extra: %d" % i for i in range(5000)],
                     [cc_item("Text item:", None, b"text\r\n")])
    return "ccmail", d, cc_with_middle(d, msg)


@builder("cc-many-items")
def _(d):
    msg = cc_message([b"From: Holm, Lars at SALES01"],
                     [cc_item("Text item:", None, b"t\r\n") for _ in range(1100)])
    return "ccmail", d, cc_with_middle(d, msg)


for _depth in (10, 100, 2000):
    B["cc-nested-%d" % _depth] = (lambda dep: lambda d: (
        "ccmail", d, cc_with_middle(d, cc_nested(dep))))(_depth)
B["cc-nested-unsized-100"] = lambda d: ("ccmail", d, cc_with_middle(d, cc_nested(100, sized=False)))


@builder("cc-codepage-932")
def _(d):
    cc_set(d)
    manifest_set(d, b"codepage=850", b"codepage=932")
    # lead bytes with no trail, a trail byte out of range, unmapped bytes
    msg = cc_message([b"From: Holm, Lars at SALES01", b"Subject: \x82\xa0\x81\x20\xff\xfd"],
                     [cc_item("Text item:", None, b"\x83\x41\x81\x7f\xa0\xfe\xfc\x82\r\n")])
    data, facts = cc_file(msg)
    open(os.path.join(d, "MAIL/BERGA.TXT"), "wb").write(data)
    return "ccmail", d, facts


@builder("cc-codepage-1252")
def _(d):
    cc_set(d)
    manifest_set(d, b"codepage=850", b"codepage=1252")
    msg = cc_message([b"From: Holm, Lars at SALES01", b"Subject: unmapped \x81\x8d\x8f\x90\x9d"],
                     [cc_item("Text item:", None, b"unmapped \x81\x8d\x8f\x90\x9d bytes\r\n")])
    data, facts = cc_file(msg)
    open(os.path.join(d, "MAIL/BERGA.TXT"), "wb").write(data)
    return "ccmail", d, facts


@builder("cc-codepage-utf8-bad")
def _(d):
    cc_set(d)
    manifest_set(d, b"codepage=850", b"codepage=utf-8")
    msg = cc_message([b"From: Holm, Lars at SALES01", b"Subject: bad \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80"],
                     [cc_item("Text item:", None, b"overlong \xc0\xaf surrogate \xed\xa0\x80\r\n")])
    data, facts = cc_file(msg)
    open(os.path.join(d, "MAIL/BERGA.TXT"), "wb").write(data)
    return "ccmail", d, facts


def cc_path_case(newpath, make=None):
    def build(d):
        s = cc_outside(d)
        if make:
            make(d, s)
        data = open(os.path.join(s, "USERS.CSV"), "rb").read()
        users_replace(s, b"MAIL/BERGA.TXT", newpath)
        data = open(os.path.join(s, "USERS.CSV"), "rb").read()
        return "ccmail", s, {"row": line_offset(data, newpath)}
    return build


B["cc-path-dotdot"] = cc_path_case(b"../outside/BERGA.TXT")
B["cc-path-inner-dotdot"] = cc_path_case(b"MAIL/../../outside/BERGA.TXT")
B["cc-path-backslash-dotdot"] = cc_path_case(b"MAIL\\..\\..\\outside\\BERGA.TXT")
B["cc-path-absolute"] = cc_path_case(b"/etc/passwd")
B["cc-path-drive"] = cc_path_case(b"C:\\CCMAIL\\BERGA.TXT")


def _symlink_file_out(d, s):
    os.unlink(os.path.join(s, "MAIL/BERGA.TXT"))
    os.symlink("../../outside/BERGA.TXT", os.path.join(s, "MAIL/BERGA.TXT"))


def _symlink_dir_out(d, s):
    os.rename(os.path.join(s, "MAIL"), os.path.join(d, "outside/MAIL"))
    os.symlink("../outside/MAIL", os.path.join(s, "MAIL"))


def _symlink_abs(d, s):
    os.unlink(os.path.join(s, "MAIL/BERGA.TXT"))
    os.symlink("/etc/passwd", os.path.join(s, "MAIL/BERGA.TXT"))


def _symlink_loop(d, s):
    os.unlink(os.path.join(s, "MAIL/BERGA.TXT"))
    os.symlink("BERGA.TXT", os.path.join(s, "MAIL/BERGA.TXT"))


def _symlink_inside(d, s):
    os.rename(os.path.join(s, "MAIL/BERGA.TXT"), os.path.join(s, "MAIL/REAL.TXT"))
    os.symlink("REAL.TXT", os.path.join(s, "MAIL/BERGA.TXT"))


def _fifo(d, s):
    os.unlink(os.path.join(s, "MAIL/BERGA.TXT"))
    os.mkfifo(os.path.join(s, "MAIL/BERGA.TXT"))


def _dir_not_file(d, s):
    os.unlink(os.path.join(s, "MAIL/BERGA.TXT"))
    os.mkdir(os.path.join(s, "MAIL/BERGA.TXT"))


B["cc-symlink-file-out"] = cc_path_case(b"MAIL/BERGA.TXT", _symlink_file_out)
B["cc-symlink-dir-out"] = cc_path_case(b"MAIL/BERGA.TXT", _symlink_dir_out)
B["cc-symlink-absolute"] = cc_path_case(b"MAIL/BERGA.TXT", _symlink_abs)
B["cc-symlink-loop"] = cc_path_case(b"MAIL/BERGA.TXT", _symlink_loop)
B["cc-symlink-inside"] = cc_path_case(b"MAIL/BERGA.TXT", _symlink_inside)
B["cc-fifo"] = cc_path_case(b"MAIL/BERGA.TXT", _fifo)
B["cc-directory-not-file"] = cc_path_case(b"MAIL/BERGA.TXT", _dir_not_file)


@builder("cc-sparse-4g-zeros")
def _(d):
    cc_set(d)
    sparse(os.path.join(d, "MAIL/BERGA.TXT"), BIG)
    return "ccmail", d, {}


@builder("cc-sparse-4g-after")
def _(d):
    cc_set(d)
    tail = CRLF + cc_plain(1) + cc_plain(2) + cc_plain(3)
    sparse(os.path.join(d, "MAIL/BERGA.TXT"), BIG + 4096, tail=tail)
    return "ccmail", d, {"first": BIG + 4096 - len(tail) + 2}


@builder("cc-sparse-4g-in-item")
def _(d):
    """A message whose text item says it holds 4 GiB, and does (a hole)."""
    cc_set(d)
    head = cc_plain(1) + b"Message:\r\nFrom: Holm, Lars at SALES01\r\nContents:\r\nText item:\r\n%d\r\n" % BIG
    sparse(os.path.join(d, "MAIL/BERGA.TXT"), len(head) + BIG + 2, head=head, tail=CRLF)
    return "ccmail", d, {"bad": len(cc_plain(1))}


@builder("cc-sparse-4g-file-item")
def _(d):
    """A file item of 4 GiB (a hole): more than SQLite stores in one value."""
    cc_set(d)
    head = cc_plain(1) + (b"Message:\r\nFrom: Holm, Lars at SALES01\r\nContents:\r\n"
                          b"File item: HUGE.BIN\r\n%d\r\n" % BIG)
    tail = CRLF + cc_plain(3)
    sparse(os.path.join(d, "MAIL/BERGA.TXT"), len(head) + BIG + len(tail), head=head, tail=tail)
    return "ccmail", d, {"bad": len(cc_plain(1)), "item": len(cc_plain(1)) + head[len(cc_plain(1)):].index(b"File item:")}


@builder("cc-sparse-4g-users")
def _(d):
    cc_set(d)
    data = open(os.path.join(d, "USERS.CSV"), "rb").read()
    sparse(os.path.join(d, "USERS.CSV"), BIG, head=data)
    return "ccmail", d, {}


@builder("cc-sparse-4g-manifest")
def _(d):
    cc_set(d)
    data = open(os.path.join(d, "CCMX.TXT"), "rb").read()
    sparse(os.path.join(d, "CCMX.TXT"), BIG, head=data)
    return "ccmail", d, {}


@builder("cc-truncated-manifest")
def _(d):
    cc_set(d)
    p = os.path.join(d, "CCMX.TXT")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:data.index(b"postoffice=") + 5])
    return "ccmail", d, {}


@builder("cc-truncated-users")
def _(d):
    cc_set(d)
    p = os.path.join(d, "USERS.CSV")
    data = open(p, "rb").read()
    cut = data.index(b'"Holm') + 3
    open(p, "wb").write(data[:cut])
    return "ccmail", d, {"field": data.index(b'"Holm')}


@builder("cc-truncated-directory")
def _(d):
    cc_set(d)
    p = os.path.join(d, "DIRECTRY.TXT")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:data.index(b"Name: Holm") + 8])
    return "ccmail", d, {}


def cc_truncations():
    """The last message of a file cut at each boundary: after every line
    (message line, size lines, headers, Contents:, item lines) and inside
    every payload."""
    nested = cc_message([b"From: Okafor, Chidi at SALES01", b"Subject: inner"],
                        [cc_item("Text item:", None, b"inner text\r\n")])
    last = cc_message([b"From: Holm, Lars at SALES01", b"Date: 3/2/99 9:00",
                       b"To: Lindqvist, Anna at SALES01", b"Subject: cut here"],
                      [cc_item("Text item:", None, b"line one\r\nline two\r\n"),
                       cc_item("File item:", b"DATA.BIN", b"\x00\x01\x02binary\x03\x04"),
                       cc_item("Message item:", b"Fwd", nested)])
    pre = cc_plain(1) + cc_plain(2)
    cuts = set()
    i = 0
    while True:
        j = last.find(b"\n", i)
        if j < 0:
            break
        cuts.add(j + 1)       # after a line
        cuts.add(j - 1)       # inside the line end / just before it
        i = j + 1
    for a, b_ in [(b"line one", 4), (b"binary", 3), (b"inner text", 5)]:
        cuts.add(last.index(a) + b_)
    cuts = sorted(c for c in cuts if 0 < c < len(last))
    return pre, last, cuts


def ms_truncations():
    last = mm_message(9, text=b"first line\r\nsecond line\r\n",
                      atts=[(b"A.TXT", b"5", b"AAAAA"), (b"B.BIN", b"4", b"\x00\x01\x02\x03")])
    pre = mm_message(1) + mm_message(2)
    cuts = set()
    i = 0
    while True:
        j = last.find(b"\n", i)
        if j < 0:
            break
        cuts.add(j + 1)
        cuts.add(j - 1)
        i = j + 1
    cuts.add(last.index(b"first line") + 3)
    cuts.add(last.index(b"AAAAA") + 2)
    cuts.add(last.index(b"\x00\x01\x02") + 2)
    cuts = sorted(c for c in cuts if 0 < c < len(last) - 2)
    return pre, last, cuts


def sc2_truncations():
    obj = (b"RecurringAppointments:\r\n{\r\n   StartRecurringDate: 03-06-1995\r\n"
           b"   EndRecurringDate: 12-31-1995\r\n   StartRecurringTime: 10:00\r\n"
           b"   EndRecurringTime: 11:00\r\n   RecurringType: 48\r\n   WeekInterval: 1\r\n"
           b"   DayOfWeekMask: 2\r\n   Text: \"Staff \\\"weekly\\\" meeting\"\r\n"
           b"   Exceptions:\r\n   {\r\n      InstanceDate: 03-20-1995\r\n      Deleted: T\r\n   }\r\n}\r\n")
    pre = SC2_HEAD + sc2_appt(1) + sc2_appt(2)
    cuts = set()
    i = 0
    while True:
        j = obj.find(b"\n", i)
        if j < 0:
            break
        cuts.add(j + 1)
        i = j + 1
    cuts.add(obj.index(b"weekly") + 2)
    cuts = sorted(c for c in cuts if 0 < c < len(obj))
    return pre, obj, cuts


def expand_family(case):
    """Cases for one family row: (id, builder, row overrides)."""
    out = []
    if case["id"] == "cc-truncated-message*":
        pre, last, cuts = cc_truncations()
        for c in cuts:
            def build(d, c=c):
                cc_set(d)
                open(os.path.join(d, "MAIL/BERGA.TXT"), "wb").write(pre + last[:c])
                return "ccmail", d, {"bad": len(pre), "cut": len(pre) + c}
            out.append(("cc-truncated-message@%d" % c, build, {}))
    elif case["id"] == "ms-truncated-message*":
        pre, last, cuts = ms_truncations()
        for c in cuts:
            def build(d, c=c):
                ms_set(d)
                for f in os.listdir(os.path.join(d, "mail/MLOPEZ")):
                    os.unlink(os.path.join(d, "mail/MLOPEZ", f))
                open(os.path.join(d, "mail/MLOPEZ/inbox.mmff"), "wb").write(pre + last[:c])
                return "msmail", d, {"bad": len(pre), "cut": len(pre) + c}
            out.append(("ms-truncated-message@%d" % c, build, {}))
    elif case["id"] == "ms-truncated-sc2*":
        pre, obj, cuts = sc2_truncations()
        for c in cuts:
            def build(d, c=c):
                ms_set(d)
                open(os.path.join(d, "calendar/ERAMIREZ/export.sc2"), "wb").write(pre + obj[:c])
                return "msmail", d, {"bad": len(pre), "cut": len(pre) + c}
            out.append(("ms-truncated-sc2@%d" % c, build, {}))
    elif case["id"] == "ex-truncated-pri*":
        ex_set(os.path.join(WORK, "_exchange-probe"))
        data = open(os.path.join(WORK, "_exchange-probe", "00000001.PRI"), "rb").read()
        shutil.rmtree(os.path.join(WORK, "_exchange-probe"))
        cuts = set()
        i = 0
        while True:
            j = data.find(b"\n", i)
            if j < 0:
                break
            cuts.add(j + 1)
            cuts.add(j - 5)
            i = j + 1
        for c in sorted(x for x in cuts if 0 < x < len(data)):
            def build(d, c=c):
                ex_set(d)
                p = os.path.join(d, "00000001.PRI")
                open(p, "wb").write(open(p, "rb").read()[:c])
                return "exchange", d, {"cut": c}
            out.append(("ex-truncated-pri@%d" % c, build, {}))
    else:
        raise SystemExit("unknown family " + case["id"])
    return out


@builder("cc-lone-cr")
def _(d):
    """4 MiB of lone CRs between two messages (each one a line end when
    scanning for the next message: linear, not quadratic)."""
    return "ccmail", d, cc_with_middle(d, b"\r" * (4 << 20) + CRLF)


@builder("cc-lone-lf")
def _(d):
    return "ccmail", d, cc_with_middle(d, b"\n" * (4 << 20))


# ---- MS Mail cases

def ms_count_case(line, atts=b""):
    def build(d):
        msg = mm_raw(2, line, extra=atts)
        facts = ms_with_middle(d, msg)
        facts["count"] = facts["bad"] + msg.index(atts if atts else line)
        return "msmail", d, facts
    return build


for _n, _s in [("2p31", b"2147483648"), ("2p32", b"4294967296"), ("2p64", b"18446744073709551616"),
               ("2p64m1", b"18446744073709551615"), ("neg", b"-1"), ("alpha", b"abc"),
               ("trail", b"12abc"), ("hex", b"0x10"), ("plus", b"+11"), ("empty", b"")]:
    B["ms-textsize-" + _n] = ms_count_case(b"TEXT:" + _s)
    B["ms-attsize-" + _n] = ms_count_case(b"TEXT:11", atts=b"ATTACHMENT:BIG.BIN " + _s + CRLF)


@builder("ms-lone-cr")
def _(d):
    return "msmail", d, ms_with_middle(d, b"\r" * (4 << 20) + CRLF)


@builder("ms-nul-attachment-name")
def _(d):
    msg = mm_message(2, atts=[(b"EVIL\x00NAME.TXT", b"4", b"data")])
    return "msmail", d, ms_with_middle(d, msg)


@builder("ms-nul-header")
def _(d):
    msg = mm_message(2, tokens=[b"TO:PCM:ACMENET/HQPO/ML\x00OPEZ", b"FROM:PCM:ACMENET/HQPO/ERA\x00MIREZ",
                                b"SUBJECT:NUL\x00 in a subject"])
    return "msmail", d, ms_with_middle(d, msg)


@builder("ms-nul-users-mailbox")
def _(d):
    ms_set(d)
    off = ms_users_replace(d, b"MLOPEZ,", b"MLO\x00PEZ,")
    return "msmail", d, {"row": off}


@builder("ms-nul-users-maildir")
def _(d):
    ms_set(d)
    off = ms_users_replace(d, b"mail/MLOPEZ,", b"mail/MLOPEZ\x00/../../x,")
    return "msmail", d, {"row": off}


@builder("ms-nul-manifest")
def _(d):
    ms_set(d)
    p = os.path.join(d, "MSMX.TXT")
    data = open(p, "rb").read()
    open(p, "wb").write(data.replace(b"postoffice=HQPO", b"postoffice=HQ\x00PO"))
    return "msmail", d, {"nul": open(p, "rb").read().index(b"\x00")}


@builder("ms-nul-directory")
def _(d):
    ms_set(d)
    p = os.path.join(d, "directory/pol.txt")
    data = open(p, "rb").read()
    data = data.replace(b"A Kenji Tanaka                   PCM:ACMENET/HQPO/KTANAKA",
                        b"A Kenji\x00Tanaka                   PCM:ACMENET/HQPO/KTA\x00AKA")
    open(p, "wb").write(data)
    return "msmail", d, {"line": line_offset(data, b"Kenji\x00")}


@builder("ms-folder-names")
def _(d):
    """Folder names come from file names: dots, control bytes, separators."""
    ms_set(d)
    mb = os.path.join(d, "mail/MLOPEZ")
    for i, name in enumerate([b"..mmff", b"...mmff", b"a\\..\\..\\b.mmff", b"new\nline.mmff",
                              b"tab\there.mmff", b"%2e%2e.mmff", b"CON.mmff", b".hidden.mmff"]):
        open(os.path.join(mb.encode(), name), "wb").write(mm_message(i + 1))
    return "msmail", d, {}


@builder("ms-1mb-subject")
def _(d):
    msg = mm_message(2, tokens=[b"TO:PCM:ACMENET/HQPO/MLOPEZ", b"FROM:PCM:ACMENET/HQPO/ERAMIREZ",
                                b"SUBJECT:" + b"s" * (1 << 20)])
    facts = ms_with_middle(d, msg)
    facts["line"] = facts["bad"] + msg.index(b"SUBJECT:")
    return "msmail", d, facts


@builder("ms-many-recipients")
def _(d):
    msg = mm_message(2, tokens=[b"FROM:PCM:ACMENET/HQPO/ERAMIREZ"] +
                     [b"TO:PCM:ACMENET/HQPO/U%d" % i for i in range(21000)])
    return "msmail", d, ms_with_middle(d, msg)


@builder("ms-1mb-directory")
def _(d):
    ms_set(d)
    p = os.path.join(d, "directory/pol.txt")
    data = open(p, "rb").read()
    open(p, "wb").write(b"A " + b"n" * (1 << 20) + b" PCM:ACMENET/HQPO/LONG\r\n" + data)
    return "msmail", d, {"line": 0}


@builder("ms-1mb-users")
def _(d):
    ms_set(d)
    p = os.path.join(d, "users.csv")
    data = open(p, "rb").read()
    open(p, "wb").write(data + b'LONG,"' + b"l" * (1 << 20) + b'",0,,\r\n')
    return "msmail", d, {"row": len(data)}


@builder("ms-1mb-sc2-property")
def _(d):
    ms_set(d)
    facts = sc2_write(d, sc2_appt(2, extra=b"   Notes: \"" + b"n" * (1 << 20) + b"\"\r\n"))
    return "msmail", d, facts


@builder("ms-sc2-nested")
def _(d):
    ms_set(d)
    deep = b"RecurringAppointments:\r\n{\r\n   StartRecurringDate: 03-06-1995\r\n"
    for i in range(100):
        deep += b"   Exceptions:\r\n   {\r\n      InstanceDate: 03-20-1995\r\n"
    deep += b"   }\r\n" * 100 + b"}\r\n"
    return "msmail", d, sc2_write(d, deep)


@builder("ms-sc2-unclosed")
def _(d):
    ms_set(d)
    return "msmail", d, sc2_write(d, b"SingleAppointments:\r\n{\r\n   Start: 03-12-1995 09:00\r\n" +
                                  b"   Text: \"never closed\r\n")


@builder("ms-sch-nested")
def _(d):
    ms_set(d)
    p = os.path.join(d, "calendar/JWEISS/export.sch")
    data = open(p, "rb").read()
    deep = b"FixedAppt:\r\n" + b"\taid\t9\r\n" + b"FixedAppt:\r\n" * 5000 + b"End\r\n"
    open(p, "wb").write(data + deep)
    return "msmail", d, {"bad": len(data)}


@builder("ms-codepage-932")
def _(d):
    msg = mm_message(2, text=b"bad DBCS \x81\x20 \x82 \xa0\xfd\xfe\xff end\r\n",
                     tokens=[b"TO:PCM:ACMENET/HQPO/MLOPEZ", b"FROM:PCM:ACMENET/HQPO/ERAMIREZ",
                             b"SUBJECT:\x83\x41\x81\x7f\x82"])
    facts = ms_with_middle(d, msg)
    manifest_set(d, b"source-codepage=850", b"source-codepage=932", "MSMX.TXT")
    return "msmail", d, facts


@builder("ms-codepage-1252-sc2")
def _(d):
    ms_set(d)
    facts = sc2_write(d, sc2_appt(2, extra=b"   Notes: \"unmapped \x81\x8d\x8f\x90\x9d\"\r\n"))
    return "msmail", d, facts


def ms_path_case(old, new, make=None):
    def build(d):
        s = ms_outside(d)
        if make:
            make(d, s)
        off = ms_users_replace(s, old, new) if old != new else \
            line_offset(open(os.path.join(s, "users.csv"), "rb").read(), new)
        return "msmail", s, {"row": off}
    return build


B["ms-path-dotdot-maildir"] = ms_path_case(b"mail/MLOPEZ,", b"../outside/MLOPEZ,")
B["ms-path-inner-dotdot"] = ms_path_case(b"mail/MLOPEZ,", b"mail/../../outside/MLOPEZ,")
B["ms-path-absolute-maildir"] = ms_path_case(b"mail/MLOPEZ,", b"/etc,")
B["ms-path-dotdot-calendar"] = ms_path_case(b"calendar/ERAMIREZ/export.sc2", b"../outside/export.sc2")
B["ms-path-absolute-calendar"] = ms_path_case(b"calendar/ERAMIREZ/export.sc2", b"/etc/passwd")


def _ms_symlink_dir(d, s):
    shutil.rmtree(os.path.join(s, "mail/MLOPEZ"))
    os.symlink("../../outside/MLOPEZ", os.path.join(s, "mail/MLOPEZ"))


def _ms_symlink_file(d, s):
    os.unlink(os.path.join(s, "mail/MLOPEZ/inbox.mmff"))
    os.symlink("../../../outside/MLOPEZ/inbox.mmff", os.path.join(s, "mail/MLOPEZ/inbox.mmff"))


def _ms_symlink_abs(d, s):
    os.unlink(os.path.join(s, "mail/MLOPEZ/inbox.mmff"))
    os.symlink("/etc/passwd", os.path.join(s, "mail/MLOPEZ/inbox.mmff"))


def _ms_symlink_cal(d, s):
    os.unlink(os.path.join(s, "calendar/ERAMIREZ/export.sc2"))
    os.symlink("../../../outside/export.sc2", os.path.join(s, "calendar/ERAMIREZ/export.sc2"))


def _ms_symlink_inside(d, s):
    os.rename(os.path.join(s, "mail/MLOPEZ/inbox.mmff"), os.path.join(s, "mail/real.mmff"))
    os.symlink("../real.mmff", os.path.join(s, "mail/MLOPEZ/inbox.mmff"))


def _ms_fifo(d, s):
    os.unlink(os.path.join(s, "mail/MLOPEZ/inbox.mmff"))
    os.mkfifo(os.path.join(s, "mail/MLOPEZ/inbox.mmff"))


def _ms_fifo_cal(d, s):
    os.unlink(os.path.join(s, "calendar/ERAMIREZ/export.sc2"))
    os.mkfifo(os.path.join(s, "calendar/ERAMIREZ/export.sc2"))


def _ms_symlink_loop(d, s):
    os.unlink(os.path.join(s, "mail/MLOPEZ/inbox.mmff"))
    os.symlink("inbox.mmff", os.path.join(s, "mail/MLOPEZ/inbox.mmff"))


B["ms-symlink-dir-out"] = ms_path_case(b"mail/MLOPEZ,", b"mail/MLOPEZ,", _ms_symlink_dir)
B["ms-symlink-file-out"] = ms_path_case(b"mail/MLOPEZ,", b"mail/MLOPEZ,", _ms_symlink_file)
B["ms-symlink-absolute"] = ms_path_case(b"mail/MLOPEZ,", b"mail/MLOPEZ,", _ms_symlink_abs)
B["ms-symlink-calendar-out"] = ms_path_case(b"calendar/ERAMIREZ/export.sc2",
                                            b"calendar/ERAMIREZ/export.sc2", _ms_symlink_cal)
B["ms-symlink-inside"] = ms_path_case(b"mail/MLOPEZ,", b"mail/MLOPEZ,", _ms_symlink_inside)
B["ms-symlink-loop"] = ms_path_case(b"mail/MLOPEZ,", b"mail/MLOPEZ,", _ms_symlink_loop)
B["ms-fifo"] = ms_path_case(b"mail/MLOPEZ,", b"mail/MLOPEZ,", _ms_fifo)
B["ms-fifo-calendar"] = ms_path_case(b"calendar/ERAMIREZ/export.sc2",
                                     b"calendar/ERAMIREZ/export.sc2", _ms_fifo_cal)


@builder("ms-sparse-4g-zeros")
def _(d):
    ms_set(d)
    sparse(os.path.join(d, "mail/MLOPEZ/inbox.mmff"), BIG)
    return "msmail", d, {}


@builder("ms-sparse-4g-after")
def _(d):
    ms_set(d)
    tail = CRLF + mm_message(1) + mm_message(2)
    sparse(os.path.join(d, "mail/MLOPEZ/inbox.mmff"), BIG + 4096, tail=tail)
    return "msmail", d, {"first": BIG + 4096 - len(tail) + 2}


@builder("ms-sparse-4g-in-text")
def _(d):
    ms_set(d)
    head = mm_message(1) + mm_raw(2, b"TEXT:%d" % BIG, text=b"")[:-2]
    sparse(os.path.join(d, "mail/MLOPEZ/inbox.mmff"), len(head) + BIG + 2, head=head, tail=CRLF)
    return "msmail", d, {"bad": len(mm_message(1))}


@builder("ms-sparse-4g-sc2")
def _(d):
    ms_set(d)
    tail = CRLF + sc2_appt(1)
    sparse(os.path.join(d, "calendar/ERAMIREZ/export.sc2"), BIG, head=SC2_HEAD, tail=tail)
    return "msmail", d, {}


@builder("ms-sparse-4g-pol")
def _(d):
    ms_set(d)
    data = open(os.path.join(d, "directory/pol.txt"), "rb").read()
    sparse(os.path.join(d, "directory/pol.txt"), BIG, head=data)
    return "msmail", d, {}


@builder("ms-sparse-4g-users")
def _(d):
    ms_set(d)
    data = open(os.path.join(d, "users.csv"), "rb").read()
    sparse(os.path.join(d, "users.csv"), BIG, head=data)
    return "msmail", d, {}


@builder("ms-truncated-manifest")
def _(d):
    ms_set(d)
    p = os.path.join(d, "MSMX.TXT")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:data.index(b"network=") + 4])
    return "msmail", d, {}


@builder("ms-truncated-users")
def _(d):
    ms_set(d)
    p = os.path.join(d, "users.csv")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:data.index(b'"L\xc3\xb3pez') + 4])
    return "msmail", d, {"row": line_offset(data, b'"L\xc3\xb3pez')}


@builder("ms-truncated-groups")
def _(d):
    ms_set(d)
    p = os.path.join(d, "directory/groups.txt")
    data = open(p, "rb").read()
    open(p, "wb").write(data[:data.index(b"G All HQ") + 5])
    return "msmail", d, {}


# ---- directory snapshot (import directory)

DIR_HEAD = b"class,alias,display_name,proxy_addresses\r\n"


@builder("dir-1mb-field")
def _(d):
    os.makedirs(d)
    p = os.path.join(d, "gal.csv")
    row = b'mailbox,big,"' + b"b" * (1 << 20) + b'",SMTP:big@example.com\r\n'
    open(p, "wb").write(DIR_HEAD + b"mailbox,ok1,OK One,SMTP:ok1@example.com\r\n" + row +
                        b"mailbox,ok2,OK Two,SMTP:ok2@example.com\r\n")
    return "directory", p, {"row": len(DIR_HEAD) + len(b"mailbox,ok1,OK One,SMTP:ok1@example.com\r\n")}


@builder("dir-nul")
def _(d):
    os.makedirs(d)
    p = os.path.join(d, "gal.csv")
    open(p, "wb").write(DIR_HEAD + b"mailbox,ev\x00il,Evil\x00Name,SMTP:e\x00vil@example.com\r\n")
    return "directory", p, {"row": len(DIR_HEAD)}


@builder("dir-truncated-quote")
def _(d):
    os.makedirs(d)
    p = os.path.join(d, "gal.csv")
    open(p, "wb").write(DIR_HEAD + b"mailbox,ok1,OK One,SMTP:ok1@example.com\r\n" + b'mailbox,cut,"Cut off')
    return "directory", p, {"row": len(DIR_HEAD) + len(b"mailbox,ok1,OK One,SMTP:ok1@example.com\r\n")}


@builder("dir-sparse-4g")
def _(d):
    os.makedirs(d)
    p = os.path.join(d, "gal.csv")
    sparse(p, BIG, head=DIR_HEAD + b"mailbox,ok1,OK One,SMTP:ok1@example.com\r\n")
    return "directory", p, {}


# ---- the Exchange migration file reader (mailferry inspect exchange)

MF = None
WORK = None


def ex_set(d):
    """A set written by mailferry from the cc:Mail sample, copied to d."""
    base = os.path.join(os.path.dirname(d), "_exchange-base")
    if not os.path.isdir(base):
        tmp = base + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        subprocess.run([MF, "import", "ccmail", "--quiet", "--db", tmp + "/s.db", SAMPLE_CC],
                       check=True, capture_output=True)
        subprocess.run([MF, "export", "exchange", "--quiet", "--db", tmp + "/s.db", "--out", tmp + "/out"],
                       check=True, capture_output=True)
        os.rename(tmp, base)
    shutil.copytree(os.path.join(base, "out/SALES01.001"), d, symlinks=True)


def ex_edit(d, name, old, new):
    p = os.path.join(d, name)
    data = open(p, "rb").read()
    assert old in data, (name, old)
    open(p, "wb").write(data.replace(old, new, 1))
    return data.index(old)


def ex_case(name, old, new):
    def build(d):
        ex_set(d)
        off = ex_edit(d, name, old, new)
        return "exchange", d, {"at": off, "line": line_offset(open(os.path.join(d, name), "rb").read(), new)}
    return build


B["ex-pkl-dotdot"] = ex_case("SALES01.PKL", b"00000001.PRI,Primary", b"../../../etc/passwd,Primary")
B["ex-pkl-absolute"] = ex_case("SALES01.PKL", b"00000001.PRI,Primary", b"/etc/passwd,Primary")
B["ex-pkl-nul"] = ex_case("SALES01.PKL", b"00000001.PRI,Primary", b"0000\x000001.PRI,Primary")
for _n, _s in [("2p31", b"2147483648"), ("2p64", b"18446744073709551616"), ("neg", b"-1"),
               ("alpha", b"abc")]:
    B["ex-pointer-" + _n] = ex_case("00000001.PRI", b"#00000001.SEC(50)", b"#00000001.SEC(" + _s + b")")
    B["ex-seclength-" + _n] = ex_case("00000001.SEC", b"Body,33,", b"Body," + _s + b",")
B["ex-1mb-field"] = ex_case("00000001.PRI", b"#00000001.SEC(50)", b"#00000001.SEC(50)" + b"z" * (1 << 20))


@builder("ex-symlink-sec")
def _(d):
    ex_set(d)
    os.unlink(os.path.join(d, "00000001.SEC"))
    os.symlink("/etc/passwd", os.path.join(d, "00000001.SEC"))
    return "exchange", d, {}


@builder("ex-fifo-sec")
def _(d):
    ex_set(d)
    os.unlink(os.path.join(d, "00000001.SEC"))
    os.mkfifo(os.path.join(d, "00000001.SEC"))
    return "exchange", d, {}


@builder("ex-sparse-4g-sec")
def _(d):
    ex_set(d)
    p = os.path.join(d, "00000001.SEC")
    data = open(p, "rb").read()
    os.unlink(p)
    sparse(p, BIG, head=data)
    return "exchange", d, {}


# ---------------------------------------------------------------- running

def load_cases(only):
    cases = []
    with open(os.path.join(HERE, "cases.tsv"), encoding="utf-8") as f:
        for ln in f:
            if not ln.strip() or ln.startswith("#"):
                continue
            cols = ln.rstrip("\n").split("\t")
            if len(cols) < 9:
                raise SystemExit("cases.tsv: short line: " + ln)
            c = dict(zip(["id", "exit", "problem", "file", "offset", "staged", "absent",
                          "limits", "handling"], cols))
            if only and not re.search(only, c["id"]):
                continue
            cases.append(c)
    return cases


def resolve(val, facts):
    if val.startswith("@"):
        return facts[val[1:]]
    return int(val)


def offset_ok(want, got, facts):
    """want: "*" any offset, "N" / "@name" exactly, "A..B" a range."""
    if want == "*":
        return got is not None
    if ".." in want:
        lo, hi = want.split("..")
        return got is not None and resolve(lo, facts) <= got <= resolve(hi, facts)
    return got == resolve(want, facts)


def group_rss(pgid):
    """Resident KiB of the processes of process group pgid."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                st = f.read()
            if int(st[st.rindex(")") + 2:].split()[2]) != pgid:
                continue
            with open("/proc/%s/status" % pid) as f:
                for ln in f:
                    if ln.startswith("VmRSS:"):
                        total += int(ln.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total


def check_case(case, build, work, mf, variant):
    d = os.path.join(work, case["id"].replace("/", "_"))
    if os.path.exists(d):
        shutil.rmtree(d)
    kind, path, facts = build(d)
    db = d + ".db"
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(db + ext):
            os.unlink(db + ext)
    if kind in ("ccmail", "msmail", "directory"):
        cmd = [mf, "import", kind, "--quiet", "--json", "--db", db, path]
    elif kind == "exchange":
        cmd = [mf, "inspect", "exchange", "--json", path]
    else:
        raise SystemExit("unknown kind " + kind)
    tfile = d + ".time"
    lim_t, lim_m = TIME_MAX, RSS_MAX.get(variant, RSS_MAX["normal"])
    for part in case["limits"].split(","):
        if part.startswith("t="):
            lim_t = int(part[2:])
        elif part.startswith("m="):
            lim_m = int(part[2:]) * 1024
    start = time.monotonic()
    # its own process group, so a timeout ends mailferry too, not only time(1)
    p = subprocess.Popen(["/usr/bin/time", "-f", "%e %M", "-o", tfile] + cmd,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    # a watchdog: a case that runs away is stopped long before it can take
    # the machine's memory or the suite's time
    deadline = time.monotonic() + max(lim_t * 3, 60)
    rss_kill = max(lim_m * 4, 1 << 20)
    killed = None
    while p.poll() is None:
        if time.monotonic() > deadline:
            killed = "timed out after %d s" % max(lim_t * 3, 60)
        elif group_rss(p.pid) > rss_kill:
            killed = "stopped: resident memory over %d MiB" % (rss_kill // 1024)
        if killed:
            os.killpg(p.pid, 9)
            p.communicate()
            return [killed], {}
        time.sleep(0.2)
    out, err = p.communicate()
    p.stderr = err
    wall = time.monotonic() - start
    errs = []
    try:
        secs, rss = open(tfile).read().split()[-2:]
        secs, rss = float(secs), int(rss)
    except (OSError, ValueError):
        secs, rss = wall, 0
    stderr = p.stderr.decode("utf-8", "replace")
    if p.returncode != int(case["exit"]):
        errs.append("exit %d, wanted %s: %s" % (p.returncode, case["exit"], stderr.strip()[:300]))
    if secs > lim_t:
        errs.append("took %.1f s (limit %d s)" % (secs, lim_t))
    if rss > lim_m:
        errs.append("peak memory %d KiB (limit %d KiB)" % (rss, lim_m))
    if "AddressSanitizer" in stderr or "runtime error" in stderr:
        errs.append("sanitizer: " + stderr[:400])
    info = {"secs": secs, "rss": rss}
    want_file = case["file"]
    problems = []
    if os.path.exists(db) and kind != "exchange":
        con = sqlite3.connect(db)
        con.text_factory = bytes
        ic = con.execute("PRAGMA integrity_check").fetchone()[0]
        if ic != b"ok":
            errs.append("integrity_check: %r" % ic)
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            errs.append("foreign_key_check: %r" % fk[:3])
        problems = [(r[0].decode(), (r[1] or b"").decode("utf-8", "replace"), r[2], r[3].decode("utf-8", "replace"))
                    for r in con.execute("SELECT code, file, offset, text FROM problems")]
        if case["staged"] != "-":
            if kind == "directory":
                n = con.execute("SELECT count(*) FROM target_objects").fetchone()[0]
            elif want_file.startswith("calendar/"):
                n = con.execute("SELECT count(*) FROM calendar_items c JOIN source_files f ON "
                                "f.id = c.src_file_id WHERE f.path = ?", (want_file,)).fetchone()[0]
            else:
                n = con.execute("SELECT count(*) FROM messages m JOIN source_files f ON "
                                "f.id = m.src_file_id WHERE f.path = ? AND m.parent_id IS NULL",
                                (want_file,)).fetchone()[0]
            if n not in [int(x) for x in case["staged"].split("|")]:
                errs.append("%d units staged from %s, wanted %s" % (n, want_file, case["staged"]))
        if case["absent"] != "-":
            off = resolve(case["absent"], facts)
            tab = "calendar_items" if want_file.startswith("calendar/") else "messages"
            n = con.execute("SELECT count(*) FROM %s t JOIN source_files f ON f.id = t.src_file_id "
                            "WHERE f.path = ? AND t.src_offset = ?" % tab, (want_file, off)).fetchone()[0]
            if n:
                errs.append("a unit was staged at offset %d, which had to be skipped whole" % off)
        # names from source data never hold a NUL
        for tab, col in [("attachments", "name"), ("folders", "path"), ("mailboxes", "alias"),
                         ("mailboxes", "display_name")]:
            try:
                bad = con.execute("SELECT count(*) FROM %s WHERE instr(%s, char(0)) > 0" % (tab, col)).fetchone()[0]
            except sqlite3.OperationalError:
                bad = 0
            if bad:
                errs.append("%s.%s holds a NUL byte" % (tab, col))
        con.close()
    if kind == "exchange":
        try:
            rep = json.loads(out.decode("utf-8", "replace"))
            problems = [("text:" + pr["text"], pr["file"], pr["offset"], pr["text"])
                        for st in rep["sets"] for pr in st["problems"]]
        except (ValueError, KeyError) as e:
            if case["problem"] != "fatal":
                errs.append("inspect printed no JSON report: %s" % e)
    want = case["problem"]
    if want == "fatal":
        if p.returncode != 3:
            pass  # reported above
        name = os.path.basename(want_file) if want_file != "-" else ""
        if name and name not in stderr:
            errs.append("the error does not name %s: %s" % (name, stderr.strip()[:300]))
        if case["offset"] not in ("-", "*"):
            off = resolve(case["offset"], facts)
            if "offset %d" % off not in stderr:
                errs.append("the error does not name offset %d: %s" % (off, stderr.strip()[:300]))
    elif want != "-":
        codes = want.split("|")
        hits = [pr for pr in problems if (want == "any" or pr[0] in codes or
                                          any(c.startswith("text:") and c[5:] in pr[0] for c in codes)) and
                (want_file == "-" or pr[1] == want_file or pr[1].endswith("/" + want_file))]
        if case["offset"] != "-":
            hits = [pr for pr in hits if offset_ok(case["offset"], pr[2], facts)]
        if not hits:
            errs.append("no problem %s on %s at offset %s; recorded: %s" % (
                want, want_file, case["offset"],
                "; ".join("%s %s@%s" % (a, b_, c) for a, b_, c, _ in problems
                          if want_file == "-" or b_ == want_file or b_.endswith("/" + want_file))[:400]
                or "none"))
        else:
            info["problem"] = hits[0]
    info["stderr"] = stderr.strip()
    if not errs and not KEEP:
        shutil.rmtree(d, ignore_errors=True)
        for f in (db, db + "-wal", db + "-shm", tfile):
            if os.path.exists(f):
                os.unlink(f)
    return errs, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mf", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--variant", default="normal")
    ap.add_argument("--only", default="")
    ap.add_argument("--no-big", action="store_true", help="leave out the 4 GiB sparse files")
    ap.add_argument("--big", default="", help="of the 4 GiB cases, only those matching this pattern")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="show the problem each case matched")
    ap.add_argument("--keep", action="store_true", help="keep the inputs and databases of passing cases")
    a = ap.parse_args()
    global KEEP, MF, WORK
    KEEP = a.keep
    MF = a.mf
    WORK = a.work
    os.makedirs(a.work, exist_ok=True)
    passed = failed = 0
    rows = []
    for c in load_cases(a.only):
        if "sparse-4g" in c["id"] and (a.no_big or (a.big and not re.search(a.big, c["id"]))):
            continue
        if c["id"].endswith("*"):
            subs = expand_family(c)
        else:
            if c["id"] not in B:
                print("FAIL - %s: no builder" % c["id"])
                failed += 1
                continue
            subs = [(c["id"], B[c["id"]], {})]
        fam_ok = 0
        fam_worst = (0.0, 0)
        for sid, build, over in subs:
            sc = dict(c, id=sid, **over)
            try:
                errs, info = check_case(sc, build, a.work, a.mf, a.variant)
            except Exception as e:  # a builder or checker bug is a failure too
                errs, info = ["%s: %s" % (type(e).__name__, e)], {}
            if errs:
                print("FAIL - %s" % sid)
                for e in errs:
                    print("  " + e)
                failed += 1
            else:
                print("ok - %s (%.2f s, %d KiB)" % (sid, info["secs"], info["rss"]))
                if a.verbose:
                    print("  exit %s; %s" % (c["exit"], info.get("problem") or info.get("stderr", "")[:200]))
                passed += 1
                fam_ok += 1
                fam_worst = (max(fam_worst[0], info["secs"]), max(fam_worst[1], info["rss"]))
        rows.append((c, len(subs), fam_ok, fam_worst))
    if a.table:
        print("| case | inputs | handled as | exit | problem (file, offset) | worst time, peak memory |")
        print("|---|---|---|---|---|---|")
        for c, n, ok, (s, m) in rows:
            print("| `%s` | %d | %s | %s | `%s` (%s, %s) | %.1f s, %d MiB |" % (
                c["id"], n, c["handling"], c["exit"], c["problem"], c["file"], c["offset"], s, m // 1024))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
