#!/bin/sh
# k3lite installer, in the spirit of k3s's:  curl -sfL https://…/install.sh | sh -
#
#  - From a source checkout (this file next to package.json): installs the prerequisites, builds the binary for
#    this machine and installs it.
#  - Otherwise: downloads dist/k3lite-linux-<arch> and sha256sums.txt from INSTALL_K3LITE_DOWNLOAD_URL and
#    verifies the checksum.
# Then it starts `k3lite server` (or `k3lite agent` when K3LITE_URL is set, like k3s) under systemd when the
# machine has it, otherwise in the background with its log in /var/log/k3lite.log.
#
# Environment (k3s names): K3LITE_URL, K3LITE_TOKEN, INSTALL_K3LITE_EXEC (extra flags), INSTALL_K3LITE_BIN_DIR
# (/usr/local/bin), INSTALL_K3LITE_SKIP_START=true, INSTALL_K3LITE_DOWNLOAD_URL.
set -eu

info() { echo "[INFO]  $*"; }
fatal() { echo "[ERROR] $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fatal "run as root (e.g. curl -sfL … | sudo sh -)"
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fatal "unsupported architecture $(uname -m) (k3lite ships linux-amd64 and linux-arm64)" ;;
esac
bin_dir=${INSTALL_K3LITE_BIN_DIR:-/usr/local/bin}
src_dir=$(cd "$(dirname "$0")" 2>/dev/null && pwd || true)

if [ -n "$src_dir" ] && [ -f "$src_dir/package.json" ] && [ -f "$src_dir/src/cli/main.ts" ]; then
  info "building k3lite from the checkout in $src_dir"
  bash "$src_dir/scripts/setup.sh"
  (cd "$src_dir" && K3LITE_TARGETS="linux-$arch" bun run build >/dev/null)
  install -m 0755 "$src_dir/dist/k3lite-linux-$arch" "$bin_dir/k3lite"
else
  url=${INSTALL_K3LITE_DOWNLOAD_URL:-}
  [ -n "$url" ] || fatal "set INSTALL_K3LITE_DOWNLOAD_URL to where k3lite-linux-$arch and sha256sums.txt are published"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  info "downloading k3lite-linux-$arch from $url"
  curl -sfL "$url/k3lite-linux-$arch" -o "$tmp/k3lite-linux-$arch" || fatal "download failed"
  curl -sfL "$url/sha256sums.txt" -o "$tmp/sha256sums.txt" || fatal "checksum download failed"
  (cd "$tmp" && grep " k3lite-linux-$arch\$" sha256sums.txt | sha256sum -c - >/dev/null) || fatal "checksum mismatch"
  install -m 0755 "$tmp/k3lite-linux-$arch" "$bin_dir/k3lite"
  info "installing the container runtime from the distribution"
  if command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd runc containernetworking-plugins iptables >/dev/null
  elif command -v apk >/dev/null; then
    apk add -q containerd runc cni-plugins iptables
  fi
fi
info "installed $("$bin_dir/k3lite" --version | head -n1) at $bin_dir/k3lite"

# The way back, as k3s's k3s-uninstall.sh: stop k3lite and its pods, undo its network changes, delete its files.
cat >"$bin_dir/k3lite-uninstall.sh" <<UNINSTALL
#!/bin/sh
# Removes k3lite from this machine (written by install.sh). Run as root.
set -u
[ "\$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
data=/var/lib/k3lite
if [ -d /run/systemd/system ] && [ -f /etc/systemd/system/k3lite.service ]; then
  systemctl disable --now k3lite >/dev/null 2>&1
  rm -f /etc/systemd/system/k3lite.service
  systemctl daemon-reload
fi
dns=\$(sed -n 's/^cluster-dns: *"\{0,1\}\([0-9.]*\).*/\1/p' /etc/k3lite/config.yaml 2>/dev/null)
pkill -x k3lite 2>/dev/null && sleep 2
# The pods: containerd's shims for k3lite's containerd, and the containers they started (a container's first
# process takes its whole PID namespace with it).
shims=\$(pgrep -f "containerd-shim.*\$data")
for shim in \$shims; do pkill -9 -P "\$shim"; done
[ -n "\$shims" ] && kill -9 \$shims 2>/dev/null
for pid in \$(pgrep -f "\$data"); do kill -9 "\$pid" 2>/dev/null; done
sleep 1
grep -E " (\$data|/run/netns/cni-)" /proc/mounts | awk '{print \$2}' | sort -r | while read -r m; do umount -l "\$m" 2>/dev/null; done
rm -f /run/netns/cni-* 2>/dev/null
# Network: k3lite's iptables chains (pod masquerade, Services), its bridge, the cluster DNS address on loopback.
if command -v iptables-save >/dev/null; then iptables-save | grep -v K3LITE | iptables-restore; fi
sysctl -qw net.ipv4.conf.all.route_localnet=0 2>/dev/null
ip link del k3lite0 2>/dev/null
ip addr del "\${dns:-10.43.0.10}/32" dev lo 2>/dev/null
rm -rf "\$data" /etc/k3lite /var/log/k3lite.log "$bin_dir/k3lite" "$bin_dir/k3lite-uninstall.sh"
echo "k3lite removed"
UNINSTALL
chmod 0755 "$bin_dir/k3lite-uninstall.sh"

if [ -n "${K3LITE_URL:-}" ]; then
  cmd="agent --server $K3LITE_URL --token ${K3LITE_TOKEN:?K3LITE_TOKEN is required with K3LITE_URL}"
else
  cmd="server"
fi
cmd="$cmd ${INSTALL_K3LITE_EXEC:-}"
[ "${INSTALL_K3LITE_SKIP_START:-false}" = true ] && { info "not starting (INSTALL_K3LITE_SKIP_START)"; exit 0; }

if [ -d /run/systemd/system ]; then
  cat >/etc/systemd/system/k3lite.service <<UNIT
[Unit]
Description=k3lite: lightweight Kubernetes
After=network-online.target
[Service]
ExecStart=$bin_dir/k3lite $cmd
Restart=always
KillMode=process
Delegate=yes
LimitNOFILE=1048576
[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable --now k3lite >/dev/null
  info "started k3lite.service (journalctl -u k3lite)"
else
  # No systemd (containers, minimal images): run in the background, like `k3lite server &`.
  pkill -x k3lite 2>/dev/null && sleep 1 || true
  # shellcheck disable=SC2086
  nohup "$bin_dir/k3lite" $cmd >>/var/log/k3lite.log 2>&1 &
  info "started k3lite in the background (pid $!, log /var/log/k3lite.log)"
fi

if [ -z "${K3LITE_URL:-}" ]; then
  for _ in $(seq 1 60); do
    if [ -f /etc/k3lite/k3lite.yaml ] && "$bin_dir/k3lite" kubectl get --raw /readyz >/dev/null 2>&1; then
      info "k3lite is ready: try  k3lite kubectl get nodes"
      exit 0
    fi
    sleep 1
  done
  fatal "k3lite did not become ready in 60 s; see /var/log/k3lite.log"
fi
