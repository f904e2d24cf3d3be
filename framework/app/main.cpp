// recrl: the command-line entry point. It maps every error to one message on stderr and an
// exit status; library code never exits.
//   0 success, 1 failure of the machine (a file that cannot be written), 2 bad input
//   (configuration, data, plugins, command line), 4 numerical failure (NaN or infinity),
//   70 internal error (a bug).
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options/errors.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "recrl/core/errors.hpp"

namespace {

constexpr const char* kUsage =
    "usage: recrl <command> [options]\n"
    "\n"
    "commands:\n"
    "  run FILE.yaml        train and evaluate every algorithm on every seed, print the "
    "comparison\n"
    "                       (--mpi under mpirun or srun: over MPI ranks; docs/cluster.md)\n"
    "  validate FILE.yaml   check an experiment file against the plugins it names, run nothing\n"
    "  plugins              list the plugins found on the search path\n"
    "  describe NAME        a plugin's description and parameter table\n"
    "  recommend            a saved policy's action for given users\n"
    "  simulate             a policy's interaction log on its simulator (docs/logs.md)\n"
    "  ope                  a target policy's value estimated off-policy from a log\n"
    "  fit                  a bandit policy learned offline from a log (docs/fit.md)\n"
    "  explain              why a policy chooses what it does for a customer (docs/explain.md)\n"
    "  serve                decisions over HTTP, logged for ope and fit (docs/serving.md)\n"
    "  runs [EXP]           the runs in the result store, with their status\n"
    "  compare [EXP...]     one table comparing experiments of the result store\n"
    "  export RUN_ID        copy a stored run's policy file out\n"
    "  merge SOURCE.db...   merge result stores (shards, other machines) into one\n"
    "  slurm FILE.yaml      sbatch scripts: the runs as a Slurm job array, then their merge\n"
    "  report EXP           an HTML report of an experiment: table, learning curves, plots\n"
    "  bench [FILE.yaml]    train each algorithm on one thread, print steps/s and the time split\n"
    "\n"
    "`recrl <command> --help` shows a command's options.\n";

using Command = int (*)(const std::vector<std::string>&);

int dispatch(int argc, char** argv) {
  const std::map<std::string, Command> commands = {
      {"run", recrl::app::run_command},           {"bench", recrl::app::bench_command},
      {"validate", recrl::app::validate_command}, {"plugins", recrl::app::plugins_command},
      {"describe", recrl::app::describe_command}, {"recommend", recrl::app::recommend_command},
      {"simulate", recrl::app::simulate_command}, {"ope", recrl::app::ope_command},
      {"fit", recrl::app::fit_command},           {"explain", recrl::app::explain_command},
      {"runs", recrl::app::runs_command},         {"compare", recrl::app::compare_command},
      {"export", recrl::app::export_command},     {"merge", recrl::app::merge_command},
      {"report", recrl::app::report_command},     {"serve", recrl::app::serve_command},
      {"slurm", recrl::app::slurm_command},
  };
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (name == "--version") {
    std::cout << "recrl " << RECRL_VERSION << "\n";
    return 0;
  }
  const auto command = commands.find(name);
  if (command == commands.end()) {
    // Listed from the table itself, so that no command is left out of the message.
    std::string names;
    for (const auto& [known, run] : commands) names += (names.empty() ? "" : ", ") + known;
    std::cerr << "recrl: error: unknown command '" << name << "' (commands: " << names << ")\n";
    return 2;
  }
  return command->second(std::vector<std::string>(argv + 2, argv + argc));
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries results (tables, JSON) that may be piped.
  auto logger = spdlog::stderr_color_mt("recrl");
  logger->set_pattern("[%H:%M:%S] [%n] %v");
  spdlog::set_default_logger(logger);
  try {
    return dispatch(argc, argv);
  } catch (const recrl::NumericalError& e) {
    std::cerr << "recrl: " << e.what() << "\n";
    return 4;
  } catch (const recrl::InternalError& e) {
    std::cerr << "recrl: " << e.what() << "\n";
    return 70;
  } catch (const recrl::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const recrl::DataError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const recrl::PluginError& e) {
    // One line per broken plugin file.
    std::istringstream lines(e.what());
    for (std::string line; std::getline(lines, line);)
      std::cerr << "recrl: error: " << line << "\n";
    return 2;
  } catch (const boost::program_options::error& e) {
    std::cerr << "recrl: error: " << e.what() << " (see recrl " << (argc > 1 ? argv[1] : "")
              << " --help)\n";
    return 2;
  } catch (const recrl::Error& e) {
    std::cerr << "recrl: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "recrl: error: " << e.what() << "\n";
    return 1;
  }
}
