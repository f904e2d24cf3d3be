// Checkpoints of training runs: a run interrupted after a checkpoint and resumed from it in
// fresh objects ends bit for bit where the uninterrupted run ends (ppo, a2c and dqn on the
// recommendation environment and on cartpole), and a checkpoint of another run, or a damaged
// one, is refused with a message naming the file.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "plugin_fixture.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/run/checkpoint.hpp"
#include "recrl/run/evaluation.hpp"
#include "recrl/run/normalizer.hpp"
#include "recrl/run/training_loop.hpp"
#include "recrl/run/vec_env.hpp"
#include "recrl/toolkit/replay_buffer.hpp"
#include "test_envs.hpp"
#include "../unit/toolkit_allocation_counter.hpp"

namespace fs = std::filesystem;

namespace {

// One run's configuration, small enough to train in well under a second.
struct RunConfig {
  std::string label;
  std::string env;
  std::string env_params;
  std::string reward;
  std::string reward_params;
  std::string algorithm;
  std::string algorithm_params;
  int n_envs = 2;
  bool normalize = false;
  std::int64_t timesteps = 1500;
  std::int64_t eval_every = 500;
  std::uint64_t seed = 3;
};

constexpr std::int64_t kEvalEpisodes = 12;

std::vector<RunConfig> configs() {
  // horizon 3 with reward noise: episodes span steps and every step draws from the reward's
  // stream. Rollout and training periods are chosen so that the checkpoint step (702) falls
  // inside a rollout: ppo 64 x 2, a2c 5 x 2, dqn every 4 vector steps, its 1000-transition
  // replay buffer wrapping around before the end.
  const std::string recommendation = "horizon: 3";
  const std::string noise = "noise_std: 0.3";
  const std::string ppo =
      "{n_steps: 64, batch_size: 32, n_epochs: 2, learning_rate: lin_0.001, "
      "policy_kwargs: {net_arch: [16, 16]}}";
  const std::string a2c = "{n_steps: 5, learning_rate: lin_0.002, policy_kwargs: {net_arch: [16]}}";
  const std::string dqn =
      "{buffer_size: 1000, learning_starts: 200, batch_size: 16, train_freq: 4, "
      "target_update_interval: 250, exploration_fraction: 0.5, policy_kwargs: {net_arch: [32]}}";
  const auto make = [](std::string label, std::string env, std::string env_params,
                       std::string reward, std::string reward_params, std::string algorithm,
                       std::string algorithm_params, bool normalize, std::int64_t timesteps) {
    RunConfig c;
    c.label = std::move(label);
    c.env = std::move(env);
    c.env_params = std::move(env_params);
    c.reward = std::move(reward);
    c.reward_params = std::move(reward_params);
    c.algorithm = std::move(algorithm);
    c.algorithm_params = std::move(algorithm_params);
    c.normalize = normalize;
    c.timesteps = timesteps;
    return c;
  };
  return {
      make("ppo on recommendation", "recommendation", recommendation, "seed_rules", noise, "ppo",
           ppo, true, 1500),
      make("a2c on recommendation", "recommendation", recommendation, "seed_rules", noise, "a2c",
           a2c, false, 1500),
      make("dqn on recommendation", "recommendation", recommendation, "seed_rules", noise, "dqn",
           dqn, true, 3000),
      make("ppo on cartpole", "cartpole", "", "env_reward", "", "ppo", ppo, false, 1500),
      make("a2c on cartpole", "cartpole", "", "env_reward", "", "a2c", a2c, true, 1500),
      make("dqn on cartpole", "cartpole", "", "env_reward", "", "dqn", dqn, false, 3000),
      // The bandits learn at every step; lin_ts and squarecb draw from the run's stream too.
      make("eps_greedy on recommendation", "recommendation", recommendation, "seed_rules", noise,
           "eps_greedy", "{epsilon: 0.2, epsilon_decay: 0.5}", false, 1500),
      make("linucb on recommendation", "recommendation", recommendation, "seed_rules", noise,
           "linucb", "", false, 1500),
      make("lin_ts on recommendation", "recommendation", recommendation, "seed_rules", noise,
           "lin_ts", "", false, 1500),
      make("squarecb on recommendation", "recommendation", recommendation, "seed_rules", noise,
           "squarecb", "", false, 1500),
  };
}

// Everything a training run builds from its configuration, as TrainingRun builds it. Not
// movable: the loop refers to the other members.
struct Run {
  explicit Run(const RunConfig& c) : config(c) {
    for (int i = 0; i < c.n_envs; ++i) {
      train_envs.push_back(recrl::test::make_environment(c.env, c.env_params));
      train_rewards.push_back(
          recrl::test::make_reward(c.reward, train_envs.back()->spec(), c.reward_params));
    }
    std::vector<std::shared_ptr<recrl::Environment>> eval_envs;
    std::vector<std::shared_ptr<recrl::RewardFunction>> eval_rewards;
    for (int i = 0; i < 4; ++i) {
      eval_envs.push_back(recrl::test::make_environment(c.env, c.env_params));
      eval_rewards.push_back(
          recrl::test::make_reward(c.reward, eval_envs.back()->spec(), c.reward_params));
    }
    vec.emplace(train_envs, train_rewards, c.reward, c.seed);
    evaluator.emplace(std::move(eval_envs), std::move(eval_rewards), c.reward, kEvalEpisodes, 99);
    const recrl::Params params =
        recrl::test::plugin_params(recrl::plugin::Kind::Algorithm, c.algorithm, c.algorithm_params,
                                   "algorithms[0]", "algo.yaml");
    recrl::PluginContext ctx = recrl::test::plugin_context("algorithms[0]", &vec->spec());
    ctx.reward = train_rewards.front().get();
    ctx.n_envs = c.n_envs;
    ctx.total_timesteps = c.timesteps;
    algorithm = recrl::test::bundled_plugins().create_algorithm(c.algorithm, params, ctx);
    if (c.normalize) normalizer.emplace(vec->spec().observation.size);
    loop.emplace(*vec, *algorithm, normalizer ? &*normalizer : nullptr, c.seed);
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  recrl::EvalResult evaluate(std::uint64_t index) {
    recrl::Rng rng(recrl::derive_seed(config.seed, recrl::Stream::EvalAlgorithm, index));
    return evaluator->run(*algorithm, normalizer ? &*normalizer : nullptr, rng);
  }

  // TrainingRun::execute's loop body until `until` environment steps: metrics go to
  // `metrics_log` (the metrics file), finished episodes and evaluations to the curve.
  void train(std::int64_t until, recrl::RunBookkeeping& progress, std::string& metrics_log) {
    recrl::Metrics metrics;
    metrics.reserve(32);
    while (loop->steps() < until) {
      if (loop->step(metrics)) {
        for (const recrl::Metric& m : metrics) {
          // The update's arithmetic measures the machine (a cache may save some), not the
          // learning: the metrics file leaves it out too.
          if (std::string_view(m.name) == recrl::kUpdateFlopsMetric) continue;
          metrics_log += fmt::format("{},{},{}\n", loop->steps(), m.name, m.value);
        }
      }
      for (double r : loop->finished_returns()) {
        ++progress.episodes_since;
        progress.returns_since += r;
      }
      if (progress.next_eval > 0 && loop->steps() >= progress.next_eval &&
          loop->steps() < config.timesteps) {
        record_curve(evaluate(static_cast<std::uint64_t>(progress.next_eval / config.eval_every)),
                     progress);
        while (progress.next_eval <= loop->steps()) progress.next_eval += config.eval_every;
      }
    }
  }

  void record_curve(const recrl::EvalResult& e, recrl::RunBookkeeping& progress) const {
    progress.curve += fmt::format("{},{},{},{},{}\n", loop->steps(), e.mean_return, e.std_return,
                                  progress.episodes_since, progress.returns_since);
    progress.episodes_since = 0;
    progress.returns_since = 0;
  }

  std::string policy_bytes() const {
    std::ostringstream out;
    algorithm->save(out);
    return out.str();
  }

  RunConfig config;
  std::vector<std::shared_ptr<recrl::Environment>> train_envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> train_rewards;
  std::optional<recrl::VecEnv> vec;
  std::optional<recrl::Evaluator> evaluator;
  std::shared_ptr<recrl::Algorithm> algorithm;
  std::optional<recrl::ObservationNormalizer> normalizer;
  std::optional<recrl::TrainingLoop> loop;
};

// Where a run ended: the policy, the final evaluation, the curve, the metrics, and a checkpoint
// file's bytes, which hold every other piece of state.
struct Outcome {
  std::string policy;
  double eval_mean = 0;
  double eval_std = 0;
  std::vector<std::int64_t> action_counts;
  std::string curve;
  std::string metrics;
  std::string state;
};

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("recrl_checkpoint_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Outcome finish(Run& run, recrl::RunBookkeeping& progress, std::string& metrics_log,
               const fs::path& dir) {
  run.train(run.config.timesteps, progress, metrics_log);
  Outcome o;
  const recrl::EvalResult final_eval = run.evaluate(0);
  run.record_curve(final_eval, progress);
  o.policy = run.policy_bytes();
  o.eval_mean = final_eval.mean_return;
  o.eval_std = final_eval.std_return;
  o.action_counts = final_eval.action_counts;
  o.curve = progress.curve;
  o.metrics = metrics_log;
  progress.metrics_bytes = metrics_log.size();
  const fs::path end = dir / "end.ckpt";
  recrl::write_checkpoint(end, run.config.label, *run.loop, progress);
  o.state = read_bytes(end);
  return o;
}

Outcome uninterrupted(const RunConfig& c, const fs::path& dir) {
  Run run(c);
  run.loop->start();
  recrl::RunBookkeeping progress;
  progress.next_eval = c.eval_every;
  std::string metrics_log;
  return finish(run, progress, metrics_log, dir);
}

// Trains to `checkpoint_at`, checkpoints, trains on for a while (work that the interruption
// loses), then throws every object away; builds the run afresh, restores and trains to the end.
Outcome interrupted(const RunConfig& c, std::int64_t checkpoint_at, const fs::path& dir) {
  const fs::path file = dir / "run.ckpt";
  std::string metrics_file;  // survives the interruption, as the metrics file on disk does
  {
    Run run(c);
    run.loop->start();
    recrl::RunBookkeeping progress;
    progress.next_eval = c.eval_every;
    run.train(checkpoint_at, progress, metrics_file);
    progress.metrics_bytes = metrics_file.size();
    recrl::write_checkpoint(file, c.label, *run.loop, progress);
    run.train(checkpoint_at + 333, progress, metrics_file);
  }
  Run run(c);
  recrl::RunBookkeeping progress = recrl::read_checkpoint(file, c.label, *run.loop);
  REQUIRE(run.loop->steps() >= checkpoint_at);
  REQUIRE(run.loop->steps() < checkpoint_at + c.n_envs);
  // What was written after the checkpoint is cut off on resume (the bandits write no metrics).
  REQUIRE(progress.metrics_bytes <= metrics_file.size());
  if (!metrics_file.empty()) REQUIRE(progress.metrics_bytes < metrics_file.size());
  metrics_file.resize(progress.metrics_bytes);
  return finish(run, progress, metrics_file, dir);
}

}  // namespace

TEST_CASE("a run resumed from a checkpoint ends bit for bit where the uninterrupted run ends",
          "[run][checkpoint]") {
  const fs::path dir = scratch_dir("resume");
  for (const RunConfig& c : configs()) {
    INFO(c.label);
    const Outcome whole = uninterrupted(c, dir);
    const Outcome resumed = interrupted(c, 701, dir);
    CHECK(resumed.policy == whole.policy);
    CHECK(resumed.eval_mean == whole.eval_mean);
    CHECK(resumed.eval_std == whole.eval_std);
    CHECK(resumed.action_counts == whole.action_counts);
    CHECK(resumed.curve == whole.curve);
    CHECK(resumed.metrics == whole.metrics);
    CHECK(resumed.state == whole.state);
    // The run learnt something on the way (the comparison is not between two untrained nets;
    // the bandits learn at every step and report no training metrics).
    if (c.algorithm == "ppo" || c.algorithm == "a2c" || c.algorithm == "dqn") {
      CHECK(whole.metrics.find("train/") != std::string::npos);
    }
  }
  fs::remove_all(dir);
}

namespace {

// A checkpoint of the ppo run on cartpole at 301 steps, and that run's configuration.
struct SavedRun {
  RunConfig config = configs()[3];
  fs::path file;
  explicit SavedRun(const fs::path& dir) : file(dir / "ppo.ckpt") {
    Run run(config);
    run.loop->start();
    recrl::RunBookkeeping progress;
    std::string metrics;
    run.train(301, progress, metrics);
    recrl::write_checkpoint(file, config.label, *run.loop, progress);
  }
};

void write_bytes(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// read_checkpoint's error message for `file` read into a fresh run of `config`.
std::string read_error(const fs::path& file, const RunConfig& config, const std::string& identity) {
  Run run(config);
  try {
    recrl::read_checkpoint(file, identity, *run.loop);
  } catch (const recrl::DataError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a checkpoint of another run or configuration is refused", "[run][checkpoint]") {
  const fs::path dir = scratch_dir("identity");
  const SavedRun saved(dir);
  const std::string prefix = saved.file.string() + ": error: ";

  // Another identity (another algorithm, other parameters, another seed): refused by the header.
  RunConfig a2c = configs()[4];
  CHECK(read_error(saved.file, a2c, a2c.label) ==
        prefix +
            "checkpoint of another run or configuration (algorithm, parameters, "
            "environment, reward or seed differ); delete it to start this run afresh");

  // The same identity given to a run built differently (as if two configurations' texts had
  // the same hash): the state itself does not fit, and nothing is half-accepted silently.
  CHECK_THAT(read_error(saved.file, a2c, saved.config.label),
             Catch::StartsWith(prefix + "checkpoint does not fit this run: "));
  RunConfig dqn = configs()[5];
  CHECK_THAT(read_error(saved.file, dqn, saved.config.label),
             Catch::StartsWith(prefix + "checkpoint does not fit this run: "));
  RunConfig more_envs = saved.config;
  more_envs.n_envs = 3;
  CHECK(read_error(saved.file, more_envs, saved.config.label) ==
        prefix +
            "checkpoint does not fit this run: recrl.vec_env.1: saved with 2 environment "
            "copies, this run has 3");
  RunConfig normalised = saved.config;
  normalised.normalize = true;
  CHECK(read_error(saved.file, normalised, saved.config.label) ==
        prefix +
            "checkpoint does not fit this run: recrl.training_loop.1: saved from a run "
            "that does not normalise observations, this one does");
  fs::remove_all(dir);
}

TEST_CASE("a truncated damaged or foreign checkpoint file is refused naming the file",
          "[run][checkpoint]") {
  const fs::path dir = scratch_dir("damage");
  const SavedRun saved(dir);
  const std::string bytes = read_bytes(saved.file);
  const fs::path bad = dir / "bad.ckpt";
  const std::string prefix = bad.string() + ": error: ";
  const auto error_for = [&](const std::string& content) {
    write_bytes(bad, content);
    return read_error(bad, saved.config, saved.config.label);
  };

  CHECK(error_for("env_steps,eval_mean\n1,2\n") ==
        prefix + "not a recrl checkpoint (it does not start with RECRLCKP)");
  CHECK(error_for(bytes.substr(0, 20)) == prefix + "checkpoint truncated in its header");
  CHECK_THAT(error_for(bytes.substr(0, bytes.size() - 7)),
             Catch::StartsWith(prefix + "checkpoint truncated or extended: "));
  CHECK_THAT(error_for(bytes + "x"),
             Catch::StartsWith(prefix + "checkpoint truncated or extended: "));
  std::string flipped = bytes;
  flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x10);
  CHECK(error_for(flipped) ==
        prefix + "checkpoint damaged (its checksum does not match its contents)");
  std::string other_version = bytes;
  other_version[8] = 9;
  CHECK(error_for(other_version) ==
        prefix + "checkpoint format version 9, this recrl reads version 1");
  CHECK(read_error(dir / "missing.ckpt", saved.config, saved.config.label) ==
        (dir / "missing.ckpt").string() +
            ": error: cannot read the checkpoint: No such file or directory");

  // The good file still reads after all that.
  CHECK(read_error(saved.file, saved.config, saved.config.label) == "(no error)");
  fs::remove_all(dir);
}

TEST_CASE("writing a checkpoint replaces the previous one whole", "[run][checkpoint]") {
  const fs::path dir = scratch_dir("replace");
  RunConfig c = configs()[1];
  Run run(c);
  run.loop->start();
  recrl::RunBookkeeping progress;
  std::string metrics;
  const fs::path file = dir / "nested" / "run.ckpt";
  run.train(100, progress, metrics);
  recrl::write_checkpoint(file, c.label, *run.loop, progress);
  run.train(300, progress, metrics);
  recrl::write_checkpoint(file, c.label, *run.loop, progress);
  CHECK_FALSE(fs::exists(file.string() + ".partial"));
  Run restored(c);
  recrl::read_checkpoint(file, c.label, *restored.loop);
  CHECK(restored.loop->steps() == 300);
  fs::remove_all(dir);
}

namespace {

// An algorithm that keeps the Algorithm defaults for checkpoints.
class NoCheckpointAlgorithm final : public recrl::Algorithm {
 public:
  void act(const recrl::ObsBatch&, recrl::ActMode, recrl::Rng&, std::span<int> actions) override {
    for (int& a : actions) a = 0;
  }
  bool observe(const recrl::StepBatch&) override { return false; }
  void update(recrl::Rng&, recrl::Metrics&) override {}
  void save(std::ostream&) const override {}
  void load(std::istream&) override {}
};

}  // namespace

TEST_CASE("checkpoints name the plugin that cannot save its state", "[run][checkpoint]") {
  NoCheckpointAlgorithm algorithm;
  recrl::test::CountingEnv counting(3);
  CHECK(recrl::checkpoint_refusal(algorithm, "my_algo", counting) ==
        "algorithm 'my_algo' does not support checkpoints");
  Run ppo(configs()[3]);
  CHECK(recrl::checkpoint_refusal(*ppo.algorithm, "ppo", counting) ==
        "environment 'counting' does not support checkpoints");
  const auto recommendation = recrl::test::make_environment("recommendation");
  CHECK_FALSE(recrl::checkpoint_refusal(*ppo.algorithm, "ppo", *recommendation).has_value());

  // An environment's defaults refuse rather than write nothing.
  std::ostringstream out;
  CHECK_THROWS_WITH(counting.save_state(out), Catch::Contains("environment 'counting'"));
}

TEST_CASE("an rng restored from its saved state continues the same stream", "[run][checkpoint]") {
  recrl::Rng a(12345);
  for (int i = 0; i < 1000; ++i) a.next_u64();
  std::stringstream state;
  a.save(state);
  recrl::Rng b(1);
  b.load(state);
  for (int i = 0; i < 2000; ++i) REQUIRE(a.next_u64() == b.next_u64());

  std::stringstream damaged(std::string("\x05\0\0\0\0\0\0\0abcde", 13));
  CHECK_THROWS_WITH(b.load(damaged), "error: random stream state: damaged");
}

TEST_CASE("a replay buffer saves only the transitions it holds", "[run][checkpoint][dqn]") {
  recrl::toolkit::ReplayBuffer big(100000, 1, 4);
  recrl::Matrix obs = recrl::Matrix::Constant(4, 1, 0.5f);
  recrl::Vector rewards = recrl::Vector::Constant(1, 1.0f);
  const std::vector<int> actions{1};
  const std::vector<std::uint8_t> terminated{0};
  for (int i = 0; i < 3; ++i) big.add(obs, obs, actions, rewards, terminated);
  std::stringstream state;
  big.save_state(state);
  CHECK(state.str().size() < 1000);
  recrl::toolkit::ReplayBuffer restored(100000, 1, 4);
  restored.load_state(state);
  CHECK(restored.size() == 3);
  CHECK(restored.position() == 3);
  CHECK(restored.observations().leftCols(3) == big.observations().leftCols(3));
}

TEST_CASE("the training loop steps without heap allocations and measures its phases",
          "[run][checkpoint]") {
  for (const RunConfig& c : configs()) {
    if (c.env != "recommendation") continue;
    INFO(c.label);
    Run run(c);
    run.loop->start();
    recrl::Metrics metrics;
    metrics.reserve(32);
    // Warm up past dqn's learning_starts and ppo's and a2c's first updates; then dqn's replay
    // buffer wraps around while allocations are counted.
    for (int i = 0; i < 400; ++i) run.loop->step(metrics);
    const std::uint64_t allocations = recrl::test::allocations_during([&] {
      for (int i = 0; i < 300; ++i) run.loop->step(metrics);
    });
    CHECK(allocations == 0);
    const recrl::PhaseTimes times = run.loop->phase_times();
    CHECK(times.env_s > 0);
    CHECK(times.act_s > 0);
    CHECK(times.update_s > 0);
    CHECK(times.eval_s == 0);  // the loop does not evaluate
  }
}
