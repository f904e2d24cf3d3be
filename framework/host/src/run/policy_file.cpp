#include "recrl/run/policy_file.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "recrl/util/atomic_file.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/util/read_file.hpp"
#include "value_json.hpp"

namespace recrl {

namespace {

constexpr const char* kMagicPrefix = "recrl-policy ";
constexpr int kFormat = 1;
constexpr const char* kMagicLine = "recrl-policy 1";

nlohmann::json plugin_json(const PluginConfig& c) {
  return {{"plugin", c.plugin}, {"version", c.version}, {"params", to_json(c.params)}};
}

PluginConfig plugin_from_json(const nlohmann::json& j, const std::string& file) {
  return PluginConfig{j.at("plugin").get<std::string>(), j.at("version").get<std::string>(),
                      from_json(j.at("params"), file)};
}

Eigen::VectorXd vector_from_json(const nlohmann::json& j) {
  const auto values = j.get<std::vector<double>>();
  return Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
}

}  // namespace

std::string params_json_text(const Value& params) { return to_json(params).dump(); }

std::string policy_bytes(const PolicyRecord& record) {
  nlohmann::json header = {
      {"experiment", record.experiment},
      {"experiment_file", record.experiment_file},
      {"label", record.label},
      {"seed", record.seed},
      {"env_steps", record.env_steps},
      {"algorithm", plugin_json(record.algorithm)},
      {"env", plugin_json(record.env)},
      {"reward", plugin_json(record.reward)},
      {"normalize_observations", record.normalize_observations},
      {"state_bytes", record.algorithm_state.size()},
  };
  if (record.normalize_observations) {
    const auto& n = record.normalizer;
    header["normalizer"] = {
        {"mean", std::vector<double>(n.mean().begin(), n.mean().end())},
        {"var", std::vector<double>(n.var().begin(), n.var().end())},
        {"count", n.count()},
        {"clip", n.clip()},
        {"epsilon", n.epsilon()},
    };
  }
  if (record.log_origin) {
    const LogOrigin& o = *record.log_origin;
    header["log_origin"] = {{"log", o.log},
                            {"format", o.format},
                            {"rows", o.rows},
                            {"features", o.features},
                            {"actions", o.actions}};
  }
  std::string content = std::string(kMagicLine) + "\n" + header.dump() + "\n";
  content += record.algorithm_state;
  return content;
}

void write_policy_file(const std::filesystem::path& file, const PolicyRecord& record) {
  util::write_file_atomically(file, policy_bytes(record));
}

PolicyRecord read_policy_file(const std::filesystem::path& file) {
  return parse_policy(util::read_file(file, "the policy file", kMaxPolicyBytes), file.string());
}

PolicyRecord parse_policy(const std::string& content, const std::string& name) {
  std::istringstream in(content);
  std::string magic;
  std::getline(in, magic);
  if (magic != kMagicLine) {
    // "recrl-policy <n>" with a later format than this recrl reads is a newer file, not a
    // foreign one.
    int format = 0;
    if (magic.rfind(kMagicPrefix, 0) == 0) {
      try {
        format = std::stoi(magic.substr(std::string(kMagicPrefix).size()));
      } catch (const std::exception&) {
        format = 0;
      }
    }
    if (format > kFormat) {
      throw DataError({name, 1, 1}, "written by a newer recrl (policy format " +
                                        std::to_string(format) + "); this recrl reads format " +
                                        std::to_string(kFormat) + ": upgrade recrl");
    }
    throw DataError({name, 1, 1}, "not a recrl policy file (expected the first line '" +
                                      std::string(kMagicLine) + "')");
  }
  std::string header_line;
  if (!std::getline(in, header_line)) throw DataError({name, 2, 1}, "the policy file is truncated");
  PolicyRecord record;
  std::size_t state_bytes = 0;
  try {
    const auto header = nlohmann::json::parse(header_line);
    record.experiment = header.at("experiment").get<std::string>();
    record.experiment_file = header.at("experiment_file").get<std::string>();
    record.label = header.at("label").get<std::string>();
    record.seed = header.at("seed").get<std::uint64_t>();
    record.env_steps = header.at("env_steps").get<std::int64_t>();
    // The parameters keep the experiment file as their origin: a relative path among them (a
    // CSV of users) is relative to its folder. Problems with them are reported naming the
    // policy file (Recommender).
    const std::string& params_file = record.experiment_file.empty() ? name : record.experiment_file;
    record.algorithm = plugin_from_json(header.at("algorithm"), params_file);
    record.env = plugin_from_json(header.at("env"), params_file);
    record.reward = plugin_from_json(header.at("reward"), params_file);
    record.normalize_observations = header.at("normalize_observations").get<bool>();
    state_bytes = header.at("state_bytes").get<std::size_t>();
    if (header.contains("log_origin")) {
      const auto& o = header.at("log_origin");
      record.log_origin = LogOrigin{
          o.at("log").get<std::string>(), o.at("format").get<std::string>(),
          o.at("rows").get<std::int64_t>(), o.at("features").get<std::vector<std::string>>(),
          o.at("actions").get<std::vector<std::string>>()};
    }
    if (record.normalize_observations) {
      const auto& n = header.at("normalizer");
      const Eigen::VectorXd mean = vector_from_json(n.at("mean"));
      const Eigen::VectorXd var = vector_from_json(n.at("var"));
      if (mean.size() != var.size()) throw DataError({name, 2, 1}, "normaliser sizes differ");
      record.normalizer = ObservationNormalizer(
          static_cast<int>(mean.size()), n.at("clip").get<double>(), n.at("epsilon").get<double>());
      record.normalizer.set_state(mean, var, n.at("count").get<double>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError({name, 2, 1}, std::string("corrupt policy header: ") + e.what());
  }
  // The state is the bytes after the header's line (none when the file ends with the header).
  const std::streamoff state_start = in.tellg();
  if (state_start >= 0)
    record.algorithm_state = content.substr(static_cast<std::size_t>(state_start));
  if (record.algorithm_state.size() != state_bytes) {
    throw DataError({name, 3, 1}, "the policy file is truncated: expected " +
                                      std::to_string(state_bytes) + " bytes of state, found " +
                                      std::to_string(record.algorithm_state.size()));
  }
  return record;
}

}  // namespace recrl
