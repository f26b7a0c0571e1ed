#!/bin/sh
# reports.sh: checks what the conformance run of `make check` wrote, with the
# real tools that read it: xmllint against specs/junit.xsd, Debian's
# python3-junitparser as a JUnit consumer, and tshark on every pcap.
# Run by tests/check.sh after the conformance run (env BUILD set).
set -u
B=${BUILD:-build}
XML=$B/check-junit.xml
CAPS=$B/check-captures
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }

if xmllint --noout --schema specs/junit.xsd "$XML" 2>/tmp/reports.$$; then
  ok "$XML validates against specs/junit.xsd"
else
  bad "$XML does not validate: $(tail -n 3 /tmp/reports.$$)"
fi
rm -f /tmp/reports.$$

# A JUnit reader must see every test case impcert ran.
want=$("$B/bin/impcert" list --plugins "$B/plugins" | wc -l)
got=$(/usr/bin/python3 - "$XML" <<'PY'
import sys
from junitparser import JUnitXml
xml = JUnitXml.fromfile(sys.argv[1])
print(sum(1 for suite in xml for case in suite))
PY
)
if [ "$got" = "$want" ]; then
  ok "junitparser reads $got test cases, as many as impcert lists"
else
  bad "junitparser read '$got' test cases, impcert lists $want"
fi

# The system-out section of test $1 in the report.
section() {
  awk -v id="$1" '{ l = $0; sub(/^[ \t]*<system-(out|err)>/, "", l) }
    l ~ /^===== / { on = index(l, "===== " id ": ") == 1 } on' "$XML"
}

# Every pcap opens in tshark and shows TLS on one of that test's ports.
n=0
for p in "$CAPS"/*.pcap; do
  [ -e "$p" ] || continue
  case $p in *.app.pcap) continue ;; esac # plaintext: tests/decode.sh
  n=$((n + 1))
  id=$(basename "$p" .pcap)
  if ! tshark -r "$p" -q >/dev/null 2>&1; then
    bad "tshark cannot read $p"
    continue
  fi
  # The cloud's ports are ephemeral: tell tshark to try TLS on every port
  # it sees, then look for a handshake.
  ports=$(tshark -r "$p" -T fields -e tcp.dstport 2>/dev/null | sort -u |
    head -n 3)
  args=""
  for port in $ports; do args="$args -d tcp.port==$port,tls"; done
  # shellcheck disable=SC2086
  hs=$(tshark -r "$p" $args -Y tls.handshake -T fields -e frame.number \
    2>/dev/null | wc -l)
  # The transcript says whether the DUT connected to the cloud at all (some
  # tests never let it, e.g. BOOT-007, CAP-JIG).
  # A test that never accepts may still see the device's ClientHello land
  # in the kernel's backlog (REG-009), but never a ServerHello.
  sessions=$(section "$id" | grep -c 'TCP connection on port')
  if [ "$sessions" -eq 0 ]; then
    # shellcheck disable=SC2086
    shs=$(tshark -r "$p" $args -Y 'tls.handshake.type == 2' -T fields \
      -e frame.number 2>/dev/null | wc -l)
    [ "$shs" -eq 0 ] && ok "$id.pcap: no server handshake, as its transcript says" ||
      bad "$id.pcap: a ServerHello in the capture, no connection in the transcript"
  else
    [ "$hs" -gt 0 ] && ok "$id.pcap: $hs TLS handshake records" ||
      bad "$id.pcap: no TLS handshake in the capture"
  fi
done
[ "$n" -gt 0 ] && ok "$n captures checked" || bad "no captures in $CAPS"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
