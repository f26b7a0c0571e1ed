#!/bin/sh
# run.sh [PATCH...]: mutation testing of the conformance suite (docs/mutants.md).
# For each mutant (default: every tests/mutants/*.patch) it copies refimp's
# sources into OUT/NAME/src with the objects of the current build (mtimes
# kept, so make recompiles only the files the patch touches), applies the
# patch, builds refimp, runs the whole suite against it and records the
# tests whose verdict was not pass or skip. A mutant that no test catches,
# that does not apply or that does not build makes the run fail.
#
# Environment:
#   BUILD          the build folder of the tree (default build; build-san
#                  when SAN=1)
#   SAN            1: the mutants are built with the sanitizers too
#                  (default: 1 when BUILD is build-san)
#   MUTANT_OUT     where the copies go (default $BUILD/mutants)
#   MUTANT_REPORT  the text report (default reports/mutants.txt); a JSON twin
#                  is written beside it with the extension .json
#   MUTANT_FILTER  impcert --filter GLOB (default: every test)
#   MUTANT_VIRTUAL_FILTER  the tests also run on refimp-virtual.conf: globs
#                  separated by spaces (default 'TIME-* WIFI-013* REG-024', as in
#                  make check; empty: none)
#   MUTANT_BOARD_RUNS  the short runs on other boards, as in make check:
#                  entries BOARD:tag=TAG or BOARD:filter=GLOB separated by
#                  spaces, each run against harness/duts/refimp-BOARD.conf
#                  (default: the tests only an imp004m or imp005 runs,
#                  'imp004m:tag=bluetooth imp004m:filter=REG-040
#                  imp004m:filter=HWAPI-ZOMBIE imp005:tag=imp005
#                  imp005-wifi:filter=NET-026 impC001:tag=cellular';
#                  the last is the cellular board's NET-002; empty: none)
#   MUTANT_JOBS    impcert -j (default 2)
# Prints one table row per mutant and "N passed, N failed" (caught/not).
set -u
B=${BUILD:-build}
# The mutants are built the way the tree was: objects of both kinds must
# not meet in one link.
SAN=${SAN:-}
[ -z "$SAN" ] && case $B in build-san) SAN=1 ;; *) SAN=0 ;; esac
[ "$SAN" = 1 ] && B=build-san
OUT=${MUTANT_OUT:-$B/mutants}
REPORT=${MUTANT_REPORT:-reports/mutants.txt}
JSON=${REPORT%.txt}.json
[ "$JSON" = "$REPORT" ] && JSON=$REPORT.json
FILTER=${MUTANT_FILTER:-}
VFILTER=${MUTANT_VIRTUAL_FILTER-TIME-* WIFI-013* REG-024}
BOARD_RUNS_DEFAULT='imp004m:tag=bluetooth imp004m:filter=REG-040 imp004m:filter=HWAPI-ZOMBIE imp005:tag=imp005 imp005-wifi:filter=NET-026 impC001:tag=cellular'
BRUNS=${MUTANT_BOARD_RUNS-$BOARD_RUNS_DEFAULT}
JOBS=${MUTANT_JOBS:-2}
ROOT=$(pwd)

die() { echo "mutants: $*" >&2; exit 2; }

[ -f Makefile ] && [ -d reference-fw ] || die "run from the top of the tree"
for f in "$B/bin/impcert" "$B/bin/refimp" "$B/lib/libsq.a"; do
  [ -e "$f" ] || die "$f missing: run 'make all' first"
done
[ -d "$B/plugins" ] || die "$B/plugins missing: run 'make all' first"

# Each board run names a shipped profile and a tag or a filter.
set -f
for e in $BRUNS; do
  case $e in
    *:tag=?* | *:filter=?*) ;;
    *) die "MUTANT_BOARD_RUNS: '$e' is not BOARD:tag=TAG or BOARD:filter=GLOB" ;;
  esac
  [ -f "harness/duts/refimp-${e%%:*}.conf" ] ||
    die "MUTANT_BOARD_RUNS: '$e': no harness/duts/refimp-${e%%:*}.conf"
