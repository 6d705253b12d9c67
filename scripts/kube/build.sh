#!/bin/bash
# cluster.sh build: Kubernetes 1.20.2 binaries, kubectl, pause image and the test app image, built offline
# from Debian bookworm packages into $CACHE (outside the clone). A finished build is a directory $OUT that
# appears by one rename at the very end, so an interrupted build is never mistaken for a finished one;
# the next run resumes from what the interrupted one left in $CACHE/work and $OUT.partial.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9   # two builds at once would share $WORK

T0=$(now)
timing() { echo "$1 $2" >>"$CACHE/build-times.txt"; log "$1: $2 s"; }

build_kube() {
  [ -d "$OUT" ] && return 0
  log "building $KEY into $CACHE (once; about 10 minutes on 2 cores)"
  local t=$(now)
  ensure_apt $APT_PACKAGES
  timing "$KEY apt-install" "$(since $t)"

  # --- downloads, through a private apt configuration: the machine's sources, lists and caches stay untouched
  local DL=$WORK/downloads
  if [ ! -f "$DL/.complete" ]; then
    t=$(now)
    local A=$WORK/apt
    rm -rf "$A" "$DL.tmp"; mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$DL.tmp"
    cat >"$A/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
EOF
    local APT=(-o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
               -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o Debug::NoLocking=1
               -o APT::Sandbox::User=root)
    apt-get "${APT[@]}" update -qq >&2
    ( cd "$DL.tmp"
      apt-get "${APT[@]}" source --download-only -qq kubernetes >&2
      # kubectl 1.20 (Debian's kubernetes-client, extracted, never installed) and reflect2 1.0.2 (see below)
      apt-get "${APT[@]}" download -qq kubernetes-client golang-github-modern-go-reflect2-dev >&2 )
    ls "$DL.tmp"/kubernetes_"$K8S_DEB_VERSION".orig.tar.* "$DL.tmp"/kubernetes-client_"$K8S_DEB_VERSION"-*.deb >/dev/null \
      || die "Debian's kubernetes is not $K8S_DEB_VERSION any more: $(ls "$DL.tmp")"
    touch "$DL.tmp/.complete"; rm -rf "$DL"; mv "$DL.tmp" "$DL"; rm -rf "$A"
    timing "$KEY download" "$(since $t)"
  fi

  # --- source tree, patched for Go 1.19 (GOPATH mode, as Kubernetes 1.20's own build and Debian's do)
  local GOPATH=$WORK/gopath SRC=$WORK/gopath/src/k8s.io/kubernetes
  if [ ! -f "$SRC/.serin-patched" ]; then
    t=$(now)
    rm -rf "$GOPATH"; mkdir -p "$GOPATH/src/k8s.io/kubernetes"
    tar -xf "$DL"/kubernetes_"$K8S_DEB_VERSION".orig.tar.* -C "$SRC" --strip-components=1
    cd "$SRC"
    # Mend 1: vendored github.com/modern-go/reflect2 1.0.1 crashes the apiserver under Go >= 1.18 on the first
    # Deployment write (runtime.mapiterinit fault); use 1.0.2 from Debian's golang-github-modern-go-reflect2-dev.
    local R2=vendor/github.com/modern-go/reflect2 X=$WORK/reflect2
    rm -rf "$X"; dpkg-deb -x "$DL"/golang-github-modern-go-reflect2-dev_*.deb "$X"
    rm -rf "$R2"; cp -r "$X/usr/share/gocode/src/github.com/modern-go/reflect2" "$R2"; rm -f "$R2/go.mod"; rm -rf "$X"
    # Mend 2: the vendored OpenAPI type validator treats "" as null under Go 1.19 (reflect.Zero compares equal),
    # so CRDs with `default: ""` (Flagger's, Gateway API's) are refused. Only nil is null.
    local f
    for f in vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go vendor/github.com/go-openapi/validate/type.go; do
      [ -f "$f" ] || continue
      sed -i 's/data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data))/data == nil/' "$f"
    done
    timing "$KEY extract+patch" "$(since $t)"
    touch "$SRC/.serin-patched"
  fi
  export GOPATH GOCACHE=$WORK/gocache GOTMPDIR=$WORK/tmp GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
  export GOMAXPROCS=${GOMAXPROCS:-2}
  mkdir -p "$GOCACHE" "$GOTMPDIR"
  cd "$SRC"
  # Mend 3: the orig tarball lacks pkg/generated/openapi/zz_generated.openapi.go, which upstream's `make`
  # generates (Makefile.generated_files, gen_openapi); do the same for the kube target.
  if [ ! -f "$SRC/.serin-ready" ]; then
    t=$(now)
    nice -n 10 go build -o "$WORK/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
    local dirs
    dirs=$(find . \( -path ./vendor -o -path './_*' -o -path './.*' \) -prune -o -type f -name '*.go' -print \
      | xargs grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' | xargs -n1 dirname \
      | sed 's|^\./staging/src|vendor|; s|^\./||' | grep -v -E '^vendor/k8s.io/(code-generator|sample-apiserver)/' \
      | LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)
    nice -n 10 "$WORK/openapi-gen" --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
      -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
      -r "$WORK/openapi-violations.report" 2>"$WORK/openapi-gen.log" || { tail -20 "$WORK/openapi-gen.log" >&2; die "openapi-gen failed"; }
    [ -s pkg/generated/openapi/zz_generated.openapi.go ] || die "openapi-gen wrote nothing"
    timing "$KEY openapi-gen" "$(since $t)"
    touch "$SRC/.serin-ready"
  fi

  # --- binaries into $OUT.partial
  local P=$OUT.partial
  mkdir -p "$P/bin" "$P/images"
  local LD="-s -w" pkg c
  for pkg in k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version k8s.io/kubernetes/vendor/k8s.io/component-base/version; do
    LD="$LD -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=20 -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubelet; do
    [ -f "$P/bin/.$c.done" ] && continue
    t=$(now)
    log "go build $c"
    nice -n 10 go build -trimpath -ldflags "$LD" -o "$P/bin/$c.tmp" "./cmd/$c"
    mv "$P/bin/$c.tmp" "$P/bin/$c"; touch "$P/bin/.$c.done"
    timing "$KEY go-build-$c" "$(since $t)"
  done

  # --- kubectl, from Debian's kubernetes-client
  local X=$WORK/kc
  rm -rf "$X"; dpkg-deb -x "$DL"/kubernetes-client_*.deb "$X"; cp "$X/usr/bin/kubectl" "$P/bin/kubectl"; rm -rf "$X"

  # --- pause image: Kubernetes' own build/pause/linux/pause.c, static
  nice -n 10 gcc -Os -Wall -static -DVERSION=v3.2-serin -o "$P/images/pause" build/pause/linux/pause.c
  strip "$P/images/pause"
  python3 "$KUBE_DIR/mkimage.py" "$P/images/pause.tar" "$PAUSE_IMAGE" '["/pause"]' "$P/images/pause:/pause" >&2
  rm -f "$P/images/pause"

  "$P/bin/kube-apiserver" --version | grep -qx "Kubernetes $K8S_VERSION" || die "kube-apiserver --version is not $K8S_VERSION"
  "$P/bin/kubectl" version --client --short 2>/dev/null | grep -q "v1.20" || die "kubectl is not 1.20"
  rm -f "$P"/bin/.*.done
  { echo "key=$KEY"; echo "debian_source=kubernetes $K8S_DEB_VERSION"; echo "go=$(go version)"; echo "built=$(date -u +%FT%TZ)"; } >"$P/BUILDINFO"
  sync
  mv "$P" "$OUT"    # the one step that marks the build finished
  timing "$KEY total-build" "$(since $T0)"

  # The source tree and Go's build cache are only needed to build again: drop them (sizes in build-times.txt).
  cd /
  echo "$KEY removed source tree $(du -sm "$GOPATH" | cut -f1) MB and Go build cache $(du -sm "$WORK/gocache" | cut -f1) MB" \
    | tee -a "$CACHE/build-times.txt" >&2
  rm -rf "$GOPATH" "$WORK/gocache" "$WORK/tmp" "$WORK/openapi-gen"
}

# The test app image, keyed by the hash of its sources (main.go and the image builder): cheap to rebuild.
build_app() {
  local h dir
  h=$(cat "$APP_SRC/main.go" "$KUBE_DIR/mkimage.py" | sha256sum | cut -c1-16)
  dir=$CACHE/app-$h
  if [ ! -f "$dir/kube-app.tar" ]; then
    ensure_apt golang-go busybox-static
    local t=$(now) tmp=$dir.partial
    rm -rf "$tmp"; mkdir -p "$tmp" "$CACHE/gocache-app"
    ( cd "$APP_SRC"
      GOCACHE=$CACHE/gocache-app GO111MODULE=off GOPATH=$CACHE/gopath-app GOPROXY=off CGO_ENABLED=0 \
        nice -n 10 go build -trimpath -ldflags "-s -w" -o "$tmp/kube-app" main.go )
    # busybox (sh, wget, cat, ...) so that tests can `kubectl exec` into the pod, e.g. to call the apiserver.
    python3 "$KUBE_DIR/mkimage.py" "$tmp/kube-app.tar" "$APP_IMAGE" '["/kube-app"]' "$tmp/kube-app:/kube-app" \
      /bin/busybox:/bin/busybox '/bin/sh=>busybox' '/bin/wget=>busybox' '/bin/cat=>busybox' '/bin/ls=>busybox' \
      '/bin/sleep=>busybox' '/bin/env=>busybox' '/bin/nc=>busybox' >&2
    rm -f "$tmp/kube-app"
    rm -rf "$dir"; mv "$tmp" "$dir"
    # keep only the newest app image
    ls -d "$CACHE"/app-* 2>/dev/null | { grep -v -x -F "$dir" || true; } | xargs -r rm -rf
    timing "app-$h build" "$(since $t)"
  fi
  ln -sfn "app-$h" "$CACHE/app.tmp"; mv -T "$CACHE/app.tmp" "$CACHE/app"
}

( build_kube )   # a subshell: its Go environment (GOPATH, GOTMPDIR, ...) stays there
build_app
log "build ready in $(since $T0) s: $OUT"
