#!/usr/bin/env bash
# Debian packages the test suite needs: Chromium for the Playwright browser test.
# The Korean font ships in assets/fonts, so no font package is required.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install_system_deps: apt-get not found; install ${need[*]} yourself (browser test will be skipped)" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install_system_deps: not root; install ${need[*]} yourself (browser test will be skipped)" >&2
    exit 0
  fi
fi
echo "install_system_deps: installing ${need[*]}"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null || {
  echo "install_system_deps: apt-get install ${need[*]} failed (browser test will be skipped)" >&2; exit 0; }
