#!/usr/bin/env python3
"""exchange_check.py DB INSPECT_JSON: hold an Exchange migration file set
(as `mailferry inspect exchange --json` reads it back) against the staging
database it was exported from:

  - one MAILMESSAGE section per mailbox (PublicMessages per public folder),
    including the mailboxes with no message;
  - as many message lines as staged messages (plus one Schedule+ line per
    mailbox with calendar items);
  - every staged attachment's bytes (the MacBinary original where there is
    one) read back through the pointers with the staged sha256.
Prints what differs and exits 1 if anything does."""
import json
import sqlite3
import sys
from collections import Counter

db = sqlite3.connect(sys.argv[1])
rep = json.load(open(sys.argv[2], encoding="utf-8"))
bad = []

sections = Counter()
lines = 0
sched = 0
shas = Counter()
for s in rep["sets"]:
    if not s["valid"]:
        bad.append("set %s is not valid: %s" % (s["pkl"], s["problems"][:3]))
    for sec in s["sections"]:
        if sec["kind"] == "MAILMESSAGE":
            sections[sec["argument"]] += 1
    for m in s["messages"]:
        if m["subject"] == "Schedule+" and any(i["type"] == "Schedule" for i in m["items"]):
            sched += 1
            continue
        lines += 1
        for i in m["items"]:
            if i["type"] == "Attachment":
                shas[i["sha256"]] += 1

for (addr,) in db.execute("SELECT source_address FROM mailboxes WHERE kind = 'mailbox'"):
    if sections[addr] != 1:
        bad.append("mailbox %s has %d MAILMESSAGE sections" % (addr, sections[addr]))
npub = db.execute("SELECT count(*) FROM mailboxes WHERE kind = 'public'").fetchone()[0]
if sections["PublicMessages"] != npub:
    bad.append("%d PublicMessages sections for %d public folders" % (sections["PublicMessages"], npub))

nmsg = db.execute("SELECT count(*) FROM messages WHERE parent_id IS NULL").fetchone()[0]
if lines != nmsg:
    bad.append("%d message lines for %d staged messages" % (lines, nmsg))
ncal = db.execute("SELECT count(DISTINCT mailbox_id) FROM calendar_items").fetchone()[0]
if sched != ncal:
    bad.append("%d Schedule+ items for %d mailboxes with calendars" % (sched, ncal))

# staged attachments of top-level messages and of forwarded ones (which the
# exporter flattens after the forwarded text); forwarded messages themselves
# become text attachments and are not compared here
want = Counter()
for sha, osha, fmt in db.execute(
        "SELECT sha256, original_sha256, format FROM attachments WHERE kind <> 'message'"):
    if fmt == "macbinary" and osha:
        want[osha] += 1
    elif sha:
        want[sha] += 1
missing = want - shas
if missing:
    bad.append("attachments not read back with their staged sha256: %s" % dict(missing))

for b in bad:
    print("  " + b)
print("exchange check: %d mailboxes, %d message lines, %d attachments compared: %s" % (
    sum(sections.values()), lines, sum(want.values()), "FAILED" if bad else "ok"))
sys.exit(1 if bad else 0)