done
set +f

if [ $# -eq 0 ]; then
  set -- tests/mutants/*.patch
  [ -e "$1" ] || die "no tests/mutants/*.patch"
fi

mkdir -p "$OUT" "$(dirname "$REPORT")" || die "cannot create $OUT"
rows=$OUT/rows.tsv
: >"$rows"

# header FIELD PATCH: the value of "FIELD:" in the patch's header lines
# (the lines before the first "diff " or "--- ").
header() {
  awk -v f="$2:" '/^(diff |--- )/ { exit }
    index($0, f) == 1 { sub(/^[^:]*:[ \t]*/, ""); print; exit }' "$1"
}

# build_mutant NAME PATCH: the mutant's refimp in $OUT/NAME/src/$B/bin.
build_mutant() {
  d=$OUT/$1
  rm -rf "$d" && mkdir -p "$d/src/$B/obj" || return 1
  cp -pR Makefile tools specs reference-fw "$d/src/" || return 1
  # Objects and generated code of the current build: only what the patch
  # touches is then compiled again.
  for p in obj/reference-fw obj/refimp-gen gen lib .deps; do
    [ -e "$B/$p" ] && cp -pR "$B/$p" "$d/src/$B/$(dirname "$p")/"
  done
  rm -f "$d/src/$B/lib/libimpcert.a"
  if ! patch -p1 --batch --forward -d "$d/src" <"$2" >"$d/patch.log" 2>&1
  then
    echo "does not apply (see $d/patch.log)"
    return 1
  fi
  if ! make -C "$d/src" SAN="$SAN" BUILD="$B" "$B/bin/refimp" \
      >"$d/build.log" 2>&1; then
    echo "does not build (see $d/build.log)"
    return 1
  fi
  return 0
}

# abs PATH: PATH from the top of the tree made absolute (MUTANT_OUT may
# be either).
abs() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }

# suite NAME PROFILE TAG [--filter GLOB]: the suite against the mutant
# with the mutant's binary in the profile; output in run-TAG.log.
suite() {
  d=$OUT/$1
  sed -e "s#^name *=.*#name = mutant-$1-$3#" \
      -e "s#{bindir}/refimp#$(abs "$d")/src/$B/bin/refimp#" \
      "$2" >"$d/dut-$3.conf"
  tag=$3
  shift 3
  "$B/bin/impcert" run --dut "$d/dut-$tag.conf" --plugins "$B/plugins" \
    --junit "$d/junit-$tag.xml" -j "$JOBS" "$@" >"$d/run-$tag.log" 2>&1
}

# run_suite NAME PATCH: the suite against the mutant on refimp-native,
# then the tests that need the virtual clock on refimp-virtual and the
# board runs (as make check does), then the patch's "Also: PROFILE GLOB"
# (a requirement only another board has: the tests GLOB on
# harness/duts/PROFILE.conf); prints the IDs that failed.
run_suite() {
  also=$(header "$2" Also)
  if [ -n "$also" ]; then
    set -f
    # shellcheck disable=SC2086
    set -- "$1" $also
    set +f
    [ -f "harness/duts/$2.conf" ] &&
      suite "$1" "harness/duts/$2.conf" also --filter "$3"
  fi
  if [ -n "$FILTER" ]; then
    suite "$1" harness/duts/refimp-native.conf native --filter "$FILTER"
  else
    suite "$1" harness/duts/refimp-native.conf native
  fi
  if [ -f harness/duts/refimp-virtual.conf ] && [ -n "$VFILTER" ]; then
    # one pass per glob; set -f keeps the globs from matching file names
    n=0
    set -f
    for vf in $VFILTER; do
      n=$((n + 1))
      suite "$1" harness/duts/refimp-virtual.conf virtual$n --filter "$vf"
    done
    set +f
  fi
  # the tests that run only on another board (make check's board runs)
  n=0
  set -f
  for e in $BRUNS; do
    n=$((n + 1))
    sel=${e#*:}
    suite "$1" "harness/duts/refimp-${e%%:*}.conf" "board$n" \
      "--${sel%%=*}" "${sel#*=}"
  done
  set +f
  # "[  3/23] BOOT-003     FAIL     96 ms  title"
  cat "$OUT/$1"/run-*.log >"$OUT/$1/run.log"
  awk '/^\[ *[0-9]+\/[0-9]+\] / { sub(/^\[[^]]*\] */, "")
         if ($2 != "PASS" && $2 != "SKIP") { printf "%s%s", sep, $1; sep = "," } }
       END { print "" }' "$OUT/$1/run.log"
}

