#pragma once

#include <string>
#include <vector>

namespace recrl::app {

// Each subcommand takes its own arguments (without the command word) and returns the process
// exit status. Errors are thrown; main() maps them to messages and exit codes.
int run_command(const std::vector<std::string>& args);
int bench_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int plugins_command(const std::vector<std::string>& args);
int describe_command(const std::vector<std::string>& args);
int recommend_command(const std::vector<std::string>& args);
int simulate_command(const std::vector<std::string>& args);
int ope_command(const std::vector<std::string>& args);
int fit_command(const std::vector<std::string>& args);
int explain_command(const std::vector<std::string>& args);
int serve_command(const std::vector<std::string>& args);
// The result store's queries (runs_command.cpp, compare_command.cpp, export_command.cpp,
// merge_command.cpp).
int runs_command(const std::vector<std::string>& args);
int compare_command(const std::vector<std::string>& args);
int export_command(const std::vector<std::string>& args);
int merge_command(const std::vector<std::string>& args);
// sbatch scripts for a Slurm job array of shards and their merge (slurm_command.cpp).
int slurm_command(const std::vector<std::string>& args);
// An HTML report of an experiment in the result store (report_command.cpp).
int report_command(const std::vector<std::string>& args);

}  // namespace recrl::app
