#!/bin/sh
# decode.sh: `impcert decode` on the application-level captures that the
# conformance run of tests/check.sh left in $BUILD/check-captures.
# Checks the timeline text, --json, that tshark reads the .app.pcap, and
# that a truncated file gives exit 1 and names an offset. Ends with
# "N passed, N failed".
set -u
B=${BUILD:-build}
IC=$B/bin/impcert
CAP=$B/check-captures
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { # check NAME CMD...: passes when CMD exits 0
  name=$1; shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

B1=$CAP/BOOT-001.app.pcap
B4=$CAP/BOOT-004.app.pcap
check "BOOT-001.app.pcap exists" test -s "$B1"
check "BOOT-004.app.pcap exists" test -s "$B4"

"$IC" decode "$B1" >"$TMP/b1.txt" 2>"$TMP/b1.err"
check "decode BOOT-001 exits 0" test $? -eq 0
check "BOOT-001 shows ActivationRequest with the plan ID" \
  grep -q 'D->C  10\.0\.0\.2:[0-9]* > 10\.0\.0\.1:31314  ActivationRequest{plan_id="plan-0001-impcert"' \
  "$TMP/b1.txt"
check "BOOT-001 shows the jig BlinkUp" grep -q 'J->D .*BlinkUp{' "$TMP/b1.txt"

"$IC" decode "$B4" >"$TMP/b4.txt" 2>"$TMP/b4.err"
check "decode BOOT-004 exits 0" test $? -eq 0
check "BOOT-004 shows a CloudAnswer" grep -q 'C->D .*CloudAnswer{' "$TMP/b4.txt"
n=$(grep -c 'D->C .*CodeHash{' "$TMP/b4.txt")
check "BOOT-004 shows two CodeHash lines (got $n)" test "$n" -eq 2

"$IC" decode "$B4" --json >"$TMP/b4.json" 2>/dev/null
check "--json exits 0" test $? -eq 0
lines=0
badjson=0
while IFS= read -r line; do
  lines=$((lines + 1))
  printf '%s\n' "$line" | python3 -m json.tool >/dev/null 2>&1 ||
    badjson=$((badjson + 1))
done <"$TMP/b4.json"
check "--json: $lines lines, each parses" test "$lines" -gt 0 -a "$badjson" -eq 0
check "--json has kind CodeHash" grep -q '"kind":"CodeHash"' "$TMP/b4.json"
t=$(grep -c '' "$TMP/b4.txt")
check "--json and text have as many lines ($lines, $t)" test "$lines" -eq "$t"

if command -v tshark >/dev/null 2>&1; then
  tshark -r "$B4" -Y 'tcp.port == 31314' 2>"$TMP/ts.err" >"$TMP/ts.txt"
  check "tshark reads the .app.pcap" test $? -eq 0
  check "tshark sees TCP port 31314" test -s "$TMP/ts.txt"
  tshark -r "$B4" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
    -Y 'ip.checksum.status == 2 || tcp.checksum.status == 2 || tcp.analysis.flags' \
    2>/dev/null >"$TMP/ts-bad.txt"
  check "tshark finds no bad checksums or TCP problems" test ! -s "$TMP/ts-bad.txt"
else
  echo "skip: no tshark"
fi

# WIRE-003 sends a frame that is not a message: that stream says so with
# the frame number, the other streams still decode, exit 1.
"$IC" decode "$CAP/WIRE-003.app.pcap" >"$TMP/w3.txt" 2>"$TMP/w3.err"
check "WIRE-003 (undecodable frame) exits 1" test $? -eq 1
check "WIRE-003 names the frame that does not decode" \
  grep -q 'C->D .*ERROR: frame [0-9]* does not decode' "$TMP/w3.txt"
check "WIRE-003 still decodes the other streams" grep -q 'D->J ' "$TMP/w3.txt"

size=$(wc -c <"$B4")
head -c $((size - 7)) "$B4" >"$TMP/cut.pcap"
"$IC" decode "$TMP/cut.pcap" >"$TMP/cut.txt" 2>"$TMP/cut.err"
check "truncated file exits 1" test $? -eq 1
check "truncated file names an offset" grep -q 'offset [0-9]' "$TMP/cut.err"
check "truncated file still prints what decoded" grep -q 'ActivationRequest' "$TMP/cut.txt"

printf 'junk' >"$TMP/junk.pcap"
"$IC" decode "$TMP/junk.pcap" >/dev/null 2>"$TMP/junk.err"
check "not a pcap exits 1" test $? -eq 1
"$IC" decode >/dev/null 2>&1
check "no file is a usage error (2)" test $? -eq 2

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
