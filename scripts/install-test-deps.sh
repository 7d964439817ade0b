#!/bin/sh
# Debian packages the tests need (root: it calls apt-get):
# - chromium, for the real-browser tests (test/browser, test/ui, test/report), plus Liberation fonts:
#   metric-compatible with Helvetica/Arial, which ECharts' server-side renderer assumes for --png;
# - python3-torch (CPU), for test/probe: the operator probes (probes/*.py) run at tiny sizes on the
#   CPU so their code paths, result format and storage are exercised (GPU figures: docs/gpu.md).
# llama.cpp's llama-server for test/realserver is built by `npm test` itself (pretest, cached).
set -eu
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps.sh: run as root (it calls apt-get)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a parallel install) may hold the dpkg and lists locks:
# wait for them (up to 10 minutes) instead of failing at once.
LOCK_WAIT="-o DPkg::Lock::Timeout=600"
apt-get $LOCK_WAIT update
apt-get $LOCK_WAIT install -y --no-install-recommends chromium fonts-liberation python3-torch
/usr/bin/chromium --version
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
