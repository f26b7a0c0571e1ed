#!/bin/sh
# interp.sh: refimp's Squirrel interpreter (sqrun) against Debian's lua5.4 on
# the same algorithms (tests/bench/interp/CASE.nut and CASE.lua, issue 11).
# Each run's output is checked against the known answer; the figure is the
# median CPU time (user + system) of BENCH_RUNS runs, the two interpreters
# taking turns. Target: no case slower than 2x Lua. Then the heap that
# 100,000 small tables take in each.
set -u
. tests/bench/lib/bench.sh
B=${BUILD:-build}
RUNS=${BENCH_RUNS:-5}
T=${BENCH_TMP:-$(mktemp -d)}
SQRUN=$B/bin/sqrun
EXEC=$B/bench/benchexec
LUA=$(command -v lua5.4 || true)
D=tests/bench/interp
CASES="fib loop string table method sort"

# The answer each case must print (both interpreters compute the same).
expect() {
  case $1 in
    fib) echo 2178309 ;;
    loop) echo 709390 ;;
    string) echo 3157960 ;;
    table) echo 400006 ;;
    method) echo 975000 ;;
    sort) echo "29237 1074020570 2147465837 2147465837 31950" ;;
    mem) echo "100000 805003" ;;
  esac
}

missing=""
[ -x "$SQRUN" ] || missing="$missing $SQRUN"
[ -x "$EXEC" ] || missing="$missing $EXEC"
[ -n "$LUA" ] || missing="$missing lua5.4"
if [ -n "$missing" ]; then
  echo "interp: missing:$missing (make all; make deps installs lua5.4)"
  for c in $CASES; do bench_line "interp.$c" - s - - 'ratio<=2' 0 FAIL "missing:$missing"; done
  exit 1
fi

# measure WHO CASE: one run; appends the CPU time to $T/WHO.CASE, or prints
# why it failed and returns 1.
measure() {
  who=$1 c=$2
  if [ "$who" = sq ]; then set -- "$SQRUN" "$D/$c.nut"; else set -- "$LUA" "$D/$c.lua"; fi
  m=$("$EXEC" -o "$T/out" -e "$T/err" -- "$@") || { echo "interp: $who $c: $m"; return 1; }
  st=${m##*status=}
  got=$(cat "$T/out")
  if [ "$st" != 0 ] || [ "$got" != "$(expect "$c")" ]; then
    echo "interp: $who $c: exit $st, printed '$got', expected '$(expect "$c")'"
    cat "$T/err"
    return 1
  fi
  cpu=${m#*cpu=}
  echo "${cpu%% *}" >>"$T/$who.$c"
}

status=0
for c in $CASES; do
  : >"$T/sq.$c"
  : >"$T/lua.$c"
  ok=ok
  r=0
  while [ $r -lt "$RUNS" ]; do
    measure sq "$c" && measure lua "$c" || { ok=FAIL; break; }
    r=$((r + 1))
  done
  sq=$(bench_median <"$T/sq.$c")
  lua=$(bench_median <"$T/lua.$c")
  [ "$ok" = ok ] || status=1
  bench_line "interp.$c" "$sq" s "$lua" "$(bench_ratio "$sq" "$lua")" 'ratio<=2' \
    "$r" "$ok" "CPU time, baseline lua5.4"
done

# Memory: the heap a program keeps after building N small tables, minus the
# same program with N = 0 (what the interpreter itself holds). sqrun --mem
# and Lua's collectgarbage("count") both count after a full collection.
heap() { # heap WHO N: prints the heap in bytes, or nothing on failure
  if [ "$1" = sq ]; then set -- "$2" "$SQRUN" --mem "$D/mem.nut" "$2"
  else set -- "$2" "$LUA" "$D/mem.lua" "$2"; fi
  n=$1; shift
  "$@" >"$T/out" 2>"$T/err" || { cat "$T/err"; return 1; }
  want=$(expect mem)
  [ "$n" = 0 ] && want="0 0"
  [ "$(cat "$T/out")" = "$want" ] || { echo "interp: mem $*: printed '$(cat "$T/out")'"; return 1; }
  sed -n 's/.*heap used=\([0-9]*\).*/\1/p' "$T/err"
}
sq1=$(heap sq 100000) && sq0=$(heap sq 0) && lua1=$(heap lua 100000) && lua0=$(heap lua 0)
if [ -n "${sq1:-}" ] && [ -n "${sq0:-}" ] && [ -n "${lua1:-}" ] && [ -n "${lua0:-}" ]; then
  sqk=$(awk -v a="$sq1" -v b="$sq0" 'BEGIN { printf "%.0f", (a - b) / 1024 }')
  luak=$(awk -v a="$lua1" -v b="$lua0" 'BEGIN { printf "%.0f", (a - b) / 1024 }')
  bench_line interp.mem_100k_tables "$sqk" KiB "$luak" "$(bench_ratio "$sqk" "$luak")" - 1 ok \
    "heap after collection, baseline lua5.4 collectgarbage(count)"
else
  bench_line interp.mem_100k_tables - KiB - - - 0 FAIL "see the log"
  status=1
fi
exit $status
