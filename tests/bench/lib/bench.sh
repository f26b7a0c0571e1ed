# bench.sh: helpers for the scripts in tests/bench/ (sourced, not run).
# The line format they print is the contract in docs/bench.md.

# bench_now: the time in seconds with nanoseconds ("1795431578.123456789").
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
# (sh has no local variables: the _bl_ names keep the caller's intact)
bench_line() {
  _bl_n=$1 _bl_v=$2 _bl_u=$3 _bl_b=$4 _bl_r=$5 _bl_t=$6 _bl_k=$7 _bl_s=$8
  shift 8
  echo "bench: $_bl_n $_bl_v $_bl_u baseline=$_bl_b ratio=$_bl_r" \
    "target=$_bl_t runs=$_bl_k $_bl_s${*:+ $*}"
}

# bench_skip NAME UNIT REASON...: a figure that is not measured (yet).
bench_skip() {
  _bs_n=$1 _bs_u=$2
  shift 2
  bench_line "$_bs_n" - "$_bs_u" - - - 0 skip "$@"
}
