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
apt-get update
apt-get install -y --no-install-recommends chromium fonts-liberation
/usr/bin/chromium --version
