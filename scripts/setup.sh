#!/usr/bin/env bash
# Installs fa-bench's build dependencies from Debian packages (idempotent, non-interactive), then
# configures and builds with the `release` preset into build/.
#   scripts/setup.sh            install + configure + build
#   FA_BENCH_PRESET=cpu-only scripts/setup.sh    build without CUDA
#   FA_BENCH_SKIP_INSTALL=1 scripts/setup.sh     only configure + build
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build g++ git libcli11-dev libfmt-dev catch2 nlohmann-json3-dev libbenchmark-dev python3-matplotlib)

if [[ "${FA_BENCH_SKIP_INSTALL:-0}" != 1 ]]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: all packages present"
  fi
fi

# The cudnn kernel family needs the cuDNN frontend's C++ headers (header-only), which the PyPI package
# nvidia-cudnn-frontend ships; kernels/cudnn/CMakeLists.txt asks python3 where they are. --no-deps: its
# dependencies serve only its Python API. Not fatal: without it the cudnn family is listed as not built.
if [[ "${FA_BENCH_SKIP_INSTALL:-0}" != 1 ]] && command -v python3 >/dev/null; then
  python3 -m pip install --quiet --no-deps nvidia-cudnn-frontend==1.32.0 \
    || echo "setup: nvidia-cudnn-frontend not installed: the cudnn kernel family will not be built"
fi

# CUDA is optional: with nvcc on the PATH or in /usr/local/cuda the GPU kernels build too.
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi
command -v nvcc >/dev/null && echo "setup: CUDA $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') found" \
  || echo "setup: no nvcc: building the CPU parts only"

preset=${FA_BENCH_PRESET:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
echo "setup: built $(ls -1 build*/cli/fa-bench 2>/dev/null | head -1)"
