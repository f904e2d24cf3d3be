#pragma once

#include <filesystem>

#include "recrl/config/experiment.hpp"

namespace recrl::config {

// Checks the structure of an experiment document (after overrides; a `sweep:` section is
// checked for shape only) and reads it into an Experiment. All problems in one ConfigError.
Experiment validate_experiment(const std::filesystem::path& file, Value document);

}  // namespace recrl::config
