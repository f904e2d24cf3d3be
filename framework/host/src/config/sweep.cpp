// `sweep:`: the grid of variants of an experiment (declared in recrl/config/experiment.hpp).
#include <string>
#include <vector>

#include "recrl/util/problem_list.hpp"
#include "experiment_validation.hpp"
#include "recrl/config/experiment.hpp"
#include "value_path.hpp"

namespace recrl::config {

namespace {

// Sections a sweep may vary. The name, the seeds and the output folder identify an experiment
// and its runs; varying them would make variants of something else.
constexpr const char* kSweepable[] = {"env", "reward", "algorithms", "train", "eval"};

struct Axis {
  std::string path;
  std::vector<std::string> segments;
  const Value* values;  // a non-empty list
  SourceLocation where;
};

std::vector<Axis> read_axes(const Value& sweep) {
  util::ProblemList problems;
  std::vector<Axis> axes;
  if (!sweep.is_map()) {
    problems.add(sweep.where(), "sweep",
                 "expected a map of parameter paths to lists of values, e.g. "
                 "{reward.params.channel: [0.2, 0.3]}");
    problems.throw_if_any();
  }
  for (const auto& [path, values] : sweep.entries()) {
    const std::string key_path = "sweep." + path;
    Axis axis{path, path_segments(path), &values, values.key_where()};
    bool sweepable = false;
    for (const char* section : kSweepable) sweepable = sweepable || axis.segments[0] == section;
    if (!sweepable || axis.segments.size() < 2) {
      problems.add(axis.where, key_path,
                   "a sweep path starts with env, reward, algorithms, train or eval and names a "
                   "value inside it, e.g. reward.params.channel");
      continue;
    }
    if (!values.is_list() || values.items().empty()) {
      problems.add(values.where(), key_path, "expected a non-empty list of values to try");
      continue;
    }
    axes.push_back(axis);
  }
  problems.throw_if_any();
  return axes;
}

// The shortest tail of each path (leaving out "params") that tells the axes apart.
std::vector<std::string> short_names(const std::vector<Axis>& axes) {
  std::vector<std::vector<std::string>> tails;
  for (const Axis& axis : axes) {
    std::vector<std::string> kept;
    for (const auto& s : axis.segments) {
      if (s != "params") kept.push_back(s);
    }
    tails.push_back(kept);
  }
  std::vector<std::string> names(axes.size());
  for (std::size_t length = 1;; ++length) {
    bool unique = true;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const auto& t = tails[i];
      const std::size_t take = std::min(length, t.size());
      std::string name;
      for (std::size_t k = t.size() - take; k < t.size(); ++k)
        name += (name.empty() ? "" : ".") + t[k];
      names[i] = name;
    }
    for (std::size_t i = 0; i < names.size() && unique; ++i) {
      for (std::size_t j = i + 1; j < names.size(); ++j) unique = unique && names[i] != names[j];
    }
    bool exhausted = true;
    for (const auto& t : tails) exhausted = exhausted && length >= t.size();
    if (unique || exhausted) return names;
  }
}

}  // namespace

std::vector<Experiment> load_experiment_variants(const std::filesystem::path& file,
                                                 const std::vector<Override>& overrides) {
  Value document = load_experiment_document(file, overrides);
  const Value* sweep = document.is_map() ? document.find("sweep") : nullptr;
  if (sweep == nullptr) return {validate_experiment(file, std::move(document))};

  const std::vector<Axis> axes = read_axes(*sweep);
  const std::vector<std::string> names = short_names(axes);
  Value base = document;
  base.erase("sweep");
  // Check the file apart from the sweep first, so that its problems are reported once.
  validate_experiment(file, base);

  std::vector<Experiment> variants;
  std::vector<std::size_t> choice(axes.size(), 0);
  while (true) {
    Value variant_document = base;
    std::string label;
    std::vector<std::pair<std::string, Value>> assignments;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const Value& value = axes[a].values->items()[choice[a]];
      set_at_path(variant_document, axes[a].path, value, value.where());
      label += (label.empty() ? "" : ",") + names[a] + "=" + value.text();
      assignments.emplace_back(axes[a].path, value);
    }
    Experiment experiment = validate_experiment(file, std::move(variant_document));
    experiment.variant = label;
    experiment.assignments = std::move(assignments);
    variants.push_back(std::move(experiment));

    // Next grid point: the last axis varies fastest.
    std::size_t a = axes.size();
    while (a > 0 && ++choice[a - 1] == axes[a - 1].values->items().size()) choice[--a] = 0;
    if (a == 0) break;
  }
  return variants;
}

}  // namespace recrl::config
