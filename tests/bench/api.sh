#!/bin/sh
# api.sh: the imp API through refimp and the harness (tests/bench/plugin/
# bench.c), each against OpenSSL on loopback in the same run
# (tests/bench/floor.c), the two taking turns BENCH_RUNS times.
#  api.send_throughput       agent.send of 64 blobs of 16 KiB, every byte
#                            checked; bytes after the first message over
#                            the time from the first to the last. Baseline:
#                            the same bytes over one loopback TLS connection
#                            in 16 KiB writes. Target: at least half of it.
#  api.boot_first_statement  cold boot of an activated device with code to
#                            the Log of its first statement, the cloud
#                            answering at once (5 boots a run). Baseline:
#                            the floor of overhead.sh (spawn refimp, one
#                            handshake and one record).
set -u
. tests/bench/lib/bench.sh
B=${BUILD:-build}
RUNS=${BENCH_RUNS:-5}
T=${BENCH_TMP:-$(mktemp -d)}
IC=$B/bin/impcert
FLOOR=$B/bench/floor
PLUG=$B/bench/plugins
DUT=harness/duts/refimp-native.conf

for f in "$IC" "$FLOOR" "$PLUG/bench.so" "$B/bin/refimp"; do
  if [ ! -e "$f" ]; then
    echo "api: missing $f"
    bench_line api.send_throughput - MB/s - - 'ratio>=0.5' 0 FAIL "missing $f"
    bench_line api.boot_first_statement - us - - - 0 FAIL "missing $f"
    exit 1
  fi
done

# mbps BYTES MS: megabytes (10^6) per second.
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.2f\n", b / t / 1000 }'; }

: >"$T/send"; : >"$T/sendfloor"; : >"$T/boot"; : >"$T/bootfloor"
ok=ok r=0 skipped=""
while [ $r -lt "$RUNS" ]; do
  "$IC" run --dut "$DUT" --plugins "$PLUG" --filter 'BENCH-[SB][EO]*' \
    --junit "$T/api.xml" >"$T/api.out" 2>&1
  rc=$?
  if grep -Eq 'BENCH-(SEND|BOOT) +SKIP' "$T/api.out"; then
    skipped=$(sed -n 's/.*BENCH-[A-Z]* *SKIP *[0-9]* ms *//p' "$T/api.out" | head -n 1)
    break
  fi
  bytes=$(sed -n 's/.*bench: send_bytes=\([0-9]*\) send_ms=.*/\1/p' "$T/api.xml")
  ms=$(sed -n 's/.*bench: send_bytes=[0-9]* send_ms=\([0-9.]*\).*/\1/p' "$T/api.xml")
  boots=$(sed -n 's/.*bench: boot_us=\([0-9]*\).*/\1/p' "$T/api.xml")
  if [ "$rc" -ne 0 ] || [ -z "$bytes" ] || [ -z "$ms" ] || [ -z "$boots" ]; then
    echo "api: BENCH-SEND/BENCH-BOOT did not pass (exit $rc):"; cat "$T/api.out"
    ok=FAIL; break
  fi
  mbps "$bytes" "$ms" >>"$T/send"
  echo "$boots" >>"$T/boot"
  if ! "$FLOOR" --throughput 1 "$bytes" 16384 >"$T/f.out" 2>&1 ||
     ! "$FLOOR" 1 "$B/bin/refimp" --version >>"$T/f.out" 2>&1; then
    echo "api: the floor failed:"; cat "$T/f.out"; ok=FAIL; break
  fi
  fb=$(sed -n 's/^floor: bytes=\([0-9]*\) ms=.*/\1/p' "$T/f.out")
  fms=$(sed -n 's/^floor: bytes=[0-9]* ms=\([0-9.]*\)/\1/p' "$T/f.out")
  mbps "$fb" "$fms" >>"$T/sendfloor"
  sed -n 's/.*total_ms=\([0-9.]*\).*/\1/p' "$T/f.out" |
    awk '{ printf "%.0f\n", $1 * 1000 }' >>"$T/bootfloor"
  r=$((r + 1))
done

if [ -n "$skipped" ]; then
  bench_skip api.send_throughput MB/s "not measured: the DUT skipped it: $skipped"
  bench_skip api.boot_first_statement us "not measured: the DUT skipped it: $skipped"
  exit 0
fi
echo "api: agent.send MB/s:" $(cat "$T/send") " floor:" $(cat "$T/sendfloor")
echo "api: boot us:" $(cat "$T/boot") " floor:" $(cat "$T/bootfloor")
s=$(bench_median <"$T/send"); sf=$(bench_median <"$T/sendfloor")
bt=$(bench_median <"$T/boot"); bf=$(bench_median <"$T/bootfloor")
nboots=$(grep -c . "$T/boot")
bench_line api.send_throughput "$s" MB/s "$sf" "$(bench_ratio "$s" "$sf")" 'ratio>=0.5' "$r" "$ok" \
  "agent.send 64 x 16 KiB blobs; baseline OpenSSL loopback TLS, same bytes"
bench_line api.boot_first_statement "$bt" us "$bf" "$(bench_ratio "$bt" "$bf")" - "$nboots" "$ok" \
  "power on to first statement's Log, cloud answers at once; baseline spawn refimp + TLS handshake"
[ "$ok" = ok ]
