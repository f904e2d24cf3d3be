#include "recrl/run/simulate.hpp"

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/core/random.hpp"
#include "recrl/logs/log_writer.hpp"
#include "recrl/util/atomic_file.hpp"
#include "recrl/util/number_text.hpp"

namespace recrl {

namespace {

// A synthetic clock for simulated decisions: one a second from 2000-01-01T00:00:00Z, so that a
// log is the same for the same seed.
std::string simulated_timestamp(std::int64_t index) {
  constexpr std::int64_t kSecondsPerDay = 86400;
  std::int64_t days = index / kSecondsPerDay;
  const std::int64_t seconds = index % kSecondsPerDay;
  // The civil date of a day count (Howard Hinnant's civil_from_days, over days since
  // 0000-03-01 so that a leap day ends each year).
  days += 10957;   // days from 1970-01-01 to 2000-01-01
  days += 719468;  // days from 0000-03-01 to 1970-01-01
  const std::int64_t era = days / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, month, day, seconds / 3600,
                     seconds / 60 % 60, seconds % 60);
}

std::string policy_id(const PolicyRecord& record) {
  return fmt::format("{}/{}/s{}", record.experiment, record.label, record.seed);
}

}  // namespace

std::filesystem::path truth_file_for(const std::filesystem::path& log) {
  std::filesystem::path truth = log;
  truth.replace_filename(log.stem().string() + ".truth" + log.extension().string());
  return truth;
}

SimulateSummary simulate(Recommender& policy, const SimulateOptions& options) {
  if (!policy.has_simulator()) {
    throw ConfigError(fmt::format(
        "the policy was fitted from the log {} and has no environment to simulate: simulate runs "
        "a policy trained by `recrl run`",
        policy.record().log_origin->log));
  }
  Environment& env = policy.environment();
  RewardFunction& reward = policy.reward();
  Algorithm& algorithm = policy.algorithm();
  const EnvSpec& spec = env.spec();
  const auto n_actions = static_cast<std::size_t>(spec.action.size);

  logs::LogColumns columns;
  columns.features = spec.observation.labels;
  columns.action_labels = spec.action.labels;
  columns.components = reward.components();
  columns.probabilities = true;
  logs::LogWriter log(options.out, columns, options.replace);

  Rng env_rng(derive_seed(options.seed, Stream::TrainEnv, 0));
  Rng reward_rng(derive_seed(options.seed, Stream::TrainReward, 0));
  Rng algorithm_rng(derive_seed(options.seed, Stream::Algorithm, 0));
  const std::string id = policy_id(policy.record());

  Matrix raw(spec.observation.size, 1), next(spec.observation.size, 1), seen, probs;
  std::vector<float> features(static_cast<std::size_t>(spec.observation.size));
  std::vector<double> parts(columns.components.size());
  std::vector<float> probabilities(n_actions);
  std::vector<int> action(1);
  std::vector<std::uint8_t> allowed;

  // The truth: every action's expected reward, where counterfactual actions have one (a
  // contextual bandit, whose next observation does not depend on the action).
  const bool truthful = !spec.actions_affect_state;
  std::string truth = "decision_id";
  for (std::size_t a = 0; a < n_actions; ++a) truth += ",q_" + std::to_string(a);
  truth += "\n";
  bool has_truth = truthful;
  double value_sum = 0;
  if (has_truth)
    logs::check_output_file(truth_file_for(options.out), options.replace, "the truth file");

  SimulateSummary summary;
  double reward_sum = 0;
  std::int64_t row = 0;
  for (std::int64_t episode = 0; episode < options.episodes; ++episode) {
    env.reset(env_rng, raw.col(0));
    for (int step = 0;; ++step) {
      policy.algorithm_view(raw, seen);
      policy.allowed_actions(raw, allowed);  // forbidden actions are logged with probability 0
      const ObsBatch batch{seen, raw, allowed};
      algorithm.act(batch, ActMode::Explore, algorithm_rng, action);
      if (!algorithm.action_probabilities(batch, ActMode::Explore, probs)) {
        throw ConfigError(fmt::format(
            "algorithm '{}' reports no action probabilities: a log needs the propensity of "
            "each decision",
            policy.record().algorithm.plugin));
      }
      for (std::size_t a = 0; a < n_actions; ++a)
        probabilities[a] = probs(static_cast<Eigen::Index>(a), 0);
      const float propensity = probabilities[static_cast<std::size_t>(action[0])];
      if (!(propensity > 0)) {
        throw PluginError(
            fmt::format("algorithm '{}' chose action {} to which it gives probability {}",
                        policy.record().algorithm.plugin, action[0], propensity));
      }
      const EnvStep outcome = env.step(action[0], env_rng, next.col(0));
      const Transition t{raw.col(0),     action[0],          next.col(0),
                         outcome.reward, outcome.terminated, outcome.truncated};
      const double r = reward.compute(t, reward_rng, parts);
      if (has_truth) {
        truth += std::to_string(row);
        double value = 0;
        for (std::size_t a = 0; a < n_actions; ++a) {
          const Transition alternative{raw.col(0),     static_cast<int>(a), next.col(0),
                                       outcome.reward, outcome.terminated,  outcome.truncated};
          const std::optional<double> q = reward.expected(alternative);
          if (!q) {
            has_truth = false;
            break;
          }
          truth += ',' + util::shortest_number_text(*q);
          value += static_cast<double>(probabilities[a]) * *q;
        }
        truth += '\n';
        value_sum += value;
      }
      for (std::size_t i = 0; i < features.size(); ++i)
        features[i] = raw(static_cast<Eigen::Index>(i), 0);
      log.write(logs::LogRow{std::to_string(row), simulated_timestamp(row), features, action[0],
                             propensity, probabilities, r, parts, id});
      reward_sum += r;
      ++row;
      const bool ended = outcome.terminated || outcome.truncated ||
                         (spec.max_episode_steps > 0 && step + 1 >= spec.max_episode_steps);
      if (ended) break;
      raw.swap(next);
    }
  }
  summary.rows = log.commit();
  summary.mean_reward = row > 0 ? reward_sum / static_cast<double>(row) : 0.0;
  if (has_truth && row > 0) {
    summary.truth_file = truth_file_for(options.out);
    util::write_file_atomically(*summary.truth_file, truth);
    summary.policy_value = value_sum / static_cast<double>(row);
  }
  return summary;
}

}  // namespace recrl
