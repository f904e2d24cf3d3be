#include "recrl/config/experiment.hpp"

#include <algorithm>

#include "recrl/core/value.hpp"
#include "recrl/core/params.hpp"
#include "recrl/util/problem_list.hpp"
#include "recrl/util/spelling.hpp"
#include "recrl/config/yaml_value.hpp"
#include "recrl/core/params.hpp"
#include "experiment_validation.hpp"
#include "recrl/util/read_file.hpp"

namespace recrl::config {

namespace {

using recrl::util::ProblemList;

constexpr int kMaxEnvs = 4096;
// An experiment file is a page of settings: anything this large is not one (docs/limits.md).
constexpr std::uint64_t kMaxExperimentBytes = 16ull << 20;
// Experiment and algorithm names become folder names, so they are kept to portable characters.
constexpr const char* kNameRule = "letters, digits, '.', '_' and '-', not starting with '.'";

// The sections of an experiment file, described with the same schemas plugins use: one place
// states each key's type, bounds and default, and unknown keys get the same "did you mean".
ParamSchema top_level_schema() {
  ParamSchema schema;
  schema.text("name", "", "experiment name, used in result folder names").required();
  schema.node("env", Value::null(), "the environment plugin: {plugin, label, params}");
  schema.node("reward", Value::null(), "the reward plugin: {plugin, label, params}");
  schema.node("algorithms", Value::null(), "the algorithms to compare, a list of {plugin, ...}");
  schema.integer_list("seeds", {0}, "one run per algorithm and seed").at_least(0);
  schema.node("train", Value::map(), "training settings shared by all algorithms");
  schema.node("eval", Value::map(), "evaluation settings");
  schema.text("output", "", "results folder; default results/<name>");
  schema.text_list("plugin_paths", {}, "extra plugin folders, relative to this file");
  schema.node("sweep", Value::map(), "parameter paths with lists of values, expanded as a grid");
  return schema;
}

ParamSchema plugin_use_schema(bool is_algorithm) {
  const TrainSettings train;
  ParamSchema schema;
  schema.text("plugin", "", "plugin name").required();
  schema.text("label", "", "name in results; default: the plugin name");
  // Absent params stay null in PluginUse (checked by presence, below); the default only keeps
  // the key optional.
  schema.node("params", Value::map(), "the plugin's parameters");
  if (is_algorithm) {
    schema.integer("timesteps", train.timesteps, "overrides train.timesteps").at_least(1);
    schema.integer("n_envs", train.n_envs, "overrides train.n_envs").range(1, kMaxEnvs);
    schema.boolean("normalize_observations", train.normalize_observations,
                   "overrides train.normalize_observations");
    schema.integer("checkpoint_every", train.checkpoint_every, "overrides train.checkpoint_every")
        .at_least(0);
  }
  return schema;
}

ParamSchema train_schema() {
  const TrainSettings train;
  ParamSchema schema;
  schema.integer("timesteps", train.timesteps, "environment steps per run").at_least(1);
  schema.integer("n_envs", train.n_envs, "environment copies stepped together").range(1, kMaxEnvs);
  schema.boolean("normalize_observations", train.normalize_observations,
                 "running mean/std observation normaliser");
  schema
      .integer("checkpoint_every", train.checkpoint_every,
               "env steps between checkpoints that --resume continues from; 0: none")
      .at_least(0);
  return schema;
}

ParamSchema eval_schema() {
  const EvalSettings eval;
  ParamSchema schema;
  schema.integer("episodes", eval.episodes, "held-out episodes per evaluation").at_least(1);
  schema.integer("seed", static_cast<std::int64_t>(eval.seed), "seed of the held-out users")
      .at_least(0);
  schema.integer("every", eval.every, "env steps between evaluations; 0: only at the end")
      .at_least(0);
  return schema;
}

// A name that is a folder name of its own: not "." or ".." (the folder itself or its parent)
// nor hidden.
bool is_portable_name(const std::string& text) {
  return !text.empty() && text.front() != '.' && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Why `output` cannot be an experiment's results folder, or "": a relative path that leaves the
// working directory ("..", "../x") or is it ("", "."), or any path that is the working
// directory or a folder above it (results would land among the user's own files).
std::string output_problem(const std::filesystem::path& output) {
  const std::filesystem::path normal = output.lexically_normal();
  if (normal.is_relative()) {
    if (normal.empty() || normal == ".") return "is the working directory";
    if (*normal.begin() == "..") return "leaves the working directory";
    return "";
  }
  std::error_code error;
  const auto cwd = std::filesystem::weakly_canonical(std::filesystem::current_path(error), error);
  const auto target = std::filesystem::weakly_canonical(normal, error);
  if (error) return "";
  // The target holds the working directory when the target's parts are the first of the
  // working directory's.
  if (std::mismatch(target.begin(), target.end(), cwd.begin(), cwd.end()).first == target.end())
    return "is the working directory or a folder that holds it";
  return "";
}

std::string location_text(const SourceLocation& where) {
  return where.line > 0 ? "line " + std::to_string(where.line) + ":" + std::to_string(where.column)
                        : where.str();
}

// A validated section; absent keys come back as null.
class Section {
 public:
  explicit Section(Value values) : values_(std::move(values)) {}
  const Value& get(const std::string& key) const {
    static const Value kAbsent;
    const Value* v = values_.find(key);
    return v != nullptr ? *v : kAbsent;
  }

 private:
  Value values_;
};

// Reads `env:`, `reward:` or one `algorithms:` entry. Returns false when it has problems.
bool read_plugin_use(const Value& given, const std::string& key_path, bool is_algorithm,
                     PluginUse& use, ProblemList& problems) {
  use.key_path = key_path;
  use.where = given.is_null() ? given.key_where() : given.where();
  if (given.is_string()) {
    problems.add(given.where(), key_path,
                 "expected a map such as {plugin: " + given.as_string() + "}, got " +
                     recrl::describe_value(given));
    return false;
  }
  const std::size_t before = problems.size();
  const Section section(recrl::validate_map(plugin_use_schema(is_algorithm), given, key_path,
                                            given.key_where(), "key", problems));
  const Value& plugin = section.get("plugin");
  if (plugin.is_string()) {
    use.plugin = plugin.as_string();
    if (use.plugin.empty()) {
      problems.add(plugin.where(), key_path + ".plugin", "expected a plugin name, got ''");
    }
  }
  const Value* label = given.find("label");
  if (label == nullptr) {
    use.label = use.plugin;  // plugin names follow the registry's stricter rules already
  } else if (const Value& checked = section.get("label"); checked.is_string()) {
    use.label = checked.as_string();
    if (!is_portable_name(use.label)) {
      problems.add(label->where(), key_path + ".label",
                   std::string("expected a label made of ") + kNameRule +
                       " (it names result folders), got '" + use.label + "'");
    }
  }
  if (const Value* params = given.find("params")) {
    if (!params->is_null() && !params->is_map()) {
      problems.add(params->where(), key_path + ".params",
                   "expected a map of parameters, got " + recrl::describe_value(*params));
    }
    use.params = *params;
  }
  return problems.size() == before;
}

void read_algorithm(const Value& given, std::size_t index, AlgorithmUse& use,
                    ProblemList& problems) {
  const std::string key_path = "algorithms[" + std::to_string(index) + "]";
  if (!read_plugin_use(given, key_path, true, use, problems) || !given.is_map()) return;
  if (given.find("timesteps") != nullptr) use.timesteps = given.find("timesteps")->as_int();
  if (given.find("n_envs") != nullptr) {
    use.n_envs = static_cast<int>(given.find("n_envs")->as_int());
  }
  if (given.find("normalize_observations") != nullptr) {
    use.normalize_observations = given.find("normalize_observations")->as_bool();
  }
  if (given.find("checkpoint_every") != nullptr) {
    use.checkpoint_every = given.find("checkpoint_every")->as_int();
  }
}

void read_algorithms(const Value& given, Experiment& experiment, ProblemList& problems) {
  if (given.is_null()) return;  // reported as missing
  if (!given.is_list() || given.items().empty()) {
    problems.add(
        given.where(), "algorithms",
        "expected a non-empty list of algorithms such as [{plugin: ppo}], got " +
            (given.is_list() ? std::string("an empty list") : recrl::describe_value(given)));
    return;
  }
  struct LabelUse {
    std::string key_path;
    SourceLocation where;
  };
  std::vector<std::pair<std::string, LabelUse>> labels;
  for (std::size_t i = 0; i < given.items().size(); ++i) {
    const Value& item = given.items()[i];
    AlgorithmUse use;
    read_algorithm(item, i, use, problems);
    if (!use.label.empty()) {
      const Value* label = item.find("label");
      const SourceLocation where = label != nullptr ? label->where() : item.where();
      const auto first = std::find_if(labels.begin(), labels.end(),
                                      [&](const auto& entry) { return entry.first == use.label; });
      if (first != labels.end()) {
        problems.add(where, use.key_path + ".label",
                     "label '" + use.label + "' is already used by " + first->second.key_path +
                         " (" + location_text(first->second.where) +
                         "); give one of them a different `label:`");
      } else {
        labels.emplace_back(use.label, LabelUse{use.key_path, where});
      }
    }
    experiment.algorithms.push_back(std::move(use));
  }
}

void read_seeds(const Value& seeds, Experiment& experiment, ProblemList& problems) {
  if (!seeds.is_list()) return;  // reported by the schema
  if (seeds.items().empty()) {
    problems.add(seeds.where(), "seeds", "expected at least one seed, got an empty list");
    return;
  }
  experiment.seeds.clear();
  for (std::size_t i = 0; i < seeds.items().size(); ++i) {
    const auto seed = static_cast<std::uint64_t>(seeds.items()[i].as_int());
    const auto first = std::find(experiment.seeds.begin(), experiment.seeds.end(), seed);
    if (first != experiment.seeds.end()) {
      // Two runs with one seed would be the same run twice, and would share a result folder.
      problems.add(seeds.items()[i].where(), "seeds[" + std::to_string(i) + "]",
                   "seed " + std::to_string(seed) + " is already listed as seeds[" +
                       std::to_string(first - experiment.seeds.begin()) + "]");
    } else {
      experiment.seeds.push_back(seed);
    }
  }
}

void read_train(const Value& given, TrainSettings& train, ProblemList& problems) {
  const Section section(
      recrl::validate_map(train_schema(), given, "train", given.key_where(), "key", problems));
  if (const Value& v = section.get("timesteps"); v.is_int()) train.timesteps = v.as_int();
  if (const Value& v = section.get("n_envs"); v.is_int())
    train.n_envs = static_cast<int>(v.as_int());
  if (const Value& v = section.get("normalize_observations"); v.is_bool()) {
    train.normalize_observations = v.as_bool();
  }
  if (const Value& v = section.get("checkpoint_every"); v.is_int()) {
    train.checkpoint_every = v.as_int();
  }
}

void read_eval(const Value& given, EvalSettings& eval, ProblemList& problems) {
  const Section section(
      recrl::validate_map(eval_schema(), given, "eval", given.key_where(), "key", problems));
  if (const Value& v = section.get("episodes"); v.is_int()) eval.episodes = v.as_int();
  if (const Value& v = section.get("seed"); v.is_int())
    eval.seed = static_cast<std::uint64_t>(v.as_int());
  if (const Value& v = section.get("every"); v.is_int()) eval.every = v.as_int();
}

}  // namespace

Experiment validate_experiment(const std::filesystem::path& file, Value document) {
  if (!document.is_map()) {
    throw ConfigError(document.where(), "",
                      "expected a map of settings (name, env, reward, algorithms, ...), got " +
                          recrl::describe_value(document));
  }
  ProblemList problems;
  Experiment experiment;
  experiment.file = file;
  const Section top(
      recrl::validate_map(top_level_schema(), document, "", document.where(), "key", problems));

  if (const Value& name = top.get("name"); name.is_string()) {
    experiment.name = name.as_string();
    if (!is_portable_name(experiment.name)) {
      problems.add(name.where(), "name",
                   std::string("expected a name made of ") + kNameRule +
                       " (it names the results folder), got '" + experiment.name + "'");
    }
  }
  if (const Value* env = document.find("env")) {
    read_plugin_use(*env, "env", false, experiment.env, problems);
  }
  if (const Value* reward = document.find("reward")) {
    read_plugin_use(*reward, "reward", false, experiment.reward, problems);
  }
  read_algorithms(top.get("algorithms"), experiment, problems);
  read_seeds(top.get("seeds"), experiment, problems);
  read_train(top.get("train"), experiment.train, problems);
  read_eval(top.get("eval"), experiment.eval, problems);

  const Value& output = top.get("output");
  experiment.output = output.is_string() && !output.as_string().empty()
                          ? std::filesystem::path(output.as_string())
                          : std::filesystem::path("results") / experiment.name;
  // A name that is not a folder name was reported above; its default folder is not checked.
  const bool output_given = output.is_string() && !output.as_string().empty();
  const std::string why = output_given || is_portable_name(experiment.name)
                              ? output_problem(experiment.output)
                              : std::string();
  if (!why.empty()) {
    problems.add(output_given ? output.where() : top.get("name").where(),
                 output_given ? "output" : "name",
                 "the results folder '" + experiment.output.string() + "' " + why +
                     "; recrl writes results.md, results.csv and runs/ there: give the "
                     "experiment a folder of its own, e.g. results/" +
                     (experiment.name.empty() ? "NAME" : experiment.name));
  }
  if (const Value& paths = top.get("plugin_paths"); paths.is_list()) {
    for (const auto& path : paths.items()) {
      // parent_path() of a bare file name is empty, and "" / p is p: relative to the CWD.
      experiment.plugin_paths.push_back(file.parent_path() / path.as_string());
    }
  }

  problems.throw_if_any();
  experiment.document = std::move(document);
  return experiment;
}

Value load_experiment_document(const std::filesystem::path& file,
                               const std::vector<Override>& overrides) {
  Value document =
      parse_yaml(util::read_file(file, "the experiment file", kMaxExperimentBytes), file.string());
  apply_overrides(document, overrides);
  return document;
}

Experiment load_experiment(const std::filesystem::path& file,
                           const std::vector<Override>& overrides) {
  return validate_experiment(file, load_experiment_document(file, overrides));
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  return recrl::util::did_you_mean_hint(word, candidates);
}

}  // namespace recrl::config
