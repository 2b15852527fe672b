#!/usr/bin/python3
"""pst_check.py: read mailferry's PST files back with readers mailferry did
not write and compare what each finds with the staging database.

usage: pst_check.py DB OUTDIR READER [NODE_DIR] [EML_DIR]

READER is one of
  pypff      libpff's Python bindings: folders, subject, dates, flags,
             importance, sender, plain body, RTF (decoded here), attachments;
             every part of a mailbox (alias.pst, alias-002.pst, ...) together
  pffexport  libpff's exporter: the same through its text files, plus the
             recipients and the embedded (forwarded) messages, recursively
  readpst    libpst's readpst -j 0 -e -D (its parallel jobs lose files): messages per folder, bodies, attachments
             and embedded messages as message/rfc822 parts
  extractor  the npm package pst-extractor (tests/node/pst-read.js)
  files      every selected mailbox has its file; empty ones open with the
             standard folders (pypff); the mapping CSV has one row per file
With EML_DIR (`mailferry export eml` of the same database, its ledger
rows in DB), the sender's and every To/Cc recipient's name and address
are compared too: the EML exporter renders staged addresses (directory,
plan, legacy forms) as every exporter does, so it is the reference the PST
readers' names and addresses must equal.  What each reader can show:
  pypff      folder, subject, submit and delivery time, read/unsent,
             importance, read receipt, sender name and address, body, RTF,
             attachments (bytes, names); not recipients nor embedded
             messages (the bindings do not expose them: pffexport does)
  pffexport  folder, subject, submit and delivery time, read/unsent,
             importance, sender name and address, recipients (type, name,
             address), body, attachments (bytes), embedded messages with
             the same, recursively
  readpst    folder, read flag (Status: R), body, RTF, attachments
             (bytes) and embedded messages; its headers are the stored
             transport headers when a message has them, so subject, sender
             and dates are compared only for messages without them
  extractor  everything pypff compares, plus recipients (type, name,
             address) and embedded messages, recursively
Every check compares content and counts item by item; a reader's error
output fails the check.  Prints one line per problem and exits 1 on any.
"""
import datetime
import email
import email.header
import email.policy
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

STANDARD = {"inbox": "Inbox", "in box": "Inbox", "sent": "Sent Items", "sent items": "Sent Items",
            "sent mail": "Sent Items", "drafts": "Drafts", "draft": "Drafts",
            "trash": "Deleted Items", "deleted": "Deleted Items", "deleted items": "Deleted Items",
            "wastebasket": "Deleted Items", "outbox": "Outbox", "out box": "Outbox"}
SPECIAL = {"inbox": "Inbox", "sent": "Sent Items", "drafts": "Drafts", "trash": "Deleted Items"}
FOLDERS5 = {"Inbox", "Sent Items", "Deleted Items", "Drafts", "Outbox"}
PIM = {"Contacts", "Tasks", "Calendar"}

from pstcheck_common import bad, finish, problems, pypff_top  # noqa: E402


def pst_folder(path, special):
    """The PST folder (tuple of names) a staged folder lands in."""
    levels = (path or "Inbox").split("\\")
    first = levels[0]
    if len(levels) == 1 and special in SPECIAL:
        first = SPECIAL[special]
    elif first.lower() in STANDARD:
        first = STANDARD[first.lower()]
    return tuple([first] + [x or "(no name)" for x in levels[1:]])


def crlf(s):
    return re.sub(r"\r\n|\r|\n", "\r\n", s)


def norm(s):
    """Body text compared across readers: LF ends, no trailing blanks."""
    return re.sub(r"\r\n|\r", "\n", s or "").rstrip()


# ---- expectations from the staging database ----

