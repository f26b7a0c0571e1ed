# bench.sh: helpers for the scripts in tests/bench/ (sourced, not run).
# The line format they print is the contract in docs/bench.md.

# bench_now: monotonic seconds with nanosecond resolution ("12345.678901234").
bench_now() {
  date +%s.%N
}

# bench_median: the median of the numbers on stdin, one a line.
bench_median() {
  sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit }
    if (NR % 2) printf "%.6g\n", v[(NR + 1) / 2]
    else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_ratio A B: A / B with three significant digits; "-" when either is
# missing or B is zero.
bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "-" || b == "-" || b + 0 == 0) print "-"
    else printf "%.3g\n", a / b }'
}

# bench_line NAME VALUE UNIT BASELINE RATIO TARGET RUNS STATUS [NOTE...]
bench_line() {
  n=$1 v=$2 u=$3 b=$4 r=$5 t=$6 k=$7 s=$8
  shift 8
  echo "bench: $n $v $u baseline=$b ratio=$r target=$t runs=$k $s${*:+ $*}"
}

# bench_skip NAME UNIT REASON...: a figure that is not measured (yet).
bench_skip() {
  n=$1 u=$2
  shift 2
  bench_line "$n" - "$u" - - - 0 skip "$@"
}
