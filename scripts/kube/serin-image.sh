#!/usr/bin/env bash
# serin-image.sh BINARY [--import]: the image `serin.local/serin:<hash>` for the test cluster, built from a
# `serin` binary of this machine without docker or a registry (mkimage.py): the binary (stripped) and the
# shared libraries it loads (ldd: libgit2 and its dependencies, the Swift runtime and Foundation when it
# is not linked statically) at the paths the binary looks for them, plus CA certificates. Cached in
# $CACHE/serin-image-<hash>/serin.tar, the hash of the binary and of this script and mkimage.py: a rerun
# with the same binary costs a hash. `--import` also imports it into the running test cluster's containerd.
# Prints the image reference on stdout. For a registry, build deploy/kubernetes/Dockerfile instead.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

binary=${1:?usage: serin-image.sh BINARY [--import]}
[ -x "$binary" ] || die "$binary is not an executable"
# The pinned kustomize (and its package version, which Serin checks) for sources built with Kustomize.
kustomize=$(bash "$REPO_DIR/scripts/kustomize/install.sh")
kustomize=$(readlink -f "$kustomize")
h=$(cat "$binary" "$KUBE_DIR/serin-image.sh" "$KUBE_DIR/mkimage.py" "$kustomize" | sha256sum | cut -c1-16)
ref=serin.local/serin:$h
dir=$CACHE/serin-image-$h
if [ ! -f "$dir/serin.tar" ]; then
  t=$(now)
  tmp=$dir.partial
  rm -rf "$tmp"; mkdir -p "$tmp"
  strip -o "$tmp/serin" "$binary"
  specs=("$tmp/serin:/usr/local/bin/serin")
  # Every library at the path ldd resolved it to (Debian's loader searches /lib/x86_64-linux-gnu; the
  # Swift libraries are found through the binary's RUNPATH), and the loader at its PT_INTERP path.
  while read -r lib; do
    specs+=("$lib:$lib")
  done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
  specs+=("$kustomize:/usr/bin/kustomize")
  if [ -f "$kustomize.version" ]; then specs+=("$kustomize.version:/usr/bin/kustomize.version")
  else dpkg-query -W -f='${Version}' kustomize >"$tmp/kustomize.version"; specs+=("$tmp/kustomize.version:/usr/bin/kustomize.version"); fi
  [ -f /etc/ssl/certs/ca-certificates.crt ] && specs+=("/etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt")
  python3 "$KUBE_DIR/mkimage.py" "$tmp/serin.tar" "$ref" '["/usr/local/bin/serin"]' "${specs[@]}" >&2
  rm -f "$tmp/serin" "$tmp/kustomize.version"
  rm -rf "$dir"; mv "$tmp" "$dir"
  # keep only the newest two serin images
  ls -dt "$CACHE"/serin-image-* 2>/dev/null | grep -v '\.partial$' | tail -n +3 | xargs -r rm -rf
  log "serin image $ref built in $(since "$t") s ($(du -h "$dir/serin.tar" | cut -f1))"
fi
if [ "${2:-}" = "--import" ]; then
  if ! ctr -a "$CD_SOCK" -n k8s.io images ls -q | grep -qxF "$ref"; then
    t=$(now)
    ctr -a "$CD_SOCK" -n k8s.io images import "$dir/serin.tar" >/dev/null
    log "serin image $ref imported in $(since "$t") s"
  fi
  # containerd keeps only the serin images whose tarball the cache still keeps (the newest two)
  for old in $(ctr -a "$CD_SOCK" -n k8s.io images ls -q | grep '^serin\.local/serin:' || true); do
    [ -d "$CACHE/serin-image-${old##*:}" ] || ctr -a "$CD_SOCK" -n k8s.io images rm "$old" >/dev/null || true
  done
fi
echo "$ref"
