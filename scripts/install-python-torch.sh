#!/bin/sh
# Debian's python3-torch (CPU) for test/probe: the operator probes (probes/*.py) run at tiny sizes on the
# CPU in CI, so their code paths, result format and storage are exercised; GPU figures come from docs/gpu.md.
set -eu
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-python-torch.sh: run as root (it calls apt-get)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends python3-torch
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