# Each test's requirement IDs ("BOOT-004 BOOT-004,WAKE-001"), to tell
# whether a mutant was caught by a test of the requirement it breaks.
"$B/bin/impcert" list --plugins "$B/plugins" 2>/dev/null |
  sed -n 's/^\([^ ]*\) .*\[\([^]]*\)\]$/\1 \2/p' >"$OUT/reqs.txt"

# own BREAKS CAUGHT_BY: "yes" if a catching test names a broken requirement
own() {
  echo "$2" | tr ',' '\n' | while read -r t; do
    [ -n "$t" ] || continue
    r=$(awk -v t="$t" '$1 == t { print $2 }' "$OUT/reqs.txt")
    for b in $(echo "$1" | tr ',' ' '); do
      case ",$r," in *",$b,"*) echo yes; exit 0 ;; esac
    done
  done | head -n 1 | grep -q yes && echo yes || echo no
}

caught=0
missed=0
weak=""
printf '%-34s %-22s %s\n' MUTANT BREAKS "CAUGHT BY"
for p in "$@"; do
  name=$(basename "$p" .patch)
  breaks=$(header "$p" Breaks)
  how=$(header "$p" How)
  [ -n "$breaks" ] || breaks="(no Breaks: header)"
  if why=$(build_mutant "$name" "$p"); then
    by=$(run_suite "$name" "$p")
    if [ -z "$by" ] && ! grep -q '^impcert: [0-9]* tests:' "$OUT/$name/run.log"
    then
      by=""
      why="the suite did not run (see $OUT/$name/run.log)"
    fi
  else
    by=""
  fi
  mine=no
  if [ -n "$by" ]; then
    caught=$((caught + 1))
    shown=$by
    mine=$(own "$breaks" "$by")
    [ "$mine" = yes ] || weak="$weak $name"
  else
    missed=$((missed + 1))
    shown="NOT CAUGHT${why:+: $why}"
  fi
  printf '%-34s %-22s %s\n' "$name" "$breaks" "$shown"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$breaks" "$by" "$how" "$mine" \
    >>"$rows"
  why=""
done

# The reports: a table for people, JSON for tools.
{
  echo "# impcert mutation testing: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# $caught of $((caught + missed)) mutants caught; filter: ${FILTER:-all tests}"
  printf '%-34s %-22s %s\n' MUTANT BREAKS "CAUGHT BY"
  awk -F'\t' '{ printf "%-34s %-22s %s%s\n", $1, $2,
    ($3 == "" ? "NOT CAUGHT" : $3),
    ($3 != "" && $5 != "yes" ? " (no test of its requirement)" : "") }' "$rows"
} >"$REPORT"
awk -F'\t' '
  function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
  BEGIN { print "{\"mutants\": [" }
  {
    n = split($3, t, ",")
    ids = ""
    for (i = 1; i <= n; i++) ids = ids (i > 1 ? ", " : "") q(t[i])
    printf "%s  {\"name\": %s, \"breaks\": %s, \"how\": %s, \"caught\": %s, \"caught_by\": [%s], \"caught_by_requirement_test\": %s}",
      (NR > 1 ? ",\n" : ""), q($1), q($2), q($4), (n > 0 ? "true" : "false"), ids,
      ($5 == "yes" ? "true" : "false")
  }
  END { print "\n]}" }' "$rows" >"$JSON"
[ -n "$weak" ] &&
  echo "mutants: caught, but by no test naming the requirement broken:$weak"
echo "mutants: report in $REPORT and $JSON"
echo "$caught passed, $missed failed"
[ "$missed" -eq 0 ]
