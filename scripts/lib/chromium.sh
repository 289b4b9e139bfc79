# shellcheck shell=bash
# The host's headless Chromium for the tools that drive Home Assistant's frontend over the DevTools
# protocol (scripts/ui-screens, scripts/demo --check). Sourced after scripts/devroot/devroot.sh.
#
#   chromium_ensure                      # apt-get install chromium when it is missing
#   chromium_start WORK LOG [LANG]       # start it; sets CHROMIUM_PID and CHROMIUM_CDP_PORT
#   chromium_stop                        # give it a moment to quit, then stop it
#
# Chromium maps every host name to nothing but 127.0.0.1 and listens for the debugging protocol
# on 127.0.0.1 only, with a fresh profile in WORK/chromium. IMAPROTECT_UI_TIME_LIMIT (600 s)
# kills it if anything hangs.

CHROMIUM_PID=""
CHROMIUM_CDP_PORT=""

chromium_ensure() {
  command -v chromium >/dev/null && return
  devroot_say "installing chromium on the host…"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 ||
    devroot_die "could not install chromium with apt-get"
}

chromium_start() {
  local work=$1 log=$2 lang=${3:-fr-FR}
  timeout --kill-after=10 "${IMAPROTECT_UI_TIME_LIMIT:-600}" chromium --headless --no-sandbox \
    --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-dev-shm-usage --lang="$lang" \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" --user-data-dir="$work/chromium" \
    --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 about:blank >"$log" 2>&1 &
  CHROMIUM_PID=$!
  for _ in $(seq 100); do
    [ -s "$work/chromium/DevToolsActivePort" ] && break
    kill -0 "$CHROMIUM_PID" 2>/dev/null || devroot_die "chromium exited; see $log"
    sleep 0.1
  done
  CHROMIUM_CDP_PORT=$(head -n 1 "$work/chromium/DevToolsActivePort" 2>/dev/null || true)
  [ -n "$CHROMIUM_CDP_PORT" ] || devroot_die "chromium did not open its debugging port; see $log"
}

chromium_stop() {
  [ -n "$CHROMIUM_PID" ] || return 0
  # The driver asks Chromium to quit; give it a moment before stopping it.
  for _ in $(seq 50); do kill -0 "$CHROMIUM_PID" 2>/dev/null || break; sleep 0.1; done
  kill "$CHROMIUM_PID" 2>/dev/null || true
  wait "$CHROMIUM_PID" 2>/dev/null || true
  CHROMIUM_PID=""
}
