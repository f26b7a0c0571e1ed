#!/bin/sh
# mutants-selftest.sh: a quick check of the mutant machinery of
# tests/mutants/run.sh (the whole `make mutants` is too slow for check):
# one mutant built and run against the one test that must catch it, the
# same mutant against a test that cannot (the run must fail and say NOT
# CAUGHT), and a patch that does not apply (the run must fail and say so).
# Then every tests/mutants/*.patch is tried (dry run, no fuzz) against the
# tree: refimp changes under the mutants, and a patch that no longer
# applies, or applies only by guessing at changed context, proves nothing.
set -u
B=${BUILD:-build}
OUT=$B/mutants-selftest
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAILED: $1"; }

rm -rf "$OUT" && mkdir -p "$OUT"
M=tests/mutants/empty-hash-of-nothing.patch

# run NAME FILTER PATCH [BOARD_RUNS]: run.sh on one patch, with no
# virtual-clock pass and the given board runs (default none); output in
# $OUT/NAME.out
run() {
  MUTANT_OUT=$OUT/$1 MUTANT_REPORT=$OUT/$1.txt MUTANT_FILTER=$2 \
    MUTANT_VIRTUAL_FILTER= MUTANT_BOARD_RUNS=${4:-} \
    sh tests/mutants/run.sh "$3" >"$OUT/$1.out" 2>&1
}

if run caught 'BOOT-003' "$M" &&
   grep -Eq '^empty-hash-of-nothing +BOOT-003 +BOOT-003$' "$OUT/caught.txt" &&
   grep -q '"caught": true, "caught_by": \["BOOT-003"\], "caught_by_requirement_test": true' \
     "$OUT/caught.json"
then ok "a mutant is built, run and caught by BOOT-003"
else bad "caught mutant (see $OUT/caught.out)"; cat "$OUT/caught.out"; fi

if ! run missed 'NET-001' "$M" &&
   grep -q 'empty-hash-of-nothing .*NOT CAUGHT' "$OUT/missed.out"
then ok "a mutant no test catches fails the run"
else bad "uncaught mutant (see $OUT/missed.out)"; cat "$OUT/missed.out"; fi

# A mutant only a board run can catch (the Bluetooth of an imp004m): the
# native pass (BOOT-003) misses it, the imp004m pass catches it.
BT=tests/mutants/bt-advert-min-above-max.patch
if run board 'BOOT-003' "$BT" 'imp004m:filter=BT-ADVARGS' &&
   grep -Eq '^bt-advert-min-above-max +BT-003 +BT-ADVARGS$' "$OUT/board.txt"
then ok "a board run (imp004m) catches a Bluetooth mutant"
else bad "board run (see $OUT/board.out)"; cat "$OUT/board.out"; fi
if ! MUTANT_BOARD_RUNS='imp004m:frob=x' sh tests/mutants/run.sh "$BT" \
     >"$OUT/badrun.out" 2>&1 &&
   grep -q "MUTANT_BOARD_RUNS: 'imp004m:frob=x' is not" "$OUT/badrun.out"
then ok "a bad MUTANT_BOARD_RUNS entry is refused"
else bad "bad board run (see $OUT/badrun.out)"; cat "$OUT/badrun.out"; fi

stale=$OUT/stale.patch
{
  echo "Mutant: stale"
  echo "Breaks: NONE-000"
  echo "How: a patch for code that has changed since"
  echo "--- a/reference-fw/core/boot.c"
  echo "+++ b/reference-fw/core/boot.c"
  echo "@@ -1,2 +1,2 @@"
  echo "-this line is not in boot.c"
  echo "+nor is this one"
  echo " nor this"
} >"$stale"
if ! run stale 'BOOT-003' "$stale" &&
   grep -q 'stale .*NOT CAUGHT: does not apply' "$OUT/stale.out"
then ok "a patch that does not apply fails the run"
else bad "stale patch (see $OUT/stale.out)"; cat "$OUT/stale.out"; fi

# Every real mutant against the tree as it is now: patch(1) may apply a
# hunk at another line (an offset is harmless) but not with fuzz, which
# means the context changed and the hunk may land in the wrong place.
for p in tests/mutants/*.patch; do
  n=$(basename "$p" .patch)
  if ! out=$(patch -p1 --dry-run --batch --forward --fuzz=0 <"$p" 2>&1)
  then
    bad "$p no longer applies exactly to reference-fw/: refresh it" \
        "(docs/mutants.md)"
    echo "$out"
  else
    ok "mutant $n applies"
  fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
