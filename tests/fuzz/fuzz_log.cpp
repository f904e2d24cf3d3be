// An interaction log as `recrl ope --log` reads it (docs/logs.md) in each of its formats (recrl,
// Open Bandit Dataset, Vowpal Wabbit --cb_adf), and the same bytes as the target probabilities
// of a 3-row log (--target-probs).
#include "fuzz_support.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/logs/log_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".csv");
  for (const auto format :
       {recrl::logs::LogFormat::Recrl, recrl::logs::LogFormat::Obd, recrl::logs::LogFormat::Vw}) {
    try {
      const auto log = recrl::logs::read_log(file, format);
      static_cast<void>(log.contexts.sum());
    } catch (const recrl::Error&) {
    }
  }
  try {
    static_cast<void>(recrl::logs::read_target_probabilities(file, 3));
  } catch (const recrl::Error&) {
  }
  return 0;
}
