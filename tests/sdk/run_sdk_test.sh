#!/usr/bin/env bash
# The SDK test: installs a recrl build; builds the example plugins (tests/sdk/*/: a complete
# reward and algorithm, and the minimal ones of docs/plugins.md) out of tree against the
# installed package (find_package(recrl) + recrl_add_plugin) with a default cmake line, checking
# they are optimised and warning-free; checks that a plugin missing a pure virtual gets a
# compile error naming it; and runs an experiment with them through the installed executable.
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

# Each example is a project of its own, configured with the default cmake line (no build type)
# in a copy outside the source tree, so nothing can reach recrl's sources by a relative path.
# The SDK must build it optimised (Release by default) and with no warning from its headers.
plugin_args=()
build_example() {
  local name=$1 output=$2
  shift 2
  step "building $name out of tree: cmake -S . -B build $*"
  cp -r "$sdk_dir/$name" "$work/$name"
  "$cmake_command" -S "$work/$name" -B "$work/$name-build" -DCMAKE_PREFIX_PATH="$prefix" "$@" \
    > "$work/$name-configure.log" 2>&1 \
    || { cat "$work/$name-configure.log" >&2; fail "configuring $name"; }
  grep -q "CMAKE_BUILD_TYPE:STRING=Release" "$work/$name-build/CMakeCache.txt" \
    || fail "$name: an unset CMAKE_BUILD_TYPE did not default to Release"
  "$cmake_command" --build "$work/$name-build" --verbose > "$work/$name-build.log" 2>&1 \
    || { cat "$work/$name-build.log" >&2; fail "building $name"; }
  grep -q -- "-O3" "$work/$name-build.log" || { cat "$work/$name-build.log" >&2; fail "$name was not compiled optimised"; }
  if grep -q "warning:" "$work/$name-build.log"; then
    grep -B2 -A6 "warning:" "$work/$name-build.log" >&2
    fail "building $name printed warnings"
  fi
  [[ -f $work/$name-build/$output ]] || fail "the build did not produce $output"
  plugin_args+=(--plugin-path "$work/$name-build")
}
build_example example_reward recrl_reward_channel_bonus.so
build_example minimal_reward recrl_reward_clicks.so
build_example minimal_algorithm recrl_algorithm_mean_greedy.so
# With the plugin's own strict warnings too: they report its code, not recrl's or Eigen's.
build_example example_algorithm recrl_algorithm_linear_greedy.so \
  "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wconversion"

step "a plugin missing a pure virtual: the first compile error names it"
mkdir -p "$work/broken"
cat > "$work/broken/broken.cpp" <<'CPP'
#include <recrl/plugin/export.hpp>
class Broken final : public recrl::Algorithm {
 public:
  void act(const recrl::ObsBatch&, recrl::ActMode, recrl::Rng&, std::span<int>) override {}
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
};
RECRL_ALGORITHM_PLUGIN(Broken, "broken", "1.0.0", "misses save and load")
CPP
cat > "$work/broken/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(broken LANGUAGES CXX)
find_package(recrl REQUIRED)
recrl_add_plugin(KIND algorithm NAME broken SOURCES broken.cpp)
CMAKE
"$cmake_command" -S "$work/broken" -B "$work/broken-build" -DCMAKE_PREFIX_PATH="$prefix" \
  > "$work/broken-configure.log" 2>&1 || { cat "$work/broken-configure.log" >&2; fail "configuring broken"; }
if "$cmake_command" --build "$work/broken-build" > "$work/broken-build.log" 2>&1; then
  fail "a plugin without save() and load() compiled"
fi
first_error=$(grep -m1 -A12 "error:" "$work/broken-build.log")
echo "$first_error" | grep -q "pure" && echo "$first_error" | grep -q "save" \
  || { cat "$work/broken-build.log" >&2; fail "the first error does not name the missing save()"; }

step "listing plugins with the installed recrl"
"$prefix/bin/recrl" plugins "${plugin_args[@]}" > "$work/plugins.txt" 2>&1 \
  || { cat "$work/plugins.txt" >&2; fail "recrl plugins"; }
for name in channel_bonus clicks mean_greedy linear_greedy recommendation; do
  grep -q "$name" "$work/plugins.txt" || { cat "$work/plugins.txt" >&2; fail "$name is not listed"; }
done

step "running $sdk_dir/sdk_experiment.yaml"
cp "$sdk_dir/sdk_experiment.yaml" "$work/"
# output: in the experiment is relative to the working directory.
status=0
(cd "$work" && "$prefix/bin/recrl" run sdk_experiment.yaml "${plugin_args[@]}") \
  > "$work/run.log" 2>&1 || status=$?
[[ $status -eq 0 ]] || { cat "$work/run.log" >&2; fail "recrl run exited with $status"; }
results=$work/results/sdk_examples/results.json
[[ -f $results ]] || { cat "$work/run.log" >&2; fail "recrl run wrote no results.json"; }
# The example bandit learns: well above the random policy (results.csv: algorithm, eval_mean).
csv=$work/results/sdk_examples/results.csv
mean_of() { awk -F, -v a="$1" '$4 == a { print $8 }' "$csv"; }
random_mean=$(mean_of random)
learned_mean=$(mean_of linear_greedy)
echo "random $random_mean, linear_greedy $learned_mean"
awk -v r="$random_mean" -v l="$learned_mean" 'BEGIN { exit !(l > 1.5 * r) }' \
  || fail "linear_greedy ($learned_mean) did not learn beyond random ($random_mean)"

step "the minimal reward in place of the example's"
status=0
(cd "$work" && "$prefix/bin/recrl" run sdk_experiment.yaml "${plugin_args[@]}" \
   --set reward.plugin=clicks --set "reward.params={}" --set name=sdk_clicks \
   --set output=results/sdk_clicks --set "algorithms=[{plugin: random}, {plugin: mean_greedy}]") \
  > "$work/run_clicks.log" 2>&1 || status=$?
[[ $status -eq 0 ]] || { cat "$work/run_clicks.log" >&2; fail "recrl run with clicks exited with $status"; }

step "ok: $results"