def load_message(con, mid):
    r = con.execute("select subject, sender_raw, sent_utc, received_utc, unread, unsent, priority, "
                    "receipt_requested, folder_id, length(raw_header) from messages where id = ?",
                    (mid,)).fetchone()
    m = {"id": mid, "subject": r[0] or "", "has_sender": r[1] is not None, "submit": r[2],
         "delivery": r[3] if r[3] is not None else r[2], "read": not r[4], "unsent": bool(r[5]),
         "importance": r[6] + 1, "receipt": bool(r[7]), "folder_id": r[8],
         "raw_header": bool(r[9])}
    texts, rtf = [], None
    for kind, text, raw in con.execute("select kind, text, raw from body_parts where message_id = ? "
                                       "order by position", (mid,)):
        if kind == "rtf":
            if rtf is None:
                rtf = bytes(raw) if raw is not None else text.encode()
        else:
            texts.append(crlf(text))
    m["body"] = "\r\n".join(texts)
    m["has_body"] = bool(texts)
    m["rtf"] = rtf
    m["recipients"] = [role for (role,) in con.execute(
        "select role from recipients where message_id = ? order by role, position", (mid,))]
    m["attachments"] = []
    for name, data, nested in con.execute("select name, data, nested_message_id from attachments "
                                          "where message_id = ? order by position", (mid,)):
        a = {"name": name or "attachment"}
        if nested is not None:
            a["nested"] = load_message(con, nested)
        else:
            a["sha256"] = hashlib.sha256(bytes(data) if data is not None else b"").hexdigest()
        m["attachments"].append(a)
    return m


