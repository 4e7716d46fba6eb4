#!/usr/bin/env bash
# Installs what animatediff.cpp needs to build and test on Debian bookworm (see docs/dependencies.md).
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  libdnnl-dev ocl-icd-opencl-dev   # GEMM and convolution kernels (oneDNN; its CMake config needs the OpenCL loader)
  nlohmann-json3-dev libcli11-dev libfmt-dev zlib1g-dev
  libsentencepiece-dev   # T5 tokenizer (SD3.5 tokenizer_3/spiece.model)
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev   # video writers (libx264, libvpx, libwebp come with libavcodec59)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev   # libFuzzer targets and sanitizer runtime
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
