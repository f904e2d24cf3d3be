#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a result:
#   scripts/bootstrap.sh run    install what is missing, build, run the headline experiment
#                               (experiments/seed.yaml: PPO vs A2C vs DQN vs random vs oracle)
#   scripts/bootstrap.sh test   install what is missing, build, run the whole test suite (ctest),
#                               then the suite again under AddressSanitizer + UBSan (build-asan/)
#                               and each fuzz target for 30 s (clang's libFuzzer, build-fuzz/)
# Both are idempotent: installed packages and an up-to-date build are left as they are.
set -euo pipefail

mode=${1:-run}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RECRL_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)

# Debian 12 packages: the compiler and build tools, the libraries of the build (Boost, with
# Asio/Beast for recrl serve, yaml-cpp, Eigen, spdlog/fmt, nlohmann-json, SQLite, Open MPI for
# recrl run --mpi), Catch2, Google Benchmark and cpp-httplib (the tests' HTTP client).
packages=(cmake g++ make pkg-config libboost-dev libboost-program-options-dev libyaml-cpp-dev
          libeigen3-dev libspdlog-dev libfmt-dev nlohmann-json3-dev catch2 libbenchmark-dev
          libsqlite3-dev libcpp-httplib-dev openmpi-bin libopenmpi-dev libmuparser-dev)
# Only for `test`: the browser test (ctest label browser) renders a report in headless Chromium;
# packages are installed without their recommends, so it gets a font for its text explicitly.
# clang and its runtime build the fuzz targets (tests/fuzz/README.md).
test_packages=(chromium fonts-liberation clang libclang-rt-14-dev)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build_in DIR [CMAKE_OPTION...]: configure and build one build folder.
build_in() {
  local dir=$1 werror=OFF
  shift
  [ "${CI:-}" = "true" ] && werror=ON
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DRECRL_WARNINGS_AS_ERRORS=$werror "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

case "$mode" in
  run)
    install_missing
    build_in "$build"
    cd "$root"
    "$build/bin/recrl" run experiments/seed.yaml
    ;;
  test)
    packages+=("${test_packages[@]}")
    install_missing
    build_in "$build"
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    # The suite again with every library, plugin and test compiled with AddressSanitizer and
    # UndefinedBehaviorSanitizer: any report fails its test. The browser and SDK tests test
    # nothing there that memory errors could change, and are left out; so are the MPI tests,
    # whose ranks LeakSanitizer would fail for Open MPI's own allocations at exit.
    echo "bootstrap: the test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
    build_in "$build-asan" -DRECRL_SANITIZE=ON -DRECRL_BUILD_BENCHMARKS=OFF
    ctest --test-dir "$build-asan" --output-on-failure -j "$jobs" -LE "browser|sdk|mpi"
    # Each parser's fuzz target for RECRL_FUZZ_SECONDS (30 s unless set).
    echo "bootstrap: the fuzz targets (libFuzzer)"
    CC=clang CXX=clang++ build_in "$build-fuzz" -DRECRL_FUZZ=ON
    ctest --test-dir "$build-fuzz" --output-on-failure -j "$jobs" -L fuzz
    ;;
  *)
    echo "usage: scripts/bootstrap.sh run|test" >&2
    exit 2
    ;;
esac
