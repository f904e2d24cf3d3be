// A checkpoint file as `recrl run --resume` reads it into a PPO run's training loop.
#include <cstdlib>
#include <memory>
#include <vector>

#include "fuzz_support.hpp"
#include "recrl/config/resolved_experiment.hpp"
#include "recrl/core/errors.hpp"
#include "recrl/run/checkpoint.hpp"
#include "recrl/run/training_loop.hpp"
#include "recrl/run/vec_env.hpp"

namespace {

// A PPO run on the seed environment with two copies, as a fresh loop for each input (a loop a
// failed read left behind is unusable).
struct Run {
  std::vector<std::shared_ptr<recrl::Environment>> envs;
  std::vector<std::shared_ptr<recrl::RewardFunction>> rewards;
  std::unique_ptr<recrl::VecEnv> vec;
  std::shared_ptr<recrl::Algorithm> algorithm;
  std::unique_ptr<recrl::TrainingLoop> loop;

  Run();
};

Run::Run() {
  auto& registry = recrl::fuzz::bundled_plugins();
  const auto params = [&](recrl::plugin::Kind kind, const std::string& name) {
    return recrl::Params::validate(registry.get(kind, name, {}, name).schema, recrl::Value::null(),
                                   name, {});
  };
  recrl::PluginContext env_ctx;
  for (int i = 0; i < 2; ++i) {
    envs.push_back(registry.create_environment(
        "recommendation", params(recrl::plugin::Kind::Environment, "recommendation"), env_ctx));
    recrl::PluginContext reward_ctx;
    reward_ctx.env = &envs.back()->spec();
    rewards.push_back(registry.create_reward(
        "seed_rules", params(recrl::plugin::Kind::Reward, "seed_rules"), reward_ctx));
  }
  vec = std::make_unique<recrl::VecEnv>(envs, rewards, "seed_rules", 0);
  recrl::PluginContext algo_ctx;
  algo_ctx.env = &vec->spec();
  algo_ctx.reward = rewards.front().get();
  algo_ctx.n_envs = 2;
  algo_ctx.total_timesteps = 1000;
  auto algo_params = recrl::Value::map({{"n_steps", recrl::Value::integer(16)},
                                        {"batch_size", recrl::Value::integer(16)},
                                        {"n_epochs", recrl::Value::integer(1)}});
  algorithm = registry.create_algorithm(
      "ppo",
      recrl::Params::validate(registry.get(recrl::plugin::Kind::Algorithm, "ppo", {}, "ppo").schema,
                              algo_params, "ppo", {}),
      algo_ctx);
  loop = std::make_unique<recrl::TrainingLoop>(*vec, *algorithm, nullptr, 0);
}

}  // namespace

// With RECRL_FUZZ_SEED_OUT set: writes a checkpoint of a few training steps there (the seed
// corpus) and exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* seed = std::getenv("RECRL_FUZZ_SEED_OUT");
  if (seed == nullptr) return 0;
  Run run;
  run.loop->start();
  recrl::Metrics metrics;
  for (int i = 0; i < 20; ++i) run.loop->step(metrics);
  recrl::write_checkpoint(seed, "fuzz", *run.loop, recrl::RunBookkeeping{});
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = recrl::fuzz::as_file(data, size, ".ckpt");
  Run run;
  try {
    recrl::read_checkpoint(file, "fuzz", *run.loop);
  } catch (const recrl::Error&) {
  }
  return 0;
}
