# shellcheck shell=bash
# The project's dev/test root: a Debian unstable filesystem outside the repository, holding
# Python 3.14, Asterisk 22, SIPp, espeak-ng and sox, run through bubblewrap.
#
# Sourced by scripts/test, scripts/demo and scripts/devroot/build. Built once per machine and reused;
# rebuilt when its inputs change (package list, Python lock file, this recipe). Mirrors and package
# indexes are read from the host's own apt and pip configuration at run time, never written here.
#
# Two Python layers sit on the system layer: the dev/test venv (/opt/imaprotect-venv, from
# requirements/dev.lock: Home Assistant as pinned by the test harness) and the "ha-next" venv
# (/opt/imaprotect-ha-next, from requirements/ha-next.lock: the current Home Assistant release, for
# the load check in tests/compat). Each has its own stamp, written last, so an interrupted build is
# seen as stale and redone.

DEVROOT_RECIPE=3 # bump to force a rebuild of the system layer
DEVROOT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEVROOT_CACHE=${IMAPROTECT_CACHE:-/var/cache/imaprotect}
DEVROOT=${IMAPROTECT_ROOT:-$DEVROOT_CACHE/root}
DEVROOT_VENV=/opt/imaprotect-venv
DEVROOT_PACKAGES=$DEVROOT_REPO/scripts/devroot/packages.txt
DEVROOT_LOCK_FILE=$DEVROOT_REPO/requirements/dev.lock
DEVROOT_NEXT_VENV=/opt/imaprotect-ha-next
DEVROOT_NEXT_IN_FILE=$DEVROOT_REPO/requirements/ha-next.in
DEVROOT_NEXT_LOCK_FILE=$DEVROOT_REPO/requirements/ha-next.lock
DEVROOT_LOG=$DEVROOT_CACHE/build.log

devroot_say() { printf 'devroot: %s\n' "$*" >&2; }

devroot_die() {
  devroot_say "$*"
  exit 1
}

# Run one named build step; on failure say which step and show why.
devroot_step() {
  local name=$1
  shift
  devroot_say "$name…"
  printf '\n=== %s: %s\n' "$(date -u +%FT%TZ)" "$name" >>"$DEVROOT_LOG"
  local rc=0
  "$@" >>"$DEVROOT_LOG" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    devroot_say "step '$name' failed (exit $rc). Last lines of $DEVROOT_LOG:"
    tail -n 25 "$DEVROOT_LOG" | sed 's/^/  | /' >&2
    exit 1
  fi
}

devroot_packages() { grep -vE '^\s*(#|$)' "$DEVROOT_PACKAGES" | tr '\n' ' '; }

devroot_system_hash() {
  { echo "recipe $DEVROOT_RECIPE"; devroot_packages; } | sha256sum | cut -c1-16
}

devroot_venv_hash() {
  { devroot_system_hash; cat "$DEVROOT_LOCK_FILE"; } | sha256sum | cut -c1-16
}

devroot_next_venv_hash() {
  { devroot_system_hash; echo "ha-next"; cat "$DEVROOT_NEXT_LOCK_FILE"; } | sha256sum | cut -c1-16
}

