// An experiment file through everything `recrl validate` does: YAML, structure, the sweep, the
// plugins' schemas and constructors. Any recrl::Error is a clean refusal; anything else that
// escapes (another exception, a crash, a leak, undefined behaviour) is a finding.
#include "fuzz_support.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".yaml");
  try {
    const auto variants = recrl::config::load_experiment_variants(file);
    for (const auto& variant : variants) {
      recrl::resolve_experiment(variant, recrl::fuzz::bundled_plugins());
    }
  } catch (const recrl::Error&) {
  }
  return 0;
}
