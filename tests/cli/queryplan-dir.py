#!/usr/bin/env python3
# queryplan-dir.py: the query-plan guard's fixture (tests/cli/queryplan.sh):
# a directory of every kind added to a cc:Mail export set written by
# gen-ccmail, so the directory look-ups run against a directory that grows.
# Deterministic: the same options give the same bytes (no randomness; every
# name and choice is arithmetic on its number).
#
#   queryplan-dir.py ccmail SETDIR [--local N] [--remote N] [--aliases N]
#                    [--lists N] [--members N]
#
#   --local N    local users without mail (Locn L, no USERS.CSV row: each is
#                a mailbox with no mail, docs/formats/ccmail-export-set.md 3)
#   --remote N   users of other post offices (Locn r): half at one of 20
#                remote post offices (added as Locn p), half behind the
#                SMTPLINK gateway with an Internet address
#   --aliases N  aliases (Locn A) of local users
#   --lists N    mailing lists in LISTS.TXT, --members each (default 25),
#                members spread over the local and remote users
#
# The entries are appended to SETDIR/DIRECTRY.TXT (CR LF, ASCII names, so
# any code page reads them); LISTS.TXT is replaced.  On stdout: one line
# "kind<TAB>count" per kind of entry added.
import sys

REMOTE_POS = 20


def local_name(i):
    return "Dirlocal%06d, User" % i


def remote_name(i):
    return "Dirremote%06d, User" % i


def ccmail(setdir, local, remote, aliases, lists, members):
    out = []
    add = out.append
    for p in range(REMOTE_POS if remote else 0):
        add("Name: REMOTE%02d\r\nLocn: p\r\nComments: generated post office\r\n\r\n" % p)
    for i in range(local):
        add("Name: %s\r\nLocn: L\r\nAddr:\r\n\r\n" % local_name(i))
    for i in range(remote):
        if i % 2:
            add("Name: %s\r\nLocn: r\r\nAddr: SMTPLINK user%06d@remote.example\r\n\r\n"
                % (remote_name(i), i))
        else:
            add("Name: %s\r\nLocn: r\r\nAddr: REMOTE%02d Rem%06d, U.\r\n\r\n"
                % (remote_name(i), i % REMOTE_POS, i))
    for i in range(aliases):
        if not local:
            break
        add("Name: Diralias%06d\r\nLocn: A\r\nAddr: %s\r\n\r\n"
            % (i, local_name((i * 7919) % local)))
    with open(setdir + "/DIRECTRY.TXT", "ab") as f:
        f.write(b"\r\n" + "".join(out).encode("ascii"))
    everyone = local + remote
    ls = []
    for i in range(lists if everyone else 0):
        ls.append("List: Dirlist%06d\r\nComments: generated list\r\n" % i)
        for j in range(members):
            k = (i * 104729 + j * 7907) % everyone
            ls.append("Member: %s\r\n" % (local_name(k) if k < local else remote_name(k - local)))
        ls.append("\r\n")
    with open(setdir + "/LISTS.TXT", "wb") as f:
        f.write("".join(ls).encode("ascii"))
    for kind, n in (("local", local), ("remote", remote), ("aliases", aliases if local else 0),
                    ("lists", lists if everyone else 0)):
        print("%s\t%d" % (kind, n))


def main(argv):
    if len(argv) < 3 or argv[1] != "ccmail":
        sys.stderr.write("usage: queryplan-dir.py ccmail SETDIR [--local N] [--remote N] "
                         "[--aliases N] [--lists N] [--members N]\n")
        return 2
    opts = {"--local": 0, "--remote": 0, "--aliases": 0, "--lists": 0, "--members": 25}
    args = argv[3:]
    while args:
        if args[0] not in opts or len(args) < 2 or not args[1].isdigit():
            sys.stderr.write("queryplan-dir.py: bad option %s\n" % args[0])
            return 2
        opts[args[0]] = int(args[1])
        args = args[2:]
    ccmail(argv[2], opts["--local"], opts["--remote"], opts["--aliases"], opts["--lists"],
           opts["--members"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
