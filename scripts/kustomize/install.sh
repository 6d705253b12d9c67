#!/bin/bash
# install.sh: the pinned kustomize (Debian's package, built for trixie; it needs only libc6 >= 2.34, so it
# runs on bookworm) and bubblewrap (the sandbox Serin runs it in), installed when missing. Prints the
# binary's path on stdout.
#
# Where the machine's own Debian suite carries kustomize $VERSION, plain `apt-get install kustomize`.
# Otherwise the .deb is fetched through a private apt configuration (the machine's own Debian source with
# the suite changed to trixie; the machine's sources, lists and caches stay untouched), `apt-get download`,
# and `dpkg-deb -x` into $CACHE, outside the clone; $CACHE/bin/kustomize is where Serin looks for it.
# A finished install is a directory that appears by one rename, so an interrupted one is never used.
set -euo pipefail

VERSION=5.6.0                      # pinned: Serin checks `kustomize version` against it at start
SUITE=trixie
CACHE=${SERIN_KUSTOMIZE_CACHE:-/var/cache/serin-kustomize}
OUT=$CACHE/kustomize-$VERSION

log() { echo "[kustomize] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Debian's build says "(devel)" to `kustomize version`: the version is the package's, kept beside the binary
# (kustomize.version, written here) or in dpkg's database for an apt-installed one. Serin reads the same.
upstream() { local v=${1#*:}; v=${v%%+*}; echo "${v%%-*}"; }
version_of() {
  local real; real=$(readlink -f "$1")
  "$real" version >/dev/null 2>&1 || return 0
  if [ -f "$real.version" ]; then upstream "$(cat "$real.version")"
  elif [ "$real" = /usr/bin/kustomize ]; then upstream "$(dpkg-query -W -f='${Version}' kustomize 2>/dev/null)"
  else "$real" version 2>/dev/null | head -1 | sed 's/^v//'; fi
}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# bubblewrap: Debian bookworm has it; without it Serin falls back to `unshare -n` and its own checks.
if ! command -v bwrap >/dev/null 2>&1; then
  log "installing bubblewrap"
  $SUDO apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap >/dev/null \
    || log "bubblewrap could not be installed; kustomize will run under unshare -n"
fi

if [ -x /usr/bin/kustomize ] && [ "$(version_of /usr/bin/kustomize)" = "$VERSION" ]; then echo /usr/bin/kustomize; exit 0; fi
if [ -x "$CACHE/bin/kustomize" ] && [ "$(version_of "$CACHE/bin/kustomize")" = "$VERSION" ]; then echo "$CACHE/bin/kustomize"; exit 0; fi

# The machine's own suite, where it has the pinned version.
candidate=$(apt-cache policy kustomize 2>/dev/null | awk '/Candidate:/ {print $2}')
if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && [[ "${candidate#*:}" == "$VERSION"* ]]; then
  log "apt-get install kustomize ($candidate)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq kustomize >/dev/null
  echo /usr/bin/kustomize; exit 0
fi

# The machine's own Debian mirror and keyring, from deb822 (debian.sources) or one-line sources.
mirror="" keyring=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  uri=$(sed -nE 's/^[Uu][Rr][Ii][Ss]:[[:space:]]*([^[:space:]]+).*/\1/p' "$f" | head -1)
  case "$uri" in */debian|*/debian/) mirror=${uri%/}; keyring=$(sed -nE 's/^[Ss]igned-[Bb]y:[[:space:]]*([^[:space:]]+).*/\1/p' "$f" | head -1); break ;; esac
done
if [ -z "$mirror" ]; then
  line=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -E '^deb\s' | grep -E '/debian/?\s' | head -1 || true)
  mirror=$(echo "$line" | sed -E 's/^deb\s+(\[[^]]*\]\s+)?//' | awk '{print $1}'); mirror=${mirror%/}
  keyring=$(echo "$line" | sed -nE 's/.*signed-by=([^] ]+).*/\1/p')
fi
[ -n "$mirror" ] || die "no Debian source found in /etc/apt; install kustomize $VERSION by hand and set SERIN_KUSTOMIZE to its path"
keyring=${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}

mkdir -p "$CACHE"
exec 9>"$CACHE/.install.lock"
flock 9
work=$CACHE/work
rm -rf "$work"; mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/deb"
echo "deb [signed-by=$keyring] $mirror $SUITE main" >"$work/apt/sources.list"
APT=(-o Dir::Etc::SourceList="$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$work/apt/lists" -o Dir::Cache="$work/apt/cache" -o Debug::NoLocking=1
     -o APT::Sandbox::User=root)
log "downloading kustomize from $mirror $SUITE into $CACHE"
apt-get "${APT[@]}" update -qq >&2
( cd "$work/deb" && apt-get "${APT[@]}" download -qq kustomize >&2 )
deb=$(ls "$work"/deb/kustomize_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || die "Debian $SUITE has no kustomize package"
case "$(basename "$deb")" in kustomize_$VERSION*) ;; *) die "Debian $SUITE's kustomize is $(basename "$deb"), not $VERSION: update VERSION here and in KustomizeBinary.swift" ;; esac
rm -rf "$OUT.partial"; dpkg-deb -x "$deb" "$OUT.partial"
dpkg-deb -f "$deb" Version >"$OUT.partial/usr/bin/kustomize.version"
[ "$(version_of "$OUT.partial/usr/bin/kustomize")" = "$VERSION" ] || die "the extracted kustomize does not run or is not $VERSION"
cp "$deb" "$OUT.partial/"
rm -rf "$OUT"; mv "$OUT.partial" "$OUT"
mkdir -p "$CACHE/bin"; ln -sfn "$OUT/usr/bin/kustomize" "$CACHE/bin/kustomize"
rm -rf "$work"
log "kustomize $VERSION in $CACHE/bin/kustomize"
echo "$CACHE/bin/kustomize"
