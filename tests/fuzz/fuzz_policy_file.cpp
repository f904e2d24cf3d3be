// A policy file as `recrl recommend --policy` loads it: the header, the plugins it names with
// their parameters, and the algorithm's saved state.
#include "fuzz_support.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/recommend.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".recrl");
  try {
    recrl::Recommender recommender(file, recrl::fuzz::bundled_plugins());
    recrl::Matrix users = recrl::Matrix::Zero(recommender.spec().observation.size, 2);
    recommender.recommend(users);
  } catch (const recrl::Error&) {
  }
  return 0;
}
