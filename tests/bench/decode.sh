#!/bin/sh
# decode.sh: `impcert decode` speed against tshark with our Lua dissector
# (tools/wireshark/impcert.lua) on the same generated capture, in one run.
#  decode.speed   MB/s of `impcert decode FILE` (text timeline to /dev/null)
#                 on an application-level capture of >= 100 MB, written by
#                 tools/capgen: a boot conversation, then 4 KiB agent
#                 messages. Baseline: tshark -X lua_script:impcert.lua on
#                 the same file, MB/s. Target: ratio >= 10.
# Both answers are checked: each must find every AgentMessage.
set -u
. tests/bench/lib/bench.sh
B=${BUILD:-build}
T=${BENCH_TMP:-$(mktemp -d)}
RUNS=${BENCH_RUNS:-5}
IC=$B/bin/impcert
CAPGEN=$B/bin/capgen
LUA=tools/wireshark/impcert.lua
MSGS=${DECODE_BENCH_MSGS:-25000} # x ~4.2 KB per packet: ~100 MB

fail_all() {
  echo "decode: $*"
  bench_line decode.speed - MB/s - - ratio\>=10 0 FAIL "$*"
  exit 1
}
for f in "$IC" "$CAPGEN"; do
  [ -x "$f" ] || fail_all "missing $f (make all)"
done
command -v tshark >/dev/null 2>&1 || fail_all "tshark is not installed"

# The conversation: the cold boot of captures/src/server-list.conv, then
# MSGS agent messages of 4000 characters each.
conv=$T/big.conv
cap=$T/big.app.pcap
{
  sed -n '1,/^D CodeHash/p' captures/src/server-list.conv
  echo 'C CloudAnswer match=true rtc_unix_ms=1767225600100'
  awk -v n="$MSGS" 'BEGIN {
    s = ""; for (i = 0; i < 100; i++) s = s "0123456789abcdefghijklmnopqrstuvwxyzABCD"
    for (i = 0; i < n; i++) printf "D AgentMessage name=\"chunk\" data=\"%s\" seq=%d\n", s, i + 1
  }'
} >"$conv"
"$CAPGEN" "$conv" "$cap" || fail_all "capgen could not write the capture"
bytes=$(wc -c <"$cap")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "decode: $cap is $bytes bytes ($MSGS agent messages)"
[ "$bytes" -ge 100000000 ] || fail_all "capture is only $bytes bytes"

# time_mbps CMD...: run CMD, print MB/s of the capture; output in $T/out.
time_mbps() {
  t0=$(bench_now)
  "$@" >"$T/out" 2>"$T/err"
  rc=$?
  t1=$(bench_now)
  [ $rc -eq 0 ] || { echo "decode: '$*' exited $rc: $(head -c 300 "$T/err")"; return 1; }
  awk -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.6g\n", b / 1e6 / (z - a) }'
}

status=ok
: >"$T/ic" ; : >"$T/ts"
i=0
while [ $i -lt "$RUNS" ]; do
  v=$(time_mbps "$IC" decode "$cap") || status=FAIL
  n=$(grep -c 'AgentMessage{name="chunk"' "$T/out")
  [ "$n" -eq "$MSGS" ] || { echo "decode: impcert decode found $n of $MSGS"; status=FAIL; }
  echo "$v" >>"$T/ic"
  i=$((i + 1))
done
# tshark is an order slower (a minute per run here): at most 2 runs.
truns=$RUNS
[ "$truns" -gt 2 ] && truns=2
i=0
while [ $i -lt "$truns" ]; do
  v=$(time_mbps tshark -r "$cap" -X "lua_script:$LUA" -Y impcert.agent_message \
    -T fields -E occurrence=a -e impcert.agent_message.seq) || status=FAIL
  n=$(tr ',' '\n' <"$T/out" | grep -c .)
  [ "$n" -eq "$MSGS" ] || { echo "decode: tshark found $n of $MSGS"; status=FAIL; }
  grep -q 'Lua:' "$T/err" && { echo "decode: tshark Lua error"; status=FAIL; }
  echo "$v" >>"$T/ts"
  i=$((i + 1))
done
ours=$(bench_median <"$T/ic")
base=$(bench_median <"$T/ts")
echo "decode: impcert decode MB/s: $(tr '\n' ' ' <"$T/ic"); tshark: $(tr '\n' ' ' <"$T/ts")"
bench_line decode.speed "$ours" MB/s "$base" "$(bench_ratio "$ours" "$base")" \
  "ratio>=10" "$truns" "$status" "tshark+impcert.lua on the same ${mb} MB capture"
[ "$status" = ok ]
