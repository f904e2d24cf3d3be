// recrl slurm: sbatch scripts that run an experiment as a Slurm job array of shards, then merge
// the shards' stores and write the tables (docs/cluster.md).
#include <sys/stat.h>

#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "options.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/run_plan.hpp"
#include "recrl/store/result_store.hpp"
#include "recrl/util/atomic_file.hpp"

namespace recrl::app {

namespace {

namespace fs = std::filesystem;

struct SlurmChoice {
  std::string file;
  int tasks = 0;
  std::string partition, time, mem, account;
  int cpus_per_task = 1;
  std::vector<std::string> sbatch_lines;  // further #SBATCH options, as given
  std::string db = store::kDefaultStorePath;
  std::string out;  // default: <experiment output>/slurm
  bool force = false;
};

// A word for sh, in single quotes.
std::string quoted(const std::string& word) {
  std::string q = "'";
  for (const char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string absolute_text(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

// The #SBATCH lines every job of the experiment shares; the body starts with `cd` to where
// recrl slurm ran, so that the experiment's relative output folder is the same for every job.
std::string shared_header(const SlurmChoice& c, const std::string& job, const fs::path& log) {
  std::string h = "#!/bin/bash\n";
  h += fmt::format("#SBATCH --job-name={}\n#SBATCH --output={}\n", job, absolute_text(log));
  if (!c.partition.empty()) h += "#SBATCH --partition=" + c.partition + "\n";
  if (!c.account.empty()) h += "#SBATCH --account=" + c.account + "\n";
  if (!c.time.empty()) h += "#SBATCH --time=" + c.time + "\n";
  if (!c.mem.empty()) h += "#SBATCH --mem=" + c.mem + "\n";
  for (const std::string& line : c.sbatch_lines) h += "#SBATCH " + line + "\n";
  return h;
}

std::string body_start() {
  return "set -euo pipefail\ncd " + quoted(absolute_text(fs::current_path())) + "\n";
}

// The arguments that make every recrl run of the scripts load the same experiment.
std::string experiment_arguments(const SlurmChoice& c, const CommonOptions& common) {
  std::string args = quoted(absolute_text(c.file));
  for (const std::string& o : common.overrides) args += " --set " + quoted(o);
  for (const fs::path& p : common.plugin_folders())
    args += " --plugin-path " + quoted(absolute_text(p));
  return args;
}

}  // namespace

int slurm_command(const std::vector<std::string>& args) {
  SlurmChoice c;
  CommonOptions common;
  po::options_description options("options");
  options.add_options()("experiment", po::value(&c.file)->required(), "the experiment file (YAML)")(
      "tasks", po::value(&c.tasks)->required(),
      "array tasks: task I runs share I of the runs (--shard I/K) into a store of its own")(
      "cpus-per-task", po::value(&c.cpus_per_task),
      "cores per task, each training a run at once (--jobs; default 1)")(
      "partition", po::value(&c.partition), "#SBATCH --partition")(
      "time", po::value(&c.time), "#SBATCH --time, per task (e.g. 02:00:00)")(
      "mem", po::value(&c.mem), "#SBATCH --mem, per task (e.g. 4G)")(
      "account", po::value(&c.account), "#SBATCH --account")(
      "sbatch", po::value(&c.sbatch_lines)->composing(),
      "another #SBATCH option for every job, e.g. --sbatch=--qos=long (repeatable)")(
      "db", po::value(&c.db)->default_value(c.db),
      "the store the shards are merged into, and the tables read from")(
      "out", po::value(&c.out), "where the scripts go (default: <experiment output>/slurm)")(
      "force", po::bool_switch(&c.force), "replace scripts written before");
  po::positional_options_description positional;
  common.add_experiment_options(options, positional);
  po::variables_map vm;
  if (!parse(args,
             "usage: recrl slurm FILE.yaml --tasks K [--partition P] [--time T] [--mem M] "
             "[--cpus-per-task C] [--account A] [--sbatch OPTION]... [--db FILE] [--out DIR] "
             "[--force] [--set PATH=VALUE]... [--plugin-path DIR]...",
             options, positional, vm)) {
    return 0;
  }
  common.apply_verbosity();
  if (c.tasks < 1) throw ConfigError(fmt::format("--tasks {}: expected at least 1", c.tasks));
  if (c.cpus_per_task < 1) {
    throw ConfigError(fmt::format("--cpus-per-task {}: expected at least 1", c.cpus_per_task));
  }
  for (const std::string& line : c.sbatch_lines) {
    if (line.rfind("--", 0) != 0 || line.find('\n') != std::string::npos) {
      throw ConfigError("--sbatch '" + line + "': expected one sbatch option, e.g. --qos=long");
    }
  }
  // The experiment is checked here, not on the cluster an hour later.
  std::vector<config::Override> overrides;
  for (const std::string& o : common.overrides) overrides.push_back(config::parse_override(o));
  plugin::PluginRegistry registry;
  const auto variants =
      load_resolved_experiment(c.file, overrides, common.plugin_folders(), registry);
  const std::size_t runs = plan_runs(variants).size();
  const config::Experiment& e = variants.front().experiment;
  const fs::path dir = c.out.empty() ? e.output / "slurm" : fs::path(c.out);
  const fs::path array = dir / "array.sbatch", merge = dir / "merge.sbatch",
                 submit = dir / "submit.sh";
  for (const fs::path& f : {array, merge, submit}) {
    if (fs::exists(f) && !c.force) {
      throw ConfigError(f.string() + " exists: --force replaces it, --out DIR writes elsewhere");
    }
  }

  const std::string recrl = quoted(absolute_text(fs::read_symlink("/proc/self/exe")));
  const std::string experiment = experiment_arguments(c, common);
  const std::string shard_db =
      absolute_text(dir / fmt::format("shard-${{SLURM_ARRAY_TASK_ID}}-of-{}.db", c.tasks));
  // Task I: its share into its own store. --resume: a task requeued after a preemption or a
  // node failure continues where it stopped.
  std::string array_text = shared_header(c, "recrl-" + e.name, dir / "logs" / "shard-%a.out");
  array_text += fmt::format(
      "#SBATCH --array=1-{}\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task={}\n"
      "# Task I of {} runs share I of the {} runs of experiment '{}'.\n"
      "{}"
      ": \"${{SLURM_ARRAY_TASK_ID:?runs as a task of a Slurm job array (sbatch)}}\"\n"
      "exec {} run {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --jobs "
      "\"${{SLURM_CPUS_PER_TASK:-{}}}\" "
      "--db \"{}\" --resume\n",
      c.tasks, c.cpus_per_task, c.tasks, runs, e.name, body_start(), recrl, experiment, c.tasks,
      c.cpus_per_task, shard_db);
  // After every task succeeded: the shards' stores into one, then the tables from it (every
  // run is finished there, so recrl run --resume trains nothing and writes results.*).
  std::string merge_text =
      shared_header(c, "recrl-" + e.name + "-merge", dir / "logs" / "merge.out");
  std::string shards;
  for (int i = 1; i <= c.tasks; ++i)
    shards += " " + quoted(absolute_text(dir / fmt::format("shard-{}-of-{}.db", i, c.tasks)));
  merge_text += fmt::format(
      "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
      "{}"
      "{} merge{} --into {}\n"
      "exec {} run {} --db {} --resume --jobs 1\n",
      body_start(), recrl, shards, quoted(absolute_text(c.db)), recrl, experiment,
      quoted(absolute_text(c.db)));
  const std::string submit_text = fmt::format(
      "#!/bin/sh\n"
      "# Submits the job array, then the merge to run once every task has succeeded.\n"
      "set -eu\n"
      "mkdir -p {logs}\n"
      "array=$(sbatch --parsable {array})\n"
      "array=${{array%%;*}}\n"
      "merge=$(sbatch --parsable --dependency=afterok:\"$array\" {merge})\n"
      "echo \"submitted job array $array ({tasks} tasks) and merge job ${{merge%%;*}}\"\n",
      fmt::arg("logs", quoted(absolute_text(dir / "logs"))),
      fmt::arg("array", quoted(absolute_text(array))),
      fmt::arg("merge", quoted(absolute_text(merge))), fmt::arg("tasks", c.tasks));
  util::write_file_atomically(array, array_text);
  util::write_file_atomically(merge, merge_text);
  util::write_file_atomically(submit, submit_text);
  fs::create_directories(dir / "logs");
  for (const fs::path& f : {array, merge, submit}) ::chmod(f.c_str(), 0755);
  std::cout << fmt::format(
      "{} runs in {} tasks (about {} each): {} submits {} and then {}; the tables end in {}.\n",
      runs, c.tasks, (runs + c.tasks - 1) / c.tasks, submit.string(), array.string(),
      merge.string(), (e.output / "results.md").string());
  return 0;
}

}  // namespace recrl::app
