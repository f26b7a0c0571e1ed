#!/bin/sh
# reports.sh: checks what the conformance run of `make check` wrote, with the
# real tools that read it: xmllint against specs/junit.xsd, Debian's
# python3-junitparser as a JUnit consumer, and tshark on every pcap (all
# of them joined into one file: capinfos, mergecap, two tshark runs).
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
# A tshark start costs from half a second on a quiet machine to several on
# a loaded one, so the captures are read in one go: capinfos reads every
# file (and counts its packets), mergecap joins the readable ones end to
# end, and two tshark runs dissect the whole: one finds the cloud's ports
# (the SYNs), one lists the TLS handshake records with Decode As on them.
# A frame's number in the joined file says which capture it came from.
# Only a capture that then looks wrong is read again on its own, to tell
# a real fault from an effect of the joining (TCP state across files).
T=$(mktemp -d "${TMPDIR:-/tmp}/reports.XXXXXX")
trap 'rm -rf "$T"' EXIT
set --
for p in "$CAPS"/*.pcap; do
  [ -e "$p" ] || continue
  case $p in *.app.pcap) continue ;; esac # plaintext: tests/decode.sh
  set -- "$@" "$p"
done
n=$#

# decode_as FILE: "-d tcp.port==P,tls" for each port a SYN of FILE went to.
decode_as() {
  tshark -r "$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields \
    -e tcp.dstport 2>/dev/null | sort -un |
    while read -r port; do printf ' -d tcp.port==%s,tls' "$port"; done
}

# handshakes FILE: "FRAME TYPES" for each frame of FILE with a TLS
# handshake record (TYPES comma-separated: 1 ClientHello, 2 ServerHello).
handshakes() {
  # shellcheck disable=SC2046
  tshark -r "$1" $(decode_as "$1") -Y tls.handshake -T fields \
    -e frame.number -e tls.handshake.type 2>/dev/null
}

# judge ID HANDSHAKE-LINES: the verdict line of capture ID ("ok: ..." or
# "FAILED: ..."). The transcript says whether the DUT connected to the
# cloud at all (some tests never let it, e.g. BOOT-007, CAP-JIG). A test
# that never accepts may still see the device's ClientHello land in the
# kernel's backlog (REG-009), but never a ServerHello.
judge() {
  hs=$(printf '%s' "$2" | grep -c .)
  shs=$(printf '%s\n' "$2" | awk -F '\t' '$2 ~ /(^|,)2(,|$)/' | grep -c .)
  sessions=$(section "$1" | grep -c 'TCP connection on port')
  if [ "$sessions" -eq 0 ]; then
    [ "$shs" -eq 0 ] &&
      echo "ok: $1.pcap: no server handshake, as its transcript says" ||
      echo "FAILED: $1.pcap: a ServerHello in the capture, no connection in the transcript"
  else
    [ "$hs" -gt 0 ] && echo "ok: $1.pcap: $hs TLS handshake records" ||
      echo "FAILED: $1.pcap: no TLS handshake in the capture"
  fi
}

# report LINE: count and print a verdict line of judge.
report() {
  case $1 in ok:*) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
  echo "$1"
}

# capinfos: one "FILE<TAB>PACKETS" row per capture it can read.
: >"$T/counts"; : >"$T/capinfos.err"
[ "$n" -gt 0 ] && capinfos -T -r -c "$@" >"$T/counts" 2>"$T/capinfos.err"
# A capture capinfos complains about (cut short, not a capture) is one
# tshark cannot read either; it stays out of the joined file.
set --
: >"$T/sizes"
while IFS="$(printf '\t')" read -r file count; do
  if grep -qF "\"$file\"" "$T/capinfos.err"; then
    bad "tshark cannot read $file: $(grep -F "\"$file\"" "$T/capinfos.err" |
      head -n 1)"
    continue
  fi
  set -- "$@" "$file"
  echo "$count" >>"$T/sizes"
done <"$T/counts"
for p in "$CAPS"/*.pcap; do
  case $p in *.app.pcap) continue ;; esac
  [ -e "$p" ] || continue
  grep -q "^$p$(printf '\t')" "$T/counts" || bad "tshark cannot read $p"
done
if [ $# -gt 0 ] && mergecap -a -F pcapng -w "$T/all.pcapng" "$@" \
     2>"$T/merge.err"; then
  handshakes "$T/all.pcapng" >"$T/hs"
  # Split the joined file's frames by capture: file k holds the frames
  # after the packets of files 1..k-1.
  first=1 k=0
  for p in "$@"; do
    k=$((k + 1))
    count=$(sed -n "${k}p" "$T/sizes")
    last=$((first + count - 1))
    id=$(basename "$p" .pcap)
    lines=$(awk -F '\t' -v a="$first" -v b="$last" \
      '$1 >= a && $1 <= b' "$T/hs")
    line=$(judge "$id" "$lines")
    case $line in FAILED:*) line=$(judge "$id" "$(handshakes "$p")") ;; esac
    report "$line"
    first=$((last + 1))
  done
elif [ $# -gt 0 ]; then
  # Captures mergecap cannot join (an odd format, a broken interface
  # block): each on its own, as tshark reads it.
  echo "reports: mergecap cannot join the captures ($(tail -n 1 \
    "$T/merge.err")); checking them one by one"
  for p in "$@"; do
    if tshark -r "$p" -q >/dev/null 2>&1; then
      report "$(judge "$(basename "$p" .pcap)" "$(handshakes "$p")")"
    else
      bad "tshark cannot read $p"
    fi
  done
fi
[ "$n" -gt 0 ] && ok "$n captures checked" || bad "no captures in $CAPS"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
