#!/usr/bin/env bash
# Starts the arm64 binary under qemu-user (our Raspberry Pi stand-in) as `server --disable-agent` and waits for
# /readyz to answer ok. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/k3lite-arm64.XXXXXX)
port=$(( 20000 + RANDOM % 20000 ))
touch "$dir/none.yaml"
qemu-aarch64-static -L /usr/aarch64-linux-gnu dist/k3lite-linux-arm64 server --disable-agent \
  --data-dir "$dir/data" --bind-address 127.0.0.1 --https-listen-port "$port" \
  --write-kubeconfig "$dir/kubeconfig.yaml" --config "$dir/none.yaml" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 240); do
  if out=$(curl -sk "https://127.0.0.1:${port}/readyz" 2>/dev/null) && [ "$out" = ok ]; then
    echo "arm64 server answered /readyz: ok"; exit 0
  fi
  kill -0 $pid 2>/dev/null || { cat "$dir/server.log"; exit 1; }
  sleep 0.5
done
cat "$dir/server.log"; exit 1
