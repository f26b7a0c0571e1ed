#!/bin/sh
# valgrind.sh: memcheck on a small run: impcert running two conformance
# tests against refimp, and refimp running three device programs (refimp
# run). No invalid read or write, no use of uninitialised memory, no leak
# ("definitely" or "indirectly" lost) in any process.
set -u
B=${BUILD:-build}
T=$(mktemp -d /tmp/impcert-valgrind-XXXXXX)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }

if ! command -v valgrind >/dev/null; then
  echo "valgrind.sh: valgrind is not installed (make deps); nothing checked"
  echo "0 passed, 1 failed"
  exit 1
fi
case $B in build-san*)
  # ASan and valgrind do not mix: the sanitizer run checks the same code
  echo "valgrind.sh: skipped in the sanitizer build ($B)"
  echo "0 passed, 0 failed"
  exit 0 ;;
esac

VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect -q"

# 1. impcert under valgrind (with the test children it forks), driving a
# native refimp through two boot tests (one with a power cycle).
$VG --trace-children=no --child-silent-after-fork=no \
  --log-file="$T/impcert-%p.log" "$B/bin/impcert" run \
  --dut harness/duts/refimp-native.conf --plugins "$B/plugins" \
  --filter 'BOOT-00[14]' \
  >"$T/run.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "impcert under valgrind: the run passes" ||
  bad "impcert under valgrind: exit $rc: $(tail -n 5 "$T/run.out")"
if cat "$T"/impcert-*.log | grep -q .; then
  bad "impcert: valgrind reports: $(cat "$T"/impcert-*.log | head -n 30)"
else
  ok "impcert: valgrind reports nothing ($(ls "$T"/impcert-*.log | wc -l) processes)"
fi

# 2. refimp under valgrind: its boot, store, imp API and Squirrel VM with a
# program using timers, agent messages and a deep sleep (refimp run: the
# stand-in cloud, virtual time; the TLS session is too slow under valgrind
# for the harness's limits).
for app in agent deepsleep error-restart; do
  opts=$(sed -n 's|^// options: ||p' "tests/run/$app.nut" | head -n 1)
  # shellcheck disable=SC2086 # the options line is a list of words
  $VG --log-file="$T/refimp-$app.log" "$B/bin/refimp" run \
    "tests/run/$app.nut" $opts >"$T/$app.out" 2>&1
  rc=$?
  if [ "$rc" -ne 99 ] && ! grep -q . "$T/refimp-$app.log"; then
    ok "refimp run $app.nut: valgrind reports nothing"
  else
    bad "refimp run $app.nut (exit $rc): $(head -n 30 "$T/refimp-$app.log")"
  fi
done
rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
