#!/bin/sh
# bench/dav.sh: the CardDAV push into a local Radicale against curl sending
# the same cards on one connection, and `export vcard` against cp.
#
# Corpus: a generated cc:Mail set (gen-ccmail) whose every second mailbox
# gets an address book of BENCH_DAV_CARDS entries and a list
# (tests/lib/dav_check.py gen-pab).  Radicale runs as in tests/cli/dav.sh
# (tests/lib/radicale.sh).  Prints one line per measurement:
#   carddav   N cards  S s  R cards/s   curl S s  R cards/s   ratio
#   vcard     N cards  S s  M MB/s      cp   S s               ratio
#
#   BENCH_DAV_USERS=20 BENCH_DAV_CARDS=250 sh bench/dav.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
MF="$top/mailferry"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
USERS=${BENCH_DAV_USERS:-20}
CARDS=${BENCH_DAV_CARDS:-250}
T=$(mktemp -d "${TMPDIR:-/tmp}/mf-bench-dav-XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
. "$top/tests/lib/radicale.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

now() { date +%s.%N; }
el() { echo "$2 - $1" | bc; }

"$top/build/tools/gen-ccmail" --users "$USERS" --messages "$USERS" --bboards 0 --seed 9 "$T/set" >/dev/null
"$PY" "$top/tests/lib/dav_check.py" gen-pab "$T/set" "$CARDS" >/dev/null
"$MF" import ccmail --db "$T/s.db" --quiet "$T/set" >/dev/null 2>&1
n=$(sqlite3 "$T/s.db" "SELECT count(*) FROM pab_entries")

radicale_start
printf '%s\n' "$RADICALE_ADMIN_PASSWORD" > "$T/pw"
printf 'user = "%s:%s"\n' "$RADICALE_ADMIN" "$RADICALE_ADMIN_PASSWORD" > "$T/curl-user.cfg"

# mailferry: collections made, one PUT per card, ledger rows
t0=$(now)
"$MF" export carddav --db "$T/s.db" --url "$RADICALE_URL" --admin "$RADICALE_ADMIN" \
	--password-file "$T/pw" --dav-layout "mf/%a/%t/" --quiet >/dev/null
t1=$(now)
mf_s=$(el "$t0" "$t1")

# curl: the same cards (split from the vCard export), into collections made
# beforehand (not timed), one curl process, one connection
"$MF" export vcard --db "$T/s.db" --out "$T/vcf" --quiet >/dev/null
"$PY" - "$T/vcf" "$T/cards" "$RADICALE_URL" "$RADICALE_ADMIN" "$T/pw" "$T/curl.cfg" <<'EOF'
import base64, http.client, os, sys, urllib.parse
src, out, url, user, pwfile, cfg = sys.argv[1:7]
pw = open(pwfile).read().splitlines()[0]
u = urllib.parse.urlsplit(url)
auth = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
c = http.client.HTTPConnection(u.hostname, u.port)
def req(m, p, body=None):
    c.request(m, p, body=body, headers={"Authorization": auth})
    c.getresponse().read()
mk = (b'<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
      b'<D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>'
      b'</D:prop></D:set></D:mkcol>')
req("MKCOL", "/curl/")
os.makedirs(out)
lines = ['header = "Expect:"', 'header = "If-None-Match: *"', 'header = "Content-Type: text/vcard"',
         "silent", 'output = "/dev/null"']
k = 0
for f in sorted(os.listdir(src)):
    if not f.endswith(".vcf"):
        continue
    alias = f[:-4]
    req("MKCOL", "/curl/%s/" % alias)
    req("MKCOL", "/curl/%s/contacts/" % alias, mk)
    for card in open(os.path.join(src, f), "rb").read().split(b"END:VCARD\r\n")[:-1]:
        p = os.path.join(out, "%d.vcf" % k)
        open(p, "wb").write(card + b"END:VCARD\r\n")
        lines.append('upload-file = "%s"' % p)
        lines.append('url = "%scurl/%s/contacts/%d.vcf"' % (url, alias, k))
        k += 1
open(cfg, "w").write("\n".join(lines) + "\n")
EOF
t0=$(now)
curl --config "$T/curl-user.cfg" --config "$T/curl.cfg"
t1=$(now)
curl_s=$(el "$t0" "$t1")
radicale_stop

printf 'carddav  %d cards  mailferry %.2f s  %.0f cards/s   curl %.2f s  %.0f cards/s   ratio %.2f\n' \
	"$n" "$mf_s" "$(echo "$n / $mf_s" | bc -l)" "$curl_s" "$(echo "$n / $curl_s" | bc -l)" \
	"$(echo "$curl_s / $mf_s" | bc -l)"

# vcard files against cp
rm -rf "$T/vcf"
t0=$(now)
"$MF" export vcard --db "$T/s.db" --out "$T/vcf" --quiet >/dev/null
t1=$(now)
v_s=$(el "$t0" "$t1")
bytes=$(cat "$T"/vcf/*.vcf | wc -c)
t0=$(now)
cp -r "$T/vcf" "$T/vcf-copy"
sync -f "$T/vcf-copy"
t1=$(now)
cp_s=$(el "$t0" "$t1")
printf 'vcard    %d cards  mailferry %.3f s  %.1f MB/s   cp %.3f s   ratio %.2f\n' \
	"$n" "$v_s" "$(echo "$bytes / $v_s / 1000000" | bc -l)" "$cp_s" "$(echo "$cp_s / $v_s" | bc -l)"
