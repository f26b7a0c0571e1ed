#!/bin/sh
# run.sh: the collector of `make bench` (docs/bench.md).
# Runs every tests/bench/*.sh but itself, keeps the lines that start with
# "bench: ", checks them, prints one table and writes it as JSON.
# Exit status: 0 every benchmark ran and was right; 1 a benchmark printed
# FAIL, a malformed line or no line at all, or exited non-zero (or, with
# BENCH_STRICT=1, missed a target).
set -u
BUILD=${BUILD:-build}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_STRICT=${BENCH_STRICT:-0}
JSON=${BENCH_JSON:-reports/bench.json}
export BUILD BENCH_RUNS

case $BENCH_RUNS in
  '' | *[!0-9]* | 0) echo "bench: BENCH_RUNS='$BENCH_RUNS' is not a positive integer" >&2
    exit 2 ;;
esac

LOGDIR=$BUILD/bench-logs
mkdir -p "$LOGDIR" "$(dirname "$JSON")"
lines=$LOGDIR/lines.txt
: >"$lines"
status=0

for s in "${BENCH_DIR:-tests/bench}"/*.sh; do
  name=$(basename "$s" .sh)
  [ "$name" = run ] && continue
  if [ -n "$BENCH_ONLY" ]; then
    case " $BENCH_ONLY " in *" $name "*) ;; *) continue ;; esac
  fi
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-$name.XXXXXX")
  export BENCH_TMP
  echo "bench: running $name ($BENCH_RUNS runs per median)..." >&2
  sh "$s" >"$LOGDIR/$name.log" 2>&1
  rc=$?
  rm -rf "$BENCH_TMP"
  n=$(grep -c '^bench: ' "$LOGDIR/$name.log")
  # The source script's name goes in front so the JSON can name it.
  grep '^bench: ' "$LOGDIR/$name.log" | sed "s/^bench: /$name /" >>"$lines"
  if [ "$rc" -ne 0 ] || [ "$n" -eq 0 ]; then
    echo "bench: $name exited $rc with $n figure(s); see $LOGDIR/$name.log" >&2
    tail -n 20 "$LOGDIR/$name.log" >&2
    status=1
  fi
done

# Check each line, evaluate its target, print the table and the JSON.
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
host=$(uname -n)
awk -v json="$JSON" -v date="$date" -v host="$host" -v runs="$BENCH_RUNS" \
    -v strict="$BENCH_STRICT" '
function num(s) { return s ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function jnum(s) { return s == "-" ? "null" : s + 0 }
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
  gsub(/\t/, " ", s); return "\"" s "\"" }
function kv(field, key) {
  if (index(field, key "=") != 1) return "\001"
  return substr(field, length(key) + 2)
}
function bad(why) {
  printf "bench: %s: malformed line (%s): %s\n", src, why, $0 > "/dev/stderr"
  failed = 1
}
BEGIN { n = 0; failed = 0; missed = 0 }
{
  src = $1
  if (NF < 9) { bad("fewer than 8 fields"); next }
  name = $2; val = $3; unit = $4
  base = kv($5, "baseline"); ratio = kv($6, "ratio")
  target = kv($7, "target"); nruns = kv($8, "runs"); st = $9
  if (base == "\001" || ratio == "\001" || target == "\001" || nruns == "\001") {
    bad("fields 4-7 must be baseline= ratio= target= runs="); next }
  if (st != "ok" && st != "FAIL" && st != "skip") { bad("status " st); next }
  if (val != "-" && !num(val)) { bad("value " val); next }
  if (base != "-" && !num(base)) { bad("baseline " base); next }
  if (ratio != "-" && !num(ratio)) { bad("ratio " ratio); next }
  if (nruns !~ /^[0-9]+$/) { bad("runs " nruns); next }
  note = ""
  for (i = 10; i <= NF; i++) note = note (i > 10 ? " " : "") $i
  met = "-"
  if (target != "-") {
    if (!match(target, /^(value|ratio)(<=|>=|<|>)/)) { bad("target " target); next }
    subj = substr(target, 1, 5); rest = substr(target, 6)
    op = substr(rest, 1, 1); if (substr(rest, 2, 1) == "=") op = op "="
    lim = substr(rest, length(op) + 1)
    if (!num(lim)) { bad("target limit " lim); next }
    x = subj == "value" ? val : ratio
    if (x != "-" && st == "ok") {
      x += 0; lim += 0
      ok = (op == "<" && x < lim) || (op == "<=" && x <= lim) ||
           (op == ">" && x > lim) || (op == ">=" && x >= lim)
      met = ok ? "met" : "MISS"
      if (!ok) missed = 1
    }
  }
  if (st == "FAIL") failed = 1
  n++
  R[n, "src"] = src; R[n, "name"] = name; R[n, "val"] = val; R[n, "unit"] = unit
  R[n, "base"] = base; R[n, "ratio"] = ratio; R[n, "target"] = target
  R[n, "met"] = met; R[n, "runs"] = nruns; R[n, "st"] = st; R[n, "note"] = note
}
END {
  fmt = "%-26s %12s %-5s %12s %8s %-12s %-4s %4s %-4s %s\n"
  printf fmt, "figure", "value", "unit", "baseline", "ratio", "target", "met", "runs", "st", "note"
  for (i = 1; i <= n; i++)
    printf fmt, R[i, "name"], R[i, "val"], R[i, "unit"], R[i, "base"], R[i, "ratio"],
      R[i, "target"], R[i, "met"], R[i, "runs"], R[i, "st"], R[i, "note"]
  printf "{\"date\": %s, \"host\": %s, \"runs\": %d,\n \"figures\": [", jstr(date), jstr(host), runs > json
  for (i = 1; i <= n; i++) {
    m = R[i, "met"] == "met" ? "true" : R[i, "met"] == "MISS" ? "false" : "null"
    printf "%s\n  {\"name\": %s, \"value\": %s, \"unit\": %s, \"baseline\": %s, \"ratio\": %s, \"target\": %s, \"met\": %s, \"runs\": %d, \"status\": %s, \"note\": %s, \"source\": %s}", \
      (i > 1 ? "," : ""), jstr(R[i, "name"]), jnum(R[i, "val"]), jstr(R[i, "unit"]), \
      jnum(R[i, "base"]), jnum(R[i, "ratio"]), \
      (R[i, "target"] == "-" ? "null" : jstr(R[i, "target"])), m, R[i, "runs"], \
      jstr(R[i, "st"]), jstr(R[i, "note"]), jstr(R[i, "src"]) > json
  }
  printf "]}\n" > json
  close(json)
  printf "bench: %d figures, written to %s%s%s\n", n, json, \
    failed ? "; some FAILED" : "", missed ? "; some targets MISSED" : ""
  exit failed ? 1 : (missed && strict == "1") ? 1 : 0
}' "$lines" || status=1
exit $status
