#!/bin/sh
# check.sh: runs every test program of `make check` and sums their results.
# Each program ends its output with a line "N passed, N failed"; this script
# adds them up, prints each program's line as it finishes, and ends with the
# total. Exit status: 0 only if every program exited 0 and nothing failed.
set -u
B=${BUILD:-build}
LOGDIR=$B/check-logs
mkdir -p "$LOGDIR"
total_pass=0
total_fail=0
status=0

# run NAME CMD...: run one test program, keep its output in the log folder.
run() {
  name=$1; shift
  log=$LOGDIR/$name.log
  t0=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - t0 ))
  line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  p=$(printf '%s' "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/')
  f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  if [ -z "$line" ]; then
    p=0; f=1
    echo "check: $name printed no result line (exit $rc); see $log"
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ "$rc" -ne 0 ] && status=1
  [ "$f" -ne 0 ] && { status=1; tail -n 40 "$log"; }
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  # the seconds say where make check's time goes (docs/bench.md)
  printf 'check: %-28s %s passed, %s failed (%d s)\n' "$name" "$p" "$f" "$secs"
}

for t in "$B"/tests/*_test; do
  [ -x "$t" ] || continue
  run "$(basename "$t")" "$t"
done
if [ -x "$B/tests/sqcases" ]; then
  run sq-language "$B/tests/sqcases" tests/data/sq "$B/bin/sqrun"
fi
rm -rf "$B/check-captures"
run conformance "$B/bin/impcert" run --dut harness/duts/refimp-native.conf \
  --plugins "$B/plugins" --junit "$B/check-junit.xml" \
  --capture "$B/check-captures" -j 2
# The whole suite again on refimp with --time virtual: every test must
# pass (or skip) on the virtual clock too, where device-time waits cost
# nothing; the virtual-clock-only tests (TIME-*, OSUPD-006's day of
# deferral, the DHCP tests' ten seconds) run only here.
run conformance-virtual "$B/bin/impcert" run \
  --dut harness/duts/refimp-virtual.conf --plugins "$B/plugins" \
  --junit "$B/check-junit-virtual.xml" -j 2
# The Bluetooth tests (and their probes), on refimp as an imp004m.
run conformance-imp004m "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp004m.conf --plugins "$B/plugins" \
  --tag bluetooth \
  --junit "$B/check-junit-imp004m.xml" -j 2
# Polite deployment: the solid green LED of an imp004m upgrading (REG-040).
run conformance-polite-imp004m "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp004m.conf --plugins "$B/plugins" \
  --filter 'REG-040'
# RESET_L (WAKE-012 and its probe) on a board that has the line.
run conformance-imp004m-reset "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp004m.conf --plugins "$B/plugins" \
  --tag reset
# The imp005's lack of deep sleep (WAKE-021) and its short list of wake
# reasons (WAKE-014), on refimp as an imp005.
run conformance-imp005 "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp005.conf --plugins "$B/plugins" \
  --tag imp005
# NET-026 on the other imp005 design, WiFi without an Ethernet PHY (the
# run above has the Ethernet-only one).
run conformance-imp005-wifi "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp005-wifi.conf --plugins "$B/plugins" \
  --filter 'NET-026'
# The hardware API on another board: imp004m (spiflash, dfsdm, pwmpairKD,
# zombie PWM); the board-generic hwapi cases check its tables too.
run conformance-imp004m-hwapi "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp004m.conf --plugins "$B/plugins" \
  --tag hwapi --junit "$B/check-junit-imp004m-hwapi.xml" -j 2
# and the board tables of an imp005 (no wake pin, PWM on E F G S U V only)
run conformance-imp005-boards "$B/bin/impcert" run \
  --dut harness/duts/refimp-imp005.conf --plugins "$B/plugins" \
  --tag boards --junit "$B/check-junit-imp005-boards.xml" -j 2
# and those of an imp002 and an imp003 (their pins, buses and objects)
for b in imp002 imp003; do
  run conformance-$b-boards "$B/bin/impcert" run \
    --dut harness/duts/refimp-$b.conf --plugins "$B/plugins" \
    --tag boards --junit "$B/check-junit-$b-boards.xml" -j 2
done
# The cellular board (impC001): NET-002 on the stand-in for 52753 with the
# WiFi ports as decoys, its API surface and probe, then its board tables.
run conformance-impC001 "$B/bin/impcert" run \
  --dut harness/duts/refimp-impC001.conf --plugins "$B/plugins" \
  --tag cellular --junit "$B/check-junit-impC001.xml" -j 2
run conformance-impC001-boards "$B/bin/impcert" run \
  --dut harness/duts/refimp-impC001.conf --plugins "$B/plugins" \
  --tag boards --junit "$B/check-junit-impC001-boards.xml" -j 2
# Scripts run last: reports.sh checks what the conformance run wrote.
for s in tests/*.sh; do
  case $s in tests/check.sh) continue ;; esac
  run "$(basename "$s" .sh)" sh "$s"
done

echo "$total_pass passed, $total_fail failed"
exit $status
