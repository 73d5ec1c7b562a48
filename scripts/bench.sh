#!/usr/bin/env bash
# The benchmarks of issue #14's target table, one after the other, then one summary table. Runs
# `cargo bench -p bench --bench table` (rows: the HTTP command path on PostgreSQL and SQLite, the read side
# during a burst), then `cargo bench -p projection --bench rebuild` and `cargo bench -p bus --bench relay`,
# showing each one's output as it comes, and collects the lines they print of the form
#
#   ROW<TAB>what<TAB>figure<TAB>baseline<TAB>ratio<TAB>bar<TAB>met|not met
#
# into the summary (docs/benchmarks.md, "The bench table"). A bench that fails or prints no ROW line is named
# in the summary; the script then exits with status 1. The BENCH_* knobs of each bench pass through (the
# table's: BENCH_DATABASE_URL, BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_POSTGRES, BENCH_SQLITE, …;
# note that BENCH_SECONDS and BENCH_ROUNDS mean the same to every bench that reads them).
#
#   BENCH_ONLY   a space-separated subset of `table rebuild relay` (default: all three)
set -uo pipefail
cd "$(dirname "$0")/.."

ONLY="${BENCH_ONLY:-table rebuild relay}"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/petition-bench-sh.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
FAILED=()

run() { # NAME CARGO-ARGS…
  local name="$1"; shift
  printf '\n== %s: cargo bench %s\n' "$name" "$*"
  cargo bench "$@" 2>&1 | tee "$OUT/$name.log"
  local status="${PIPESTATUS[0]}"
  if [ "$status" != 0 ]; then
    FAILED+=("$name (exit $status)")
  elif ! grep -q $'^ROW\t' "$OUT/$name.log"; then
    FAILED+=("$name (printed no ROW line)")
  fi
}

for bench in $ONLY; do
  case "$bench" in
    table) run table -p bench --bench table ;;
    rebuild) run rebuild -p projection --bench rebuild ;;
    relay) run relay -p bus --bench relay ;;
    *) echo "bench.sh: unknown bench $bench (BENCH_ONLY takes table, rebuild, relay)" >&2; exit 2 ;;
  esac
done

printf '\n== summary\n'
{
  printf 'what\tfigure\tbaseline\tratio\tbar\tverdict\n'
  for bench in $ONLY; do grep $'^ROW\t' "$OUT/$bench.log" 2>/dev/null | cut -f2-; done
} | column -t -s $'\t'
for f in "${FAILED[@]}"; do printf 'FAILED: %s\n' "$f"; done
[ "${#FAILED[@]}" = 0 ]
