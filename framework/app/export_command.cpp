// recrl export: copies a stored run's policy file out of the results.
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/util/atomic_file.hpp"
#include "recrl/util/read_file.hpp"
#include "store_access.hpp"

namespace recrl::app {

int export_command(const std::vector<std::string>& args) {
  std::string run_id;
  std::string out;
  std::string db_file;
  bool force = false;
  po::options_description options("options");
  options.add_options()("run", po::value(&run_id)->required(),
                        "the run's id, or any prefix of it that names one run")(
      "out", po::value(&out)->required(), "where to write the policy file")(
      "force", po::bool_switch(&force), "replace FILE if it exists");
  add_db_option(options, db_file);
  po::positional_options_description positional;
  positional.add("run", 1);
  po::variables_map vm;
  if (!parse(args, "usage: recrl export RUN_ID --out FILE [--force] [--db FILE]", options,
             positional, vm)) {
    return 0;
  }
  std::error_code error;
  if (!force && std::filesystem::exists(out, error)) {
    throw ConfigError(fmt::format("--out {}: the file exists (--force replaces it)", out));
  }
  const store::ResultStore db = open_store_to_read(db_file);
  const store::RunRecord run = find_run(db, run_id);
  // Through a temporary file and a rename (util::write_file_atomically), so that the file is
  // either the whole policy or absent: a half-copied policy would fail to load much later.
  const std::filesystem::path policy = stored_policy(db, run);
  util::write_file_atomically(out, util::read_file(policy, "the policy file", kMaxPolicyBytes));
  std::cout << fmt::format("exported the policy of run {} to {}\n", run.info.run_id, out);
  return 0;
}

}  // namespace recrl::app