def eml_parties(emldir, con):
    """Message id -> (from, to, cc) as the EML exporter rendered them."""
    import email.utils
    out = {}
    if not emldir:
        return out
    root = os.path.realpath(emldir)
    for mid, rid, target in con.execute("select item_id, remote_id, target from deliveries where "
                                        "item_kind = 'message' and status = 'delivered' and "
                                        "target like 'eml:%'"):
        if not target.startswith("eml:" + root + "#"):
            continue
        with open(os.path.join(root, rid), "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=email.policy.default)
        def parties(name):
            vals = [str(v) for v in msg.get_all(name, [])]
            return [(n, a) for n, a in email.utils.getaddresses(vals)]
        frm = parties("From")
        out[mid] = (frm[0] if frm else None, parties("To"), parties("Cc"))
    return out


def expectations(db, emldir=None):
    con = sqlite3.connect(db)
    out = {}
    refs = eml_parties(emldir, con)
    for mbid, alias, kind in con.execute("select id, alias, kind from mailboxes where alias is not null "
                                         "order by alias").fetchall():
        folders = {fid: pst_folder(p, sp) for fid, p, sp in
                   con.execute("select id, path, special from folders where mailbox_id = ?", (mbid,))}
        msgs = []
        for (mid,) in con.execute("select g.id from messages g join folders f on f.id = g.folder_id "
                                  "where g.mailbox_id = ? and g.parent_id is null", (mbid,)).fetchall():
            m = load_message(con, mid)
            m["folder"] = folders[m["folder_id"]]
            if mid in refs:
                m["from"], m["to"], m["cc"] = refs[mid]
            msgs.append(m)
        out[alias] = {"kind": kind, "messages": msgs, "folders": set(folders.values())}
    return out


# ---- matching ----

def match(alias, reader, expected, found, compare):
    """Pair every expected message with one the reader found in the same
    folder (same subject, then the closest), then compare them.  Items of
    the Contacts, Tasks and Calendar folders are not mail: other checkers
    read them (tests/lib/pst_pab_check.py), unless mail is staged there."""
    mail_folders = {m["folder"] for m in expected}
    found = [x for x in found if not (len(x["folder"]) == 1 and x["folder"][0] in PIM and
                                      x["folder"] not in mail_folders)]
    byf = {}
    for m in found:
        byf.setdefault(m["folder"], []).append(m)
    def score(m, x):
        sc = 0
        if x.get("body") is not None and norm(x.get("body")) == norm(m["body"]):
            sc += 2
        if sorted(a.get("sha256") or "" for a in x.get("attachments", [])) == \
                sorted(a.get("sha256") or "" for a in m["attachments"]):
            sc += 1
        if x.get("subject") == m["subject"]:
            sc += 4
        return sc

    def sig(x, subject):
        return (subject, norm(x.get("body")),
                tuple(sorted(a.get("sha256") or "" for a in x.get("attachments", []))))

    index = {}
    for f, pool in byf.items():
        for x in pool:
            index.setdefault((f,) + sig(x, x.get("subject")), []).append(x)
    pairs, rest, used = [], [], set()
    # first the messages a reader gives back exactly, then the others
    for m in expected:
        hit = None
        for subj in (m["subject"], None):
            lst = index.get((m["folder"],) + sig(m, subj))
            while lst and id(lst[0]) in used:
                lst.pop(0)
            if lst:
                hit = lst.pop(0)
                break
        if hit is not None:
            used.add(id(hit))
            pairs.append((m, hit))
        else:
            rest.append(m)
    for f in byf:
        byf[f] = [x for x in byf[f] if id(x) not in used]
    for m in rest:
        pool = byf.get(m["folder"], [])
        if not pool:
            bad("%s: %s: message %d (%r) not found in folder %s", reader, alias, m["id"], m["subject"],
                "/".join(m["folder"]))
            continue
        best = max(pool, key=lambda x: score(m, x))
        pool.remove(best)
        pairs.append((m, best))
    for m, x in pairs:
        compare(alias, reader, m, x)
    for f, pool in byf.items():
        for x in pool:
            bad("%s: %s: unexpected message %r in %s", reader, alias, x.get("subject"), "/".join(f))


def cmp_readpst(alias, reader, m, x):
    """readpst: the read flag, body, RTF, attachments and embedded messages;
    the subject where no transport headers were stored (its headers are
    those otherwise)."""
    tag = "%s: %s: message %d (%r)" % (reader, alias, m["id"], m["subject"])
    if x["read"] != m["read"]:
        bad("%s: read %r (Status header), staged %r", tag, x["read"], m["read"])
    if not m["raw_header"] and x.get("header_subject") != m["subject"]:
        bad("%s: subject %r", tag, x.get("header_subject"))
    cmp_common(alias, reader, m, x, {"body", "rtf", "attachments", "nested_ok", "unordered"})


def cmp_common(alias, reader, m, x, what):
    tag = "%s: %s: message %d (%r)" % (reader, alias, m["id"], m["subject"])
    if "subject" in what and x["subject"] != m["subject"]:
        bad("%s: subject %r", tag, x["subject"])
    if "submit" in what and x["submit"] != m["submit"]:
        bad("%s: submit time %r, staged %r", tag, x["submit"], m["submit"])
    if "flags" in what and (x["read"] != m["read"] or x["unsent"] != m["unsent"]):
        bad("%s: read/unsent %r/%r, staged %r/%r", tag, x["read"], x["unsent"], m["read"], m["unsent"])
    if "importance" in what and x["importance"] != m["importance"]:
        bad("%s: importance %r, staged %r", tag, x["importance"], m["importance"])
    if "receipt" in what and x["receipt"] != m["receipt"]:
        bad("%s: read receipt %r, staged %r", tag, x["receipt"], m["receipt"])
    if "sender" in what and m["has_sender"] and not x.get("sender"):
        bad("%s: no sender", tag)
    if "sender" in what and m.get("from") and x.get("sender_email") is not None:
        if (x.get("sender"), x["sender_email"].lower()) != (m["from"][0], m["from"][1].lower()):
            bad("%s: sender %r <%s>, the staged sender renders as %r <%s>", tag, x.get("sender"),
                x["sender_email"], m["from"][0], m["from"][1])
    if "delivery" in what and x.get("delivery") != m["delivery"]:
        bad("%s: delivery time %r, staged %r", tag, x.get("delivery"), m["delivery"])
    if "parties" in what and "to" in m and x.get("parties") is not None:
        got = [(r, n, a.lower()) for r, n, a in x["parties"] if r in ("to", "cc")]
        want = [("to", n, a.lower()) for n, a in m["to"]] + [("cc", n, a.lower()) for n, a in m["cc"]]
        if sorted(got) != sorted(want):
            bad("%s: To/Cc %r, the staged recipients render as %r", tag, got, want)
    if "body" in what and norm(x["body"]) != norm(m["body"]):
        bad("%s: body %r, staged %r", tag, (x["body"] or "")[:80], m["body"][:80])
    if "rtf" in what and m["rtf"] is not None and (x.get("rtf") or b"").rstrip(b"\r\n\0") != m["rtf"].rstrip(b"\r\n\0"):
        bad("%s: RTF %r, staged %r", tag, (x.get("rtf") or b"")[:60], m["rtf"][:60])
    if "recipients" in what:
        if sorted(x["recipients"]) != sorted(m["recipients"]):
            bad("%s: recipients %r, staged %r", tag, x["recipients"], m["recipients"])
    if "attachments" in what:
        xa, ma = x["attachments"], m["attachments"]
        if "unordered" in what:
            key = lambda a: (a.get("sha256") or "", "nested" in a)
            xa, ma = sorted(xa, key=key), sorted(ma, key=key)
        if len(xa) != len(ma):
            bad("%s: %d attachments, staged %d", tag, len(xa), len(ma))
            return
        for i, (p, q) in enumerate(zip(xa, ma)):
            if "nested" in q:
                if "nested_ok" in what:
                    if p.get("nested") is None:
                        bad("%s: attachment %d: embedded message missing", tag, i)
                    else:
                        cmp_common(alias, reader, q["nested"], p["nested"], what)
                elif not p.get("embedded"):
                    bad("%s: attachment %d is not an embedded message", tag, i)
            else:
                if p.get("sha256") != q["sha256"]:
                    bad("%s: attachment %d (%r) sha256 %s, staged %s", tag, i, q["name"],
                        p.get("sha256"), q["sha256"])
                if "names" in what and p.get("name") != q["name"]:
                    bad("%s: attachment %d name %r, staged %r", tag, i, p.get("name"), q["name"])


# ---- LZFu (to read PidTagRtfCompressed exactly) ----

LZFU_PREFIX = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
               b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
               b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")


def lzfu_decode(data):
    import zlib
    comp, raw, kind, crc = (int.from_bytes(data[i:i + 4], "little") for i in (0, 4, 8, 12))
    if kind != 0x75465A4C or comp != len(data) - 4:
        return None
    if crc != (zlib.crc32(data[16:], 0xFFFFFFFF) ^ 0xFFFFFFFF) & 0xFFFFFFFF:
        return None
    d = bytearray(4096)
    d[:len(LZFU_PREFIX)] = LZFU_PREFIX
    w, out, i = len(LZFU_PREFIX), bytearray(), 16
    while i < len(data):
        ctl = data[i]
        i += 1
        for b in range(8):
            if i >= len(data):
                break
            if ctl & (1 << b):
                ref = data[i] << 8 | data[i + 1]
                i += 2
                off, n = ref >> 4, (ref & 15) + 2
                if off == w:
                    return bytes(out) if len(out) == raw else None
                for k in range(n):
                    c = d[(off + k) % 4096]
                    out.append(c)
                    d[w] = c
                    w = (w + 1) % 4096
            else:
                out.append(data[i])
                d[w] = data[i]
                w = (w + 1) % 4096
                i += 1
    return None


# ---- readers ----

def ft_unix(ft):
    return None if not ft else ft // 10000000 - 11644473600


def pypff_read(path):
    f, root, top = pypff_top(path)
    found, folders = [], set()

    def props(rs):
        out = {}
        for i in range(rs.number_of_entries):
            e = rs.get_entry(i)
            out[e.entry_type] = e
        return out

    def msg(m):
        p = props(m.get_record_set(0))
        flags = p[0x0E07].data_as_integer if 0x0E07 in p else 0
        x = {"subject": m.subject or "", "submit": ft_unix(m.get_client_submit_time_as_integer()),
             "read": bool(flags & 1), "unsent": bool(flags & 8),
             "importance": p[0x0017].data_as_integer if 0x0017 in p else None,
             "receipt": bool(p[0x0029].data_as_boolean) if 0x0029 in p else False,
             "sender": m.sender_name,
             "sender_email": p[0x0C1F].data_as_string if 0x0C1F in p else None,
             "delivery": ft_unix(m.get_delivery_time_as_integer()),
             "body": m.plain_text_body.decode("utf-8") if m.plain_text_body else "",
             "rtf": lzfu_decode(p[0x1009].data) if 0x1009 in p else None, "attachments": []}
        for i in range(m.number_of_attachments):
            a = m.get_attachment(i)
            ap = props(a.get_record_set(0))
            method = ap[0x3705].data_as_integer if 0x3705 in ap else 0
            e = {"name": ap[0x3707].data_as_string if 0x3707 in ap else None}
            if method == 5:
                e["embedded"] = True
            else:
                e["sha256"] = hashlib.sha256(a.read_buffer(a.size) if a.size else b"").hexdigest()
            x["attachments"].append(e)
        return x

    def walk(fo, path):
        folders.add(path)
        for i in range(fo.number_of_sub_messages):
            x = msg(fo.get_sub_message(i))
            x["folder"] = path
            found.append(x)
        for i in range(fo.number_of_sub_folders):
            s = fo.get_sub_folder(i)
            walk(s, path + (s.name,))

    if top is None:
        bad("pypff: %s: no 'Top of ...' folder", path)
    else:
        walk(top, ())
    f.close()
    return found, folders


def run(cmd, reader):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode != 0 or err:
        bad("%s: %s exited %d: %s", reader, " ".join(cmd), p.returncode, err[:500])
    return p.stdout


def pffexport_read(path, tmp):
    target = os.path.join(tmp, "pe")
    run(["pffexport", "-q", "-t", target, path], "pffexport")
    top = os.path.join(target + ".export", "Top of Outlook data file")
    found = []

    def header(dirp):
        h = {}
        try:
            with open(os.path.join(dirp, "OutlookHeaders.txt"), encoding="utf-8") as fh:
                for line in fh:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        h.setdefault(k.strip(), v.strip())
        except OSError:
            pass
        return h

    def when(s):
        if not s:
            return None
        t = datetime.datetime.strptime(s.split(".")[0], "%b %d, %Y %H:%M:%S")
        return int(t.replace(tzinfo=datetime.timezone.utc).timestamp())

    def msg(dirp):
        h = header(dirp)
        flags = int(h.get("Flags", "0x0").split()[0], 16)
        body = ""
        if os.path.exists(os.path.join(dirp, "Message.txt")):
            with open(os.path.join(dirp, "Message.txt"), "rb") as fh:
                body = fh.read().decode("utf-8", "replace")
        x = {"subject": h.get("Subject", ""), "submit": when(h.get("Client submit time")),
             "delivery": when(h.get("Delivery time")),
             "read": bool(flags & 1), "unsent": bool(flags & 8),
             "importance": {"Low": 0, "Normal": 1, "High": 2}.get(h.get("Importance")),
             "sender": h.get("Sender name"), "sender_email": h.get("Sender email address"),
             "body": body, "recipients": [], "parties": [], "attachments": []}
        rp = os.path.join(dirp, "Recipients.txt")
        if os.path.exists(rp):
            with open(rp, encoding="utf-8") as fh:
                cur = {}
                for line in fh:
                    k, _, val = line.partition(":")
                    k, val = k.strip(), val.strip()
                    if k == "Display name":
                        cur = {"name": val}
                    elif k == "Email address":
                        cur["email"] = val
                    elif k == "Recipient type":
                        t = val.lower()
                        x["recipients"].append(t)
                        x["parties"].append((t, cur.get("name"), cur.get("email") or ""))
        ad = os.path.join(dirp, "Attachments")
        if os.path.isdir(ad):
            items = []
            for n in os.listdir(ad):
                full = os.path.join(ad, n)
                if os.path.isdir(full):
                    sub = [s for s in os.listdir(full) if s.startswith("Message")]
                    items.append((int(re.sub(r"\D", "", n) or 0), {
                        "nested": msg(os.path.join(full, sub[0])) if sub else None}))
                else:
                    k, _, name = n.partition("_")
                    with open(full, "rb") as fh:
                        items.append((int(k), {"name": name,
                                               "sha256": hashlib.sha256(fh.read()).hexdigest()}))
            x["attachments"] = [e for _, e in sorted(items, key=lambda t: t[0])]
        return x

    def walk(dirp, path):
        for n in sorted(os.listdir(dirp)):
            full = os.path.join(dirp, n)
            if not os.path.isdir(full):
                continue
            if re.fullmatch(r"Message\d{5}", n) and os.path.exists(os.path.join(full, "OutlookHeaders.txt")):
                x = msg(full)
                x["folder"] = path
                found.append(x)
            else:
                walk(full, path + (n,))

    if os.path.isdir(top):
        walk(top, ())
    else:
        bad("pffexport: %s: no 'Top of Outlook data file' folder exported", path)
    return found


def readpst_read(path, tmp):
    target = os.path.join(tmp, "rp")
    os.makedirs(target)
    run(["readpst", "-q", "-j", "0", "-e", "-D", "-o", target, path], "readpst")
    found = []

    def part_msg(msgobj):
        x = {"subject": None, "body": "", "attachments": []}
        for part in (msgobj.get_payload() if msgobj.is_multipart() else [msgobj]):
            ct = part.get_content_type()
            if ct == "message/rfc822":
                inner = part.get_payload()[0] if isinstance(part.get_payload(), list) else part.get_payload()
                raw = inner.as_bytes() if hasattr(inner, "as_bytes") else str(inner).encode()
                raw = raw.lstrip(b"\r\n")
                if raw.startswith(b">From "):
                    # readpst starts an embedded message with an mbox From line
                    raw = raw.split(b"\n", 1)[1]
                inner = email.message_from_bytes(raw, policy=email.policy.compat32)
                x["attachments"].append({"nested": part_msg(inner)})
            elif ct == "application/rtf" and part.get_filename() == "rtf-body.rtf":
                # readpst gives the RTF body as an attachment of this name
                x["rtf"] = part.get_payload(decode=True)
            elif part.get_filename() is not None or part.get("Content-Disposition", "").startswith("attachment"):
                x["attachments"].append({"name": part.get_filename(),
                                         "sha256": hashlib.sha256(part.get_payload(decode=True) or b"").hexdigest()})
            elif ct == "text/plain" and not x["body"]:
                raw = part.get_payload(decode=True) or b""
                x["body"] = raw.decode(part.get_content_charset() or "utf-8", "replace")
            elif ct == "text/rtf" or ct == "application/rtf":
                x["rtf"] = part.get_payload(decode=True)
        return x

    tops = os.listdir(target)
    if len(tops) != 1:
        return found
    base = os.path.join(target, tops[0])
    for dirp, dirs, files in os.walk(base):
        rel = os.path.relpath(dirp, base)
        folder = () if rel == "." else tuple(rel.split(os.sep))
        for n in files:
            if not n.endswith(".eml"):
                continue
            with open(os.path.join(dirp, n), "rb") as fh:
                msgobj = email.message_from_binary_file(fh, policy=email.policy.compat32)
            x = part_msg(msgobj)
            x["folder"] = folder
            # readpst writes "Status: RO" for a read message (a stored
            # transport header may carry Status lines of its own)
            x["read"] = any(str(v).strip() == "RO" for v in msgobj.get_all("Status", []))
            x["header_subject"] = str(email.header.make_header(email.header.decode_header(
                msgobj.get("Subject") or "")))
            found.append(x)
    return found


def extractor_read(path, node_dir):
    out = run(["node", os.path.join(node_dir, "pst-read.js"), path], "pst-extractor")
    try:
        d = json.loads(out)
    except ValueError:
        bad("pst-extractor: %s: no JSON", path)
        return []
    found = []

    def conv(m):
        roles = {1: "to", 2: "cc", 3: "bcc"}
        x = {"subject": m["subject"], "submit": None if m["submit"] is None else int(m["submit"]),
             "delivery": None if m["delivery"] is None else int(m["delivery"]),
             "read": m["read"], "unsent": m["unsent"], "importance": m["importance"],
             "receipt": m["receipt"], "sender": m["senderName"], "sender_email": m["senderEmail"],
             "body": m["body"],
             "rtf": m["rtf"].encode("latin-1", "replace") if m["rtf"] else None,
             "recipients": [roles.get(r["type"], "?") for r in m["recipients"]],
             "parties": [(roles.get(r["type"], "?"), r["name"], r["email"] or "")
                         for r in m["recipients"]],
             "attachments": []}
        for a in m["attachments"]:
            if a["method"] == 5:
                x["attachments"].append({"embedded": True,
                                         "nested": conv(a["embedded"]) if a.get("embedded") else None})
            else:
                x["attachments"].append({"name": a["name"], "sha256": a["sha256"]})
        return x

    for f in d["folders"]:
        for m in f["messages"]:
            x = conv(m)
            x["folder"] = tuple(f["path"])
            found.append(x)
    return found


# ---- main ----

def main():
    db, outdir, reader = sys.argv[1], sys.argv[2], sys.argv[3]
    node_dir = sys.argv[4] if len(sys.argv) > 4 else None
    emldir = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    exp = expectations(db, emldir)
    nmsg = 0
    for alias, mb in sorted(exp.items()):
        path = os.path.join(outdir, alias + ".pst")
        if not os.path.exists(path):
            bad("%s: %s has no file %s", reader, alias, path)
            continue
        msgs = mb["messages"]
        nmsg += len(msgs)
        with tempfile.TemporaryDirectory() as tmp:
            if reader == "files":
                found, folders = pypff_read(path)
                for f in FOLDERS5:
                    if (f,) not in folders:
                        bad("files: %s: standard folder %s missing", alias, f)
                for f in mb["folders"]:
                    if f not in folders:
                        bad("files: %s: staged folder %s missing", alias, "/".join(f))
            elif reader == "pypff":
                # every part of the mailbox: alias.pst, alias-002.pst, ...
                found = []
                for part in sorted(os.listdir(outdir)):
                    if part == alias + ".pst" or re.fullmatch(re.escape(alias) + r"-\d{3}\.pst", part):
                        found += pypff_read(os.path.join(outdir, part))[0]
                match(alias, reader, msgs, found, lambda a, r, m, x: cmp_common(
                    a, r, m, x, {"subject", "submit", "delivery", "flags", "importance", "receipt",
                                 "sender", "body", "rtf", "attachments", "names"}))
            elif reader == "pffexport":
                found = pffexport_read(path, tmp)
                match(alias, reader, msgs, found, lambda a, r, m, x: cmp_common(
                    a, r, m, x, {"subject", "submit", "delivery", "flags", "importance", "sender",
                                 "body", "recipients", "parties", "attachments", "nested_ok"}))
            elif reader == "readpst":
                found = readpst_read(path, tmp)
                # readpst leaves out attachments that hold no bytes
                empty = hashlib.sha256(b"").hexdigest()
                def drop_empty(m):
                    m["attachments"] = [a for a in m["attachments"] if a.get("sha256") != empty]
                    for a in m["attachments"]:
                        if a.get("nested"):
                            drop_empty(a["nested"])
                for m in msgs:
                    drop_empty(m)
                for x in found:
                    x["subject"] = None
                match(alias, reader, msgs, found, lambda a, r, m, x: cmp_readpst(a, r, m, x))
            elif reader == "extractor":
                found = extractor_read(path, node_dir)
                match(alias, reader, msgs, found, lambda a, r, m, x: cmp_common(
                    a, r, m, x, {"subject", "submit", "delivery", "flags", "importance", "receipt",
                                 "sender", "body", "rtf", "recipients", "parties", "attachments",
                                 "names", "nested_ok"}))
            else:
                sys.exit("unknown reader " + reader)
    if reader == "files":
        csvp = os.path.join(outdir, "PstImportMapping.csv")
        try:
            with open(csvp, newline="") as fh:
                import csv
                rows = list(csv.reader(fh))
        except OSError:
            rows = []
            bad("files: no %s", csvp)
        if rows:
            if rows[0] != ["Workload", "FilePath", "Name", "Mailbox", "IsArchive", "TargetRootFolder",
                           "ContentCodePage", "SPFileContainer", "SPManifestContainer", "SPSiteUrl"]:
                bad("files: mapping CSV header %r", rows[0])
            names = sorted(r[2] for r in rows[1:])
            files = sorted(n for n in os.listdir(outdir) if n.endswith(".pst") and n != "directory.pst")
            if names != files:
                bad("files: mapping CSV names %r, files %r", names, files)
    finish("%s: %d mailboxes, %d messages, %d problems" % (reader, len(exp), nmsg, len(problems)))


if __name__ == "__main__":
    main()
