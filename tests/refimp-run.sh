#!/bin/sh
# refimp-run.sh: `refimp run` cases (issue 14). Each tests/run/NAME.nut
# runs with the options of its "// options:" line; its standard output
# must equal NAME.expect line for line, and its exit status the "// exit:"
# line (default 0). Then bad input: a syntax error (file:line:column,
# exit 2), an unknown board, an unknown option, bad values (exit 2, the
# option named). Prints "N passed, N failed".
# Usage: sh tests/refimp-run.sh [NAME...]   (BUILD=dir for another build)
set -u
B=${BUILD:-build}
REFIMP=$B/bin/refimp
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

if [ ! -x "$REFIMP" ]; then
  echo "refimp-run: $REFIMP not built"
  echo "0 passed, 1 failed"
  exit 1
fi

if [ $# -gt 0 ]; then
  cases=""
  for n in "$@"; do cases="$cases tests/run/$n.nut"; done
else
  cases=$(ls tests/run/*.nut)
fi

for nut in $cases; do
  name=$(basename "$nut" .nut)
  exp=tests/run/$name.expect
  opts=$(sed -n 's#^// options:##p' "$nut" | head -n 1)
  want_rc=$(sed -n 's#^// exit: *##p' "$nut" | head -n 1)
  [ -n "$want_rc" ] || want_rc=0
  if [ ! -f "$exp" ]; then
    bad "$name" "no $exp"
    continue
  fi
  # options are split on spaces: values in them must not contain spaces
  # shellcheck disable=SC2086
  "$REFIMP" run "$nut" $opts >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne "$want_rc" ]; then
    bad "$name" "exit $rc, expected $want_rc ($(head -c 300 "$tmp/err"))"
  elif ! diff -u "$exp" "$tmp/out" >"$tmp/diff"; then
    bad "$name" "output differs:"
    head -n 40 "$tmp/diff"
  else
    ok "$name"
  fi
done

# bad_input NAME WANT_STDERR_SUBSTRING ARGS...: exit 2, message, no events
bad_input() {
  name=$1; want=$2; shift 2
  "$REFIMP" run "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" -ne 2 ]; then
    bad "$name" "exit $rc, expected 2"
  elif ! grep -qF -- "$want" "$tmp/err"; then
    bad "$name" "stderr lacks '$want': $(cat "$tmp/err")"
  elif [ -s "$tmp/out" ]; then
    bad "$name" "printed events: $(head -n 3 "$tmp/out")"
  else
    ok "$name"
  fi
}

printf 'server.log("a");\nlocal x = ;\n' >"$tmp/syntax.nut"
bad_input syntax-error "$tmp/syntax.nut:2:11:" "$tmp/syntax.nut"
bad_input unknown-board "--board: unknown board 'imp999'" \
  tests/run/timers.nut --board imp999
bad_input unknown-option "--frobnicate: unknown option" \
  tests/run/timers.nut --frobnicate
bad_input bad-for "--for: 'soon' is not a number of seconds" \
  tests/run/timers.nut --for soon
bad_input negative-time "--power-cycle-at: '-3'" \
  tests/run/timers.nut --power-cycle-at -3
bad_input bad-send-json "--send: 'x={1}@2': bad JSON at byte 1" \
  tests/run/timers.nut --send 'x={1}@2'
bad_input bad-send-form "--send: expected NAME=JSON@SECONDS" \
  tests/run/timers.nut --send 'x'
bad_input missing-value "--board: needs a value" tests/run/timers.nut --board
bad_input missing-file "nope.nut: No such file or directory" \
  "$tmp/nope.nut"
bad_input no-program "APP.nut: missing" --for 3

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
