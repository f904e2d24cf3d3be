// A file given as --db to recrl runs / compare / report: opened read-only, checked, queried.
#include "fuzz_support.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/store/comparison_table.hpp"
#include "recrl/store/result_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".db");
  // Nothing may linger beside it from the previous input.
  std::error_code ignored;
  std::filesystem::remove(file.string() + "-wal", ignored);
  std::filesystem::remove(file.string() + "-shm", ignored);
  try {
    recrl::store::StoreOptions options;
    options.read_only = true;
    const auto store = recrl::store::ResultStore::open(file, options);
    for (const auto& experiment : store.experiments()) {
      for (const auto& run : store.runs(experiment.experiment.name)) {
        store.metrics(run.info.run_id);
        store.curve(run.info.run_id);
        store.action_counts(run.info.run_id);
        store.reward_components(run.info.run_id);
      }
      recrl::store::build_comparison(store, {experiment.experiment.name});
    }
  } catch (const recrl::Error&) {
  }
  return 0;
}
