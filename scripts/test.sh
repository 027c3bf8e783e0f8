#!/usr/bin/env bash
# Runs k3lite's whole test suite on a fresh machine: set-up first, then `bun test`, then one summary line
# `N passed, N failed` (counted from Bun's JUnit report, since CI reads that line and not Bun's own summary).
set -uo pipefail
cd "$(dirname "$0")/.."
K3LITE_SETUP_TEST=1 bash scripts/setup.sh || exit 1

report=$(mktemp /tmp/k3lite-junit.XXXXXX.xml)
# A generous per-test timeout: integration tests start servers and containerd (bunfig.toml does not set it).
bun test --timeout 60000 --reporter=junit --reporter-outfile="$report" "$@"
status=$?

read -r tests failures skipped < <(
  sed -n 's/.*<testsuites [^>]*tests="\([0-9]*\)"[^>]*failures="\([0-9]*\)"[^>]*skipped="\([0-9]*\)".*/\1 \2 \3/p' "$report" | head -n1
)
tests=${tests:-0}; failures=${failures:-0}; skipped=${skipped:-0}
# Bun exits non-zero for errors outside any test (a file that fails to load): count those as a failure too.
if [ "$status" -ne 0 ] && [ "$failures" -eq 0 ]; then failures=1; fi
passed=$((tests - failures - skipped))
echo "${passed} passed, ${failures} failed, ${skipped} skipped"
[ "$failures" -eq 0 ]
