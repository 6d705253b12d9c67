#!/usr/bin/env bash
# podinfo-image.sh TAG...: the test app (serin.local/kube-app:1, Tests/KubeApp) under podinfo's names, as
# `serin.local/podinfo:TAG` for every TAG, imported into the running test cluster's containerd. The cluster
# has no registry and no internet, so podinfo's own image cannot run there; its Kustomize bases and Helm
# charts (Flagger's and podinfo's) run it as `./podinfo --port=N ...` with exec probes
# `podcli check http localhost:N/readyz`. This image answers those: /home/app/podinfo (its working directory, as in podinfo's image) starts the test app on the
# --port it is given (PODINFO_UI_MESSAGE, when set, is what it answers at /); /bin/podcli checks a URL with
# busybox's wget. Every TAG is the same image: a new tag in Git is a new template, so a release.
# Cached in $CACHE/podinfo-image-<hash>/ (the hash of the test app's image and of this script and
# mkimage.py). Prints the references, one a line.
set -euo pipefail
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

[ $# -gt 0 ] || die "usage: podinfo-image.sh TAG..."
app=$CACHE/app/kube-app.tar
[ -f "$app" ] || die "$app is missing: build the test cluster first (scripts/kube/cluster.sh build)"
h=$(cat "$app" "$KUBE_DIR/podinfo-image.sh" "$KUBE_DIR/mkimage.py" | sha256sum | cut -c1-16)
dir=$CACHE/podinfo-image-$h
first=serin.local/podinfo:$1
if [ ! -f "$dir/podinfo.tar" ]; then
  t=$(now)
  tmp=$dir.partial
  rm -rf "$tmp"; mkdir -p "$tmp/root"
  # The test app and busybox, as the test app's image holds them.
  python3 - "$app" "$tmp/root" <<'PY'
import sys, tarfile
outer = tarfile.open(sys.argv[1])
layer = tarfile.open(fileobj=outer.extractfile("layer0/layer.tar"))
for name in ("kube-app", "bin/busybox"):
    member = layer.getmember(name)
    with open(sys.argv[2] + "/" + name.replace("/", "-"), "wb") as out:
        out.write(layer.extractfile(member).read())
PY
  cat >"$tmp/root/podinfo" <<'SH'
#!/bin/sh
# podinfo's command line, served by the test app: --port=N is its port; podinfo's other flags mean nothing here.
for argument in "$@"; do
  case "$argument" in --port=*) PORT=${argument#--port=} ;; esac
done
export PORT
if [ -n "${PODINFO_UI_MESSAGE:-}" ]; then export APP_VERSION="$PODINFO_UI_MESSAGE"; fi
exec /kube-app
SH
  cat >"$tmp/root/podcli" <<'SH'
#!/bin/sh
# podinfo's `podcli check http ADDRESS`, as its probes call it.
if [ "$1" != check ] || [ "$2" != http ] || [ -z "$3" ]; then
  echo "podcli (the test image's): only 'check http ADDRESS' is known" >&2
  exit 2
fi
exec wget -q -O /dev/null "http://$3"
SH
  # podinfo's image runs `./podinfo` in /home/app; Flagger's chart mounts its config at /podinfo/config, so
  # /podinfo cannot be the binary. mkimage.py's working directory is "/": this run of it says /home/app.
  python3 - "$KUBE_DIR/mkimage.py" "$tmp/podinfo.tar" "$first" '["/home/app/podinfo"]' \
    "$tmp/root/kube-app:/kube-app" "$tmp/root/podinfo:/home/app/podinfo" "$tmp/root/podcli:/bin/podcli" \
    "$tmp/root/bin-busybox:/bin/busybox" '/bin/sh=>busybox' '/bin/wget=>busybox' '/bin/cat=>busybox' \
    '/bin/ls=>busybox' '/bin/sleep=>busybox' '/bin/env=>busybox' >&2 <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = '"WorkingDir": "/"'
if text.count(old) != 1:
    sys.exit("podinfo-image.sh: mkimage.py no longer says " + old + " once; set the working directory another way")
sys.argv = sys.argv[1:]
exec(compile(text.replace(old, '"WorkingDir": "/home/app"'), path, "exec"))
PY
  rm -rf "$tmp/root"
  rm -rf "$dir"; mv "$tmp" "$dir"
  { ls -d "$CACHE"/podinfo-image-* 2>/dev/null | grep -v -x -F "$dir" | grep -v '\.partial$' || true; } | xargs -r rm -rf
  log "podinfo stand-in image built in $(since "$t") s"
fi
images=$(ctr -a "$CD_SOCK" -n k8s.io images ls -q)
# The tarball names the first tag; a tag imported before from an older tarball is replaced.
digest=$(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); print(json.load(t.extractfile("manifest.json"))[0]["Config"].split(".")[0])' "$dir/podinfo.tar")
stamp=$dir/imported-$digest
if [ ! -f "$stamp" ] || ! grep -qxF "$first" <<<"$images"; then
  ctr -a "$CD_SOCK" -n k8s.io images import "$dir/podinfo.tar" >/dev/null
  touch "$stamp"
fi
for tag in "$@"; do
  ref=serin.local/podinfo:$tag
  [ "$ref" = "$first" ] || ctr -a "$CD_SOCK" -n k8s.io images tag --force "$first" "$ref" >/dev/null
  echo "$ref"
done
