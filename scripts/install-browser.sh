#!/bin/sh
# Debian's chromium for the real-browser tests (test/browser, test/ui, test/report), plus
# Liberation fonts: metric-compatible with Helvetica/Arial, which ECharts' server-side
# renderer assumes when it lays out text for the --png images.
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser.sh: run as root (it calls apt-get)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a parallel install) may hold the dpkg and lists locks:
# wait for them (up to 10 minutes) instead of failing at once.
LOCK_WAIT="-o DPkg::Lock::Timeout=600"
apt-get $LOCK_WAIT update
apt-get $LOCK_WAIT install -y --no-install-recommends chromium fonts-liberation
/usr/bin/chromium --version
