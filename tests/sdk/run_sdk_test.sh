#!/usr/bin/env bash
# The SDK test: installs a recrl build, builds the example reward plugin out of tree against
# the installed package (find_package(recrl) + recrl_add_plugin), and runs an experiment that
# uses it with the installed executable.
#
# usage: run_sdk_test.sh BUILD_DIR SDK_DIR [CMAKE]
#   BUILD_DIR  a built recrl build tree (everything built: the install needs all targets)
#   SDK_DIR    this folder (tests/sdk)
#   CMAKE      the cmake to use (default: cmake on PATH)
# Set RECRL_SDK_TEST_KEEP=1 to keep the temporary folder for inspection.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BUILD_DIR SDK_DIR [CMAKE]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
sdk_dir=$(cd "$2" && pwd)
cmake_command=${3:-cmake}

work=$(mktemp -d "${TMPDIR:-/tmp}/recrl-sdk-test.XXXXXX")
cleanup() {
  local status=$?
  if [[ $status -ne 0 || "${RECRL_SDK_TEST_KEEP:-0}" == 1 ]]; then
    echo "sdk test: files kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

step() { echo "== sdk test: $*"; }
fail() { echo "sdk test: FAILED: $*" >&2; exit 1; }

# Only the installed tree may be used from here on: no build-tree plugins through the
# environment, no build-tree libraries through the loader path.
unset RECRL_PLUGIN_PATH LD_LIBRARY_PATH

prefix=$work/prefix
step "installing $build_dir into $prefix"
"$cmake_command" --install "$build_dir" --prefix "$prefix" > "$work/install.log" \
  || { cat "$work/install.log" >&2; fail "cmake --install"; }
[[ -x $prefix/bin/recrl ]] || fail "the install has no bin/recrl"
[[ -f $prefix/lib/cmake/recrl/recrlConfig.cmake ]] || fail "the install has no recrlConfig.cmake"

# A copy outside the source tree, so nothing can reach recrl's sources by a relative path.
step "building the example reward out of tree"
cp -r "$sdk_dir/example_reward" "$work/example_reward"
"$cmake_command" -S "$work/example_reward" -B "$work/example_build" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log" 2>&1 \
  || { cat "$work/configure.log" >&2; fail "configuring the example reward"; }
"$cmake_command" --build "$work/example_build" > "$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; fail "building the example reward"; }
plugin_file=$work/example_build/recrl_reward_channel_bonus.so
[[ -f $plugin_file ]] || fail "the build did not produce $plugin_file"

step "listing plugins with the installed recrl"
"$prefix/bin/recrl" plugins --plugin-path "$work/example_build" > "$work/plugins.txt" 2>&1 \
  || { cat "$work/plugins.txt" >&2; fail "recrl plugins"; }
grep -q channel_bonus "$work/plugins.txt" || { cat "$work/plugins.txt" >&2; fail "channel_bonus is not listed"; }
grep -q recommendation "$work/plugins.txt" \
  || { cat "$work/plugins.txt" >&2; fail "the installed bundled plugins are not found"; }

step "running $sdk_dir/sdk_experiment.yaml"
cp "$sdk_dir/sdk_experiment.yaml" "$work/"
# output: in the experiment is relative to the working directory.
status=0
(cd "$work" && "$prefix/bin/recrl" run sdk_experiment.yaml --plugin-path "$work/example_build") \
  > "$work/run.log" 2>&1 || status=$?
[[ $status -eq 0 ]] || { cat "$work/run.log" >&2; fail "recrl run exited with $status"; }
results=$(find "$work/results" -name results.json -print -quit 2>/dev/null || true)
[[ -n $results ]] || { cat "$work/run.log" >&2; fail "recrl run wrote no results.json"; }

step "ok: $results"
