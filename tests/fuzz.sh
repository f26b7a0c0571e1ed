#!/bin/sh
# fuzz.sh: builds the libFuzzer targets of tests/fuzz/ (make FUZZ=1, clang,
# ASan+UBSan, into build-fuzz/) and runs each for FUZZ_SECONDS seconds
# (default 5: the short run of `make check`; `make fuzz` passes its own).
# Each target starts from its seeds (tests/fuzz/<target>/) plus what earlier
# runs found (build-fuzz/corpus/<target>/, never committed). A crash, leak,
# hang (> 60 s on one input: a loaded machine can stall one for seconds) or failed check fails the run and leaves the
# input in build-fuzz/crashes/; docs/fuzzing.md says how to replay it.
set -u
case ${BUILD:-build} in build-san*)
  # The fuzz targets are one build (build-fuzz/, always ASan+UBSan) that
  # `make check` has just run with the same seed: a second run in
  # `make SAN=1 check` would repeat it exactly.
  echo "fuzz.sh: skipped in the sanitizer build (${BUILD}): build-fuzz/ is" \
    "already sanitized and make check runs it"
  echo "0 passed, 0 failed"
  exit 0 ;;
esac
S=${FUZZ_SECONDS:-5}
# A fixed seed keeps the short run of `make check` repeatable from a clean
# clone (a gate must not fail at random); `make fuzz` passes 0: random.
SEED=${FUZZ_SEED:-1}
FB=build-fuzz
pass=0
fail=0
unset MAKEFLAGS MAKELEVEL
if ! make -s -j2 FUZZ=1 fuzz-bins >"${TMPDIR:-/tmp}/fuzz-build.$$" 2>&1; then
  cat "${TMPDIR:-/tmp}/fuzz-build.$$"
  rm -f "${TMPDIR:-/tmp}/fuzz-build.$$"
  echo "fuzz: the FUZZ=1 build failed (clang and libclang-rt-14-dev: make deps)"
  echo "0 passed, 1 failed"
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/fuzz-build.$$"
mkdir -p "$FB/crashes" "$FB/logs"
for src in tests/fuzz/*.c; do
  t=$(basename "$src" .c)
  mkdir -p "$FB/corpus/$t"
  log=$FB/logs/$t.log
  # -close_fd_mask=2: the targets' own stderr (refimp logs) is dropped;
  # libFuzzer and sanitizer reports still print.
  "$FB/fuzz/$t" -max_total_time="$S" -seed="$SEED" -timeout=60 -close_fd_mask=2 \
    -print_final_stats=1 -artifact_prefix="$FB/crashes/$t-" \
    "$FB/corpus/$t" "tests/fuzz/$t" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
    pass=$((pass + 1))
    echo "ok: $t: $runs executions in ${S} s, no failure"
  else
    fail=$((fail + 1))
    echo "FAILED: $t (exit $rc): see $log"
    grep -E 'ERROR|SUMMARY|artifact|Test unit written' "$log" | head -n 8
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
