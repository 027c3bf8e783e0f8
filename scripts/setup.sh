#!/usr/bin/env bash
# Installs everything k3lite needs to build, run and test from a source checkout on Debian / Raspberry Pi OS:
# the container runtime pieces from the distribution, Bun from the npm registry, the JS dependencies, and the
# images k3lite embeds or the tests use (built locally: no registry is needed). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_root() { [ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (sudo) to install packages" >&2; exit 1; }; }

packages=(containerd runc crun containernetworking-plugins busybox-static iptables gcc libc6-dev file curl ca-certificates openssl)
if [ "${K3LITE_SETUP_CROSS:-0}" = 1 ]; then packages+=(qemu-user-static libc6-arm64-cross); fi
# Only the test suite needs these: a loopback registry for pull tests, and wrk as the benchmarks' load generator.
if [ "${K3LITE_SETUP_TEST:-0}" = 1 ]; then packages+=(docker-registry skopeo wrk); fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  need_root
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v bun >/dev/null 2>&1; then
  command -v npm >/dev/null 2>&1 || { need_root; apt-get install -y -qq nodejs npm >/dev/null; }
  echo "setup: installing bun from the npm registry"
  npm install -g --silent bun@1.4 >/dev/null 2>&1
fi

bun install --frozen-lockfile >/dev/null
if [ -f scripts/build-test-images.sh ]; then bash scripts/build-test-images.sh; fi
