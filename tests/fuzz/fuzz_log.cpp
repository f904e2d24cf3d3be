// An interaction log as `recrl ope --log` reads it (docs/logs.md), and the same bytes as the
// target probabilities of a 3-row log (--target-probs).
#include "fuzz_support.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/logs/log_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".csv");
  try {
    const auto log = recrl::logs::read_recrl_log(file);
    static_cast<void>(log.contexts.sum());
  } catch (const recrl::Error&) {
  }
  try {
    static_cast<void>(recrl::logs::read_target_probabilities(file, 3));
  } catch (const recrl::Error&) {
  }
  return 0;
}
