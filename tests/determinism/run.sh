#!/bin/sh
# run.sh [RUNS]: determinism and speed of the suite against refimp native
# or another profile (issue 7). Runs the whole suite RUNS times (default 10) as separate
# impcert processes with -j 2, and checks that every run gives every test
# the same verdict. Prints each run's wall time and verdict counts, the
# tests whose verdict changed (if any), and "N passed, N failed" (runs
# that agree with the first, runs that differ). Not part of `make check`:
# it takes RUNS times the suite's time.
# Environment: BUILD (default build), DUT (a profile file, or the name of
# one in harness/duts/: DUT=refimp-virtual; default refimp-native), JOBS
# (impcert -j, default 2).
set -u
B=${BUILD:-build}
DUT=${DUT:-refimp-native}
case $DUT in */* | *.conf) ;; *) DUT=harness/duts/$DUT.conf ;; esac
JOBS=${JOBS:-2}
RUNS=${1:-10}
OUT=$B/determinism
case $RUNS in ''|*[!0-9]*) echo "determinism: RUNS must be a number" >&2; exit 2 ;; esac
case $JOBS in ''|*[!0-9]*|0) echo "determinism: JOBS='$JOBS' is not a positive number" >&2; exit 2 ;; esac
[ -x "$B/bin/impcert" ] || { echo "determinism: run 'make all' first" >&2; exit 2; }
[ -f "$DUT" ] || { echo "determinism: DUT: no profile '$DUT'" >&2; exit 2; }
echo "determinism: $RUNS runs of the suite against $DUT, -j $JOBS"
rm -rf "$OUT" && mkdir -p "$OUT"

same=0
differ=0
i=1
while [ "$i" -le "$RUNS" ]; do
  t0=$(date +%s.%N)
  "$B/bin/impcert" run --dut "$DUT" --plugins "$B/plugins" -j "$JOBS" \
    >"$OUT/run$i.log" 2>&1
  t1=$(date +%s.%N)
  # "[ 3/23] BOOT-003  PASS ..." -> "BOOT-003 PASS", sorted by test ID
  awk '/^\[ *[0-9]+\/[0-9]+\] / { sub(/^\[[^]]*\] */, ""); print $1, $2 }' \
    "$OUT/run$i.log" | sort >"$OUT/verdicts$i.txt"
  summary=$(grep '^impcert: [0-9]* tests:' "$OUT/run$i.log" | sed 's/^impcert: //')
  secs=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
  echo "$secs" >>"$OUT/times.txt"
  if [ "$i" -eq 1 ] || cmp -s "$OUT/verdicts1.txt" "$OUT/verdicts$i.txt"; then
    same=$((same + 1))
    echo "run $i: ${secs} s, ${summary:-no summary (see $OUT/run$i.log)}"
  else
    differ=$((differ + 1))
    echo "run $i: ${secs} s, ${summary:-no summary}: verdicts differ from run 1:"
    diff "$OUT/verdicts1.txt" "$OUT/verdicts$i.txt" | grep '^[<>]' | sed 's/^/  /'
  fi
  i=$((i + 1))
done
sort -n "$OUT/times.txt" | awk '{ t[NR] = $1 } END {
  printf "wall time over %d runs: min %.1f s, median %.1f s, max %.1f s\n",
    NR, t[1], t[int((NR + 1) / 2)], t[NR] }'
echo "$same passed, $differ failed"
[ "$differ" -eq 0 ]