# The Debian mirror the host uses: first non-security deb URI of its apt sources.
devroot_mirror() {
  if [ -n "${IMAPROTECT_MIRROR:-}" ]; then
    echo "$IMAPROTECT_MIRROR"
    return
  fi
  local uri
  uri=$(
    {
      for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN{RS="";FS="\n"} {
          types="";uris="";suites="";enabled="yes"
          for(i=1;i<=NF;i++){
            if($i ~ /^Types:/) types=$i; if($i ~ /^URIs:/) uris=$i
            if($i ~ /^Suites:/) suites=$i; if($i ~ /^Enabled:/) enabled=$i
          }
          if(types ~ /deb( |$)/ && suites !~ /security/ && enabled !~ /no/){
            sub(/^URIs:[ \t]*/,"",uris); split(uris,u," "); print u[1]
          }
        }' "$f"
      done
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if($i ~ /:\/\//){print $i; break}}'
    } | grep -E '/debian/?$' | head -n 1
  )
  [ -n "$uri" ] || devroot_die "no Debian mirror found in the host's apt sources; set IMAPROTECT_MIRROR"
  echo "$uri"
}

# The host's pip settings that reach the package index, as one pip.conf.
devroot_pip_conf() {
  if ! command -v python3 >/dev/null; then
    # No Python on the host: carry the system-wide file over as it is.
    cat /etc/pip.conf 2>/dev/null || true
    return
  fi
  python3 - <<'PY'
import configparser, os, pathlib
files = ["/etc/pip.conf", "/etc/xdg/pip/pip.conf", os.path.expanduser("~/.pip/pip.conf"),
         os.path.expanduser("~/.config/pip/pip.conf"), os.environ.get("PIP_CONFIG_FILE", "")]
keep = ("index-url", "extra-index-url", "find-links", "trusted-host", "timeout", "default-timeout")
merged: dict[str, str] = {}
for name in files:
    if name and pathlib.Path(name).is_file():
        parser = configparser.RawConfigParser()
        parser.read(name)
        for section in ("global", "install"):
            if parser.has_section(section):
                for key in keep:
                    if parser.has_option(section, key):
                        merged[key] = " ".join(parser.get(section, key).split())
print("[global]")
for key, value in merged.items():
    print(f"{key} = {value}")
PY
}

# Local folders the pip configuration points at (find-links, file:// indexes with the files their
# pages link to beside them), to bind read-only.
devroot_pip_paths() {
  { cat "$DEVROOT/etc/pip.conf" 2>/dev/null; env | grep -E '^PIP_(FIND_LINKS|INDEX_URL|EXTRA_INDEX_URL)='; } |
    grep -oE '(file://)?/[^ "]+' | sed -e 's|^file://||' -e 's|/simple/*$||' | while read -r p; do
      [ -e "$p" ] && echo "$p"
    done | sort -u
}

# bwrap arguments shared by every run inside the root.
devroot_bwrap() {
  local extra=()
  [ -f /etc/resolv.conf ] && extra+=(--ro-bind /etc/resolv.conf /etc/resolv.conf)
  [ -f /etc/hosts ] && extra+=(--ro-bind /etc/hosts /etc/hosts)
  bwrap --bind "$DEVROOT" / --proc /proc --dev /dev --tmpfs /tmp --share-net --die-with-parent \
    "${extra[@]}" --setenv PATH "$DEVROOT_VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --setenv LANG C.UTF-8 --setenv HOME /root "$@"
}

devroot_build_system() {
  local mirror staging=$DEVROOT.partial
  mirror=$(devroot_mirror)
  rm -rf "$staging"
  devroot_step "debootstrap (Debian unstable, minbase)" \
    debootstrap --variant=minbase --include=ca-certificates sid "$staging" "$mirror"
  cp /etc/resolv.conf "$staging/etc/resolv.conf" 2>/dev/null || true
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    mkdir -p "$staging/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$staging/usr/local/share/ca-certificates/"
  fi
  devroot_pip_conf >"$staging/etc/pip.conf"
  # apt inside bwrap cannot drop to the _apt user; it runs as root in the sandbox.
  # The host's mirror may serve a dated snapshot whose Release file has expired.
  printf '%s\n' 'APT::Sandbox::User "root";' 'Acquire::Check-Valid-Until "false";' \
    >"$staging/etc/apt/apt.conf.d/90imaprotect"
  local pkgs
  pkgs=$(devroot_packages)
  DEVROOT=$staging devroot_step "apt-get install ($pkgs)" devroot_bwrap --setenv DEBIAN_FRONTEND noninteractive \
    sh -c "update-ca-certificates && apt-get update && apt-get install -y --no-install-recommends $pkgs && apt-get clean"
  devroot_system_hash >"$staging/.imaprotect-system"
  rm -rf "$DEVROOT"
  mv "$staging" "$DEVROOT"
}

# Build one venv layer from scratch: VENV (path inside the root), REQS (file name in requirements/),
# STAMP (file name inside VENV) and VALUE (what to write there, last; empty: no stamp). The old venv
# is removed first, so a build cut short leaves no stamp and is redone by the next run.
devroot_build_layer() {
  local venv=$1 reqs=$2 stamp=$3 value=$4 binds=() p
  while read -r p; do binds+=(--ro-bind "$p" "$p"); done < <(devroot_pip_paths)
  mkdir -p "$DEVROOT_CACHE/pip-cache"
  rm -rf "${DEVROOT:?}${venv:?}"
  local where=""
  [ "$venv" = "$DEVROOT_VENV" ] || where=" into $venv"
  devroot_step "python3.14 venv${where:+ $venv}" devroot_bwrap python3.14 -m venv "$venv"
  devroot_step "pip install -r requirements/$reqs$where" devroot_bwrap "${binds[@]}" \
    --bind "$DEVROOT_CACHE/pip-cache" /root/.cache/pip --ro-bind "$DEVROOT_REPO/requirements" /tmp/requirements \
    "$venv/bin/pip" install --disable-pip-version-check -r "/tmp/requirements/$reqs"
  if [ -n "$value" ]; then
    echo "$value" >"$DEVROOT$venv/$stamp.new"
    mv "$DEVROOT$venv/$stamp.new" "$DEVROOT$venv/$stamp"
  fi
}

devroot_build_venv() {
  devroot_build_layer "$DEVROOT_VENV" dev.lock .imaprotect-venv "$(devroot_venv_hash)"
}

devroot_build_next_venv() {
  devroot_build_layer "$DEVROOT_NEXT_VENV" ha-next.lock .imaprotect-ha-next "$(devroot_next_venv_hash)"
}

# Build what is missing or stale; reuse the rest. Concurrent callers wait on one lock.
devroot_ensure() {
  command -v bwrap >/dev/null && command -v debootstrap >/dev/null || {
    devroot_say "installing debootstrap and bubblewrap on the host…"
    { apt-get update -qq && apt-get install -y -qq debootstrap bubblewrap; } >&2 ||
      devroot_die "could not install debootstrap and bubblewrap with apt-get"
  }
  mkdir -p "$DEVROOT_CACHE"
  exec 9>"$DEVROOT_CACHE/.lock"
  flock 9
  if [ "$(cat "$DEVROOT/.imaprotect-system" 2>/dev/null)" != "$(devroot_system_hash)" ]; then
    devroot_build_system
  fi
  if [ "$(cat "$DEVROOT$DEVROOT_VENV/.imaprotect-venv" 2>/dev/null)" != "$(devroot_venv_hash)" ]; then
    devroot_build_venv
  fi
  flock -u 9
}

# The same, plus the ha-next layer (current Home Assistant release) used by the load check.
devroot_ensure_ha_next() {
  devroot_ensure
  [ -f "$DEVROOT_NEXT_LOCK_FILE" ] ||
    devroot_die "requirements/ha-next.lock is missing: run scripts/devroot/build freeze-ha-next"
  exec 9>"$DEVROOT_CACHE/.lock"
  flock 9
  if [ "$(cat "$DEVROOT$DEVROOT_NEXT_VENV/.imaprotect-ha-next" 2>/dev/null)" != "$(devroot_next_venv_hash)" ]; then
    devroot_build_next_venv
  fi
  flock -u 9
}

# Re-resolve requirements/ha-next.in into a fresh ha-next venv and freeze it into ha-next.lock, the
# way `build freeze` writes dev.lock; the venv then matches the new lock and is stamped as such.
devroot_freeze_ha_next() {
  [ -f "$DEVROOT_NEXT_IN_FILE" ] || devroot_die "requirements/ha-next.in is missing"
  devroot_ensure
  exec 9>"$DEVROOT_CACHE/.lock"
  flock 9
  devroot_build_layer "$DEVROOT_NEXT_VENV" ha-next.in .imaprotect-ha-next ""
  {
    echo "# Frozen from requirements/ha-next.in by scripts/devroot/build freeze-ha-next; edit ha-next.in, not this."
    devroot_run "$DEVROOT_NEXT_VENV/bin/pip" freeze --exclude-editable --all | grep -vE '^(pip|setuptools|wheel)=='
  } >"$DEVROOT_NEXT_LOCK_FILE.new"
  mv "$DEVROOT_NEXT_LOCK_FILE.new" "$DEVROOT_NEXT_LOCK_FILE"
  devroot_next_venv_hash >"$DEVROOT$DEVROOT_NEXT_VENV/.imaprotect-ha-next"
  flock -u 9
  devroot_say "wrote $DEVROOT_NEXT_LOCK_FILE"
}

# Run a command inside the root with the repository bound at its own path.
devroot_run() {
  devroot_bwrap --bind "$DEVROOT_REPO" "$DEVROOT_REPO" --chdir "$DEVROOT_REPO" "$@"
}
