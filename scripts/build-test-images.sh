#!/usr/bin/env bash
# Builds the container images k3lite embeds or its tests use, without any registry, as OCI image-layout
# tarballs that `ctr images import` (and so k3lite's agent) loads:
#   dist/images/pause.tar    docker.io/k3lite/pause:1.0     static pause binary from scripts/pause.c (embedded)
#   dist/images/busybox.tar  docker.io/library/busybox:1.35  Debian's busybox-static + applet symlinks (tests)
# On amd64 the pause image is multi-platform (amd64 + arm64, for the Raspberry Pi binary built on the same host).
# Outputs are reproducible (fixed mtimes, sorted tar, gzip -n) and replaced atomically.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/images
mkdir -p "$out"
work=$(mktemp -d /tmp/k3lite-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

goarch() { case "$1" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; armv7l) echo arm ;; *) echo "$1" ;; esac; }
host_arch=$(goarch "$(uname -m)")

# blob FILE MEDIATYPE LAYOUT: stores FILE as a blob of LAYOUT; prints a descriptor JSON.
blob() {
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mkdir -p "$3/blobs/sha256"
  cp "$1" "$3/blobs/sha256/$digest"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$digest" "$size"
}

# manifest ROOTFS ARCH CONFIG_JSON LAYOUT: packs ROOTFS as one layer; prints the manifest's descriptor JSON.
manifest() {
  local rootfs=$1 arch=$2 cfg=$3 layout=$4 tmp
  tmp=$(mktemp -d "$work/m.XXXX")
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$tmp/layer.tar" .
  local diff_id
  diff_id=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
  gzip -n -9 "$tmp/layer.tar"
  local layer config
  layer=$(blob "$tmp/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip "$layout")
  printf '{"architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$cfg" "$diff_id" >"$tmp/config.json"
  config=$(blob "$tmp/config.json" application/vnd.oci.image.config.v1+json "$layout")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$config" "$layer" >"$tmp/manifest.json"
  blob "$tmp/manifest.json" application/vnd.oci.image.manifest.v1+json "$layout" |
    sed "s/}\$/,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}}/"
}

# image NAME REF DESCRIPTOR...: writes dist/images/NAME.tar; several descriptors make a multi-platform index.
image() {
  local name=$1 ref=$2; shift 2
  local layout=$work/$name
  local annotations
  annotations=$(printf '"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}' "$ref" "${ref##*:}")
  local top
  if [ $# -eq 1 ]; then
    top="${1%\}},$annotations}"
  else
    local list
    list=$(IFS=,; echo "$*")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$list" >"$work/$name-index.json"
    top=$(blob "$work/$name-index.json" application/vnd.oci.image.index.v1+json "$layout")
    top="${top%\}},$annotations}"
  fi
  echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$top" >"$layout/index.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$out/.$name.tar.tmp" oci-layout index.json blobs
  mv -f "$out/.$name.tar.tmp" "$out/$name.tar"
  echo "built $out/$name.tar ($ref)"
}

# --- pause
pause_cfg='{"Entrypoint":["/pause"],"WorkingDir":"/"}'
pause_rootfs() { # pause_rootfs CC ARCH
  local dir=$work/pause-$2
  mkdir -p "$dir"
  "$1" -static -Os -s -o "$dir/pause" scripts/pause.c
  echo "$dir"
}
# Without an arm64 cross compiler, the arm64 pause is a hand-assembled 148-byte static ELF: it blocks in
# ppoll(NULL, 0, NULL, NULL) forever (no handlers: containerd stops sandboxes with SIGKILL). The Raspberry Pi
# binary needs it, and CI builds that binary on amd64.
pause_arm64_minimal() {
  local dir=$work/pause-arm64
  mkdir -p "$dir"
  local hex=(
    7f454c46020101000000000000000000 0200b700010000007800400000000000 # ELF64, EXEC, AArch64, entry 0x400078
    40000000000000000000000000000000 00000000400038000100000000000000 # phoff 64, one program header
    01000000050000000000000000000000 00004000000000000000400000000000 # PT_LOAD R+X at 0x400000
    94000000000000009400000000000000 0000010000000000                 # 148 bytes, align 64K
    000080d2010080d2020080d2030080d2 280980d2010000d4faffff17         # x0-x3=0, x8=73 (ppoll), svc 0, b start
  )
  printf "$(printf '%s' "${hex[*]}" | tr -d ' ' | sed 's/../\\x&/g')" >"$dir/pause"
  chmod 755 "$dir/pause"
  echo "$dir"
}
descriptors=("$(manifest "$(pause_rootfs gcc "$host_arch")" "$host_arch" "$pause_cfg" "$work/pause")")
if [ "$host_arch" = amd64 ]; then
  if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then arm64_rootfs=$(pause_rootfs aarch64-linux-gnu-gcc arm64)
  else arm64_rootfs=$(pause_arm64_minimal); fi
  descriptors+=("$(manifest "$arm64_rootfs" arm64 "$pause_cfg" "$work/pause")")
fi
image pause docker.io/k3lite/pause:1.0 "${descriptors[@]}"

# --- busybox
bb=$work/busybox-rootfs
mkdir -p "$bb"/{bin,etc,tmp,root,proc,sys,dev,var/www,home}
chmod 1777 "$bb/tmp"
cp /bin/busybox "$bb/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$bb/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$bb/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$bb/etc/group"
bb_cfg='{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"}'
image busybox docker.io/library/busybox:1.35 "$(manifest "$bb" "$host_arch" "$bb_cfg" "$work/busybox")"
