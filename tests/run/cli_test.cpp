// End-to-end: the recrl executable with the bundled plugins, as a user runs it.
#include <fstream>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/store/result_store.hpp"

namespace {

using recrl::test::project_file;
using recrl::test::read_text;
using recrl::test::run_recrl;
using recrl::test::scratch_dir;

const std::string kBaselines = "'" + project_file("experiments/baselines.yaml") + "'";

// baselines.yaml on a small training budget (the baselines do not learn) and full evaluation.
recrl::test::CommandResult run_baselines(const std::filesystem::path& dir,
                                         const std::string& extra = "") {
  return run_recrl("run " + kBaselines +
                       " --set train.timesteps=2000 --set seeds=[0,1] --set output=" +
                       (dir / "out").string() + " --quiet " + extra,
                   dir);
}

double mean_of(const nlohmann::json& results, const std::string& algorithm, const char* field) {
  double sum = 0;
  int n = 0;
  for (const auto& run : results["runs"]) {
    if (run["algorithm"] == algorithm) {
      sum += run[field].get<double>();
      ++n;
    }
  }
  REQUIRE(n > 0);
  return sum / n;
}

}  // namespace

TEST_CASE("recrl run baselines.yaml reproduces the spec's random and oracle means", "[e2e][run]") {
  const auto dir = scratch_dir("e2e_baselines");
  const auto result = run_baselines(dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("| random | 2 |") && Catch::Contains("| oracle | 2 |"));

  const auto results = nlohmann::json::parse(read_text(dir / "out" / "results.json"));
  CHECK(results["experiment"] == "baselines");
  CHECK(mean_of(results, "random", "eval_mean") == Approx(0.322).margin(0.01));
  CHECK(mean_of(results, "oracle", "eval_mean") == Approx(0.819).margin(0.01));
  CHECK(mean_of(results, "oracle", "pct_oracle") == Approx(100.0));
  CHECK(mean_of(results, "random", "env_steps") == 2000);

  for (const char* file : {"results.md", "results.csv", "config.resolved.yaml",
                           "runs/random__s0/curve.csv", "runs/oracle__s1/policy.recrl"}) {
    CHECK(std::filesystem::exists(dir / "out" / file));
  }
  // The resolved configuration records defaults, e.g. the reward's weights and the catalog.
  CHECK_THAT(read_text(dir / "out" / "config.resolved.yaml"),
             Catch::Contains("value_threshold") && Catch::Contains("catalog"));
}

TEST_CASE("the same experiment run twice gives identical numbers", "[e2e][run]") {
  const auto a = scratch_dir("e2e_determinism_a");
  const auto b = scratch_dir("e2e_determinism_b");
  REQUIRE(run_baselines(a).status == 0);
  REQUIRE(run_baselines(b).status == 0);
  const auto ra = nlohmann::json::parse(read_text(a / "out" / "results.json"));
  const auto rb = nlohmann::json::parse(read_text(b / "out" / "results.json"));
  for (std::size_t i = 0; i < ra["runs"].size(); ++i) {
    CHECK(ra["runs"][i]["eval_mean"] == rb["runs"][i]["eval_mean"]);
    CHECK(ra["runs"][i]["action_counts"] == rb["runs"][i]["action_counts"]);
  }
}

TEST_CASE("recrl recommend prints the seed report's sample block for a saved policy",
          "[e2e][run]") {
  const auto dir = scratch_dir("e2e_recommend");
  REQUIRE(run_baselines(dir).status == 0);
  const std::string policy = (dir / "out" / "runs" / "oracle__s0" / "policy.recrl").string();
  const std::string user =
      "\"recency=15,frequency=3,monetary_value=200,engagement_score=0.78,discount_sensitive=1,"
      "free_shipping_preferred=0,email_opens=0.87,sms_response=0.12,push_response=0.05,"
      "last_purchase_days=8\"";

  const auto text = run_recrl("recommend --policy " + policy + " --user " + user, dir);
  INFO(text.err);
  REQUIRE(text.status == 0);
  CHECK_THAT(text.out, Catch::Contains("monetary_value: 200.00") &&
                           Catch::Contains("Action #2 \u2192 [discount, 15%, email]") &&
                           Catch::Contains("Reward Achieved: 0.90"));

  const auto json =
      run_recrl("recommend --policy " + policy + " --user " + user + " --format json", dir);
  REQUIRE(json.status == 0);
  const auto doc = nlohmann::json::parse(json.out);
  REQUIRE(doc.size() == 1);
  CHECK(doc[0]["action"] == 2);
  CHECK(doc[0]["label"] == "[discount, 15%, email]");
  CHECK(doc[0]["reward"].get<double>() == Approx(0.9));
  CHECK(doc[0]["components"]["targeting"].get<double>() == Approx(0.5));
  CHECK(doc[0]["components"]["value_fit"].get<double>() == Approx(0.1));

  const auto missing = run_recrl("recommend --policy " + policy + " --user \"recency=15\"", dir);
  CHECK(missing.status == 2);
  CHECK_THAT(missing.err, Catch::Contains("missing features: frequency"));
}

TEST_CASE("an unknown plugin is refused before anything runs naming the place and the choices",
          "[e2e][run]") {
  const auto dir = scratch_dir("e2e_unknown_plugin");
  const auto result =
      run_recrl("run " + kBaselines +
                    " --set algorithms.0.plugin=randm --set output=" + (dir / "out").string(),
                dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("algorithms[0].plugin") && Catch::Contains("random") &&
                             Catch::Contains("oracle"));
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.json"));
}

TEST_CASE("a parameter outside its plugin's range names the file line and column", "[e2e][run]") {
  const auto dir = scratch_dir("e2e_bad_param");
  std::ofstream(dir / "bad.yaml") << "name: bad\n"
                                     "env: {plugin: recommendation}\n"
                                     "reward:\n"
                                     "  plugin: seed_rules\n"
                                     "  params: {noise_std: -1}\n"
                                     "algorithms: [{plugin: random}]\n";
  const auto result = run_recrl("validate bad.yaml", dir);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::StartsWith("bad.yaml:5:23: error: reward.params.noise_std"));
}

TEST_CASE("recrl plugins lists the bundled plugins and describe shows a parameter table",
          "[e2e][run]") {
  const auto dir = scratch_dir("e2e_plugins");
  const auto list = run_recrl("plugins", dir);
  REQUIRE(list.status == 0);
  for (const char* name : {"recommendation", "seed_rules", "random", "oracle"}) {
    CHECK_THAT(list.out, Catch::Contains(name));
  }
  const auto describe = run_recrl("describe seed_rules", dir);
  REQUIRE(describe.status == 0);
  CHECK_THAT(describe.out, Catch::Contains("| targeting | double | 0.5 |"));
  const auto validate = run_recrl("validate " + kBaselines, dir);
  CHECK(validate.status == 0);
  CHECK_THAT(validate.out, Catch::Contains("ok (2 algorithms x 5 seeds = 10 runs)"));
}

TEST_CASE("a policy trained on CSV users recommends for a CSV of users from anywhere",
          "[e2e][run]") {
  const auto dir = scratch_dir("e2e_csv_users");
  std::filesystem::create_directories(dir / "data");
  std::ofstream(dir / "data" / "users.csv")
      << "last_purchase_days,recency,frequency,monetary_value,engagement_score,discount_sensitive,"
         "free_shipping_preferred,email_opens,sms_response,push_response,segment\n"
         "8,15,3,200,0.78,1,0,0.87,0.12,0.05,a\n"
         "10,20,1,50,0.5,0,1,0.2,0.5,0.3,b\n";
  std::ofstream(dir / "data" / "exp.yaml")
      << "name: csv-users\n"
         "env:\n"
         "  plugin: recommendation\n"
         "  params:\n"
         "    users: {source: csv, path: users.csv}\n"
         "    catalog: [[discount, \"15%\", email], [free_shipping, 0, sms], [reminder, 0, push]]\n"
         "reward: {plugin: seed_rules}\n"
         "algorithms: [{plugin: oracle}]\n"
         "train: {timesteps: 100}\n"
         "eval: {episodes: 50}\n"
         "output: out\n";
  const auto run = run_recrl("run data/exp.yaml --quiet", dir);
  INFO(run.err);
  REQUIRE(run.status == 0);
  // From another working directory, the policy still finds its training users.
  const auto elsewhere = scratch_dir("e2e_csv_users_elsewhere");
  const auto json =
      run_recrl("recommend --policy " + (dir / "out/runs/oracle__s0/policy.recrl").string() +
                    " --users " + (dir / "data/users.csv").string() + " --format json",
                elsewhere);
  INFO(json.err);
  REQUIRE(json.status == 0);
  const auto doc = nlohmann::json::parse(json.out);
  REQUIRE(doc.size() == 2);
  CHECK(doc[0]["label"] == "[discount, 15%, email]");
  CHECK(doc[0]["user"]["email_opens"] == 0.87);
  CHECK(doc[1]["label"] == "[free_shipping, 0%, sms]");
  CHECK(doc[1]["reward"].get<double>() == Approx(0.8));

  std::ofstream(elsewhere / "bad.csv") << "recency,frequency\n1,2\n";
  const auto bad =
      run_recrl("recommend --policy " + (dir / "out/runs/oracle__s0/policy.recrl").string() +
                    " --users bad.csv",
                elsewhere);
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("bad.csv") && Catch::Contains("monetary_value"));
}

TEST_CASE("the observation normaliser's statistics are saved with the policy", "[e2e][run]") {
  const auto dir = scratch_dir("e2e_normalizer");
  const auto result = run_baselines(dir, "--set train.normalize_observations=true");
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto record = recrl::read_policy_file(dir / "out/runs/random__s0/policy.recrl");
  REQUIRE(record.normalize_observations);
  // Updated once at reset and after every vectorised step: 2,000 steps of 8 copies + 8.
  CHECK(record.normalizer.count() == Approx(2008).margin(0.01));
  // Rates and flags average well inside [0, 1]; recency averages about 30 days.
  CHECK(record.normalizer.mean()[0] == Approx(30).margin(3));
  CHECK(record.normalizer.mean()[4] == Approx(0.45).margin(0.05));
}

TEST_CASE("a sweep gives the same numbers with one job or two and shards partition its runs",
          "[e2e][run]") {
  const auto dir = scratch_dir("e2e_sweep_jobs");
  std::ofstream(dir / "sweep.yaml") << "name: sweep\n"
                                       "env: {plugin: recommendation}\n"
                                       "reward: {plugin: seed_rules}\n"
                                       "algorithms: [{plugin: random}, {plugin: oracle}]\n"
                                       "seeds: [0, 1]\n"
                                       "train: {timesteps: 500, n_envs: 2}\n"
                                       "eval: {episodes: 500}\n"
                                       "sweep: {reward.params.channel: [0.2, 0.3]}\n";
  REQUIRE(run_recrl("run sweep.yaml -q --jobs 1 --set output=one", dir).status == 0);
  REQUIRE(run_recrl("run sweep.yaml -q --jobs 2 --set output=two", dir).status == 0);
  const auto one = nlohmann::json::parse(read_text(dir / "one/results.json"));
  const auto two = nlohmann::json::parse(read_text(dir / "two/results.json"));
  REQUIRE(one["runs"].size() == 8);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(one["runs"][i]["run_id"] == two["runs"][i]["run_id"]);
    CHECK(one["runs"][i]["eval_mean"] == two["runs"][i]["eval_mean"]);
    ids.insert(one["runs"][i]["run_id"].get<std::string>());
  }
  CHECK(ids.size() == 8);
  CHECK(one["runs"][0]["variant"] == "channel=0.2");

  // A shard writes its store only, never results files (a share of the runs is not the
  // experiment's results), and leaves the experiment's results as they were.
  std::filesystem::create_directories(dir / "shard");
  std::ofstream(dir / "shard/results.md") << "the whole experiment's results\n";
  std::set<std::string> sharded;
  for (int shard = 1; shard <= 3; ++shard) {
    const auto r = run_recrl(
        "run sweep.yaml -q --jobs 1 --shard " + std::to_string(shard) + "/3 --set output=shard",
        dir);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.out, Catch::StartsWith("Shard " + std::to_string(shard) + " of 3: "));
    CHECK_FALSE(std::filesystem::exists(dir / "shard/results.json"));
    const auto store = recrl::store::ResultStore::open(
        dir / ("results/recrl.shard-" + std::to_string(shard) + "-of-3.db"));
    for (const auto& run : store.runs("sweep")) CHECK(sharded.insert(run.info.run_id).second);
  }
  CHECK(read_text(dir / "shard/results.md") == "the whole experiment's results\n");
  CHECK(sharded == ids);
  // A shard with no runs (the 9th of 9 shares of 8 runs) changes nothing either.
  const auto empty = run_recrl("run sweep.yaml -q --shard 9/9 --set output=shard", dir);
  INFO(empty.err);
  CHECK(empty.status == 0);
  CHECK_THAT(empty.out, Catch::StartsWith("Shard 9 of 9: 0 of the experiment's runs"));
  CHECK(read_text(dir / "shard/results.md") == "the whole experiment's results\n");
  const auto bad = run_recrl("run sweep.yaml --shard 3/2", dir);
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("--shard '3/2'"));
}

TEST_CASE("every shipped experiment file validates", "[cli]") {
  const auto dir = scratch_dir("validate_shipped");
  for (const auto& entry : std::filesystem::directory_iterator(project_file("experiments"))) {
    if (entry.path().extension() != ".yaml") continue;
    INFO(entry.path());
    const auto result = run_recrl("validate '" + entry.path().string() + "'", dir);
    CHECK(result.status == 0);
  }
}

TEST_CASE("recrl recommend keeps the environment's rules: no email without an address",
          "[e2e][run][masks]") {
  const auto dir = scratch_dir("e2e_recommend_masks");
  REQUIRE(run_baselines(dir, "--set env.params.mask_unreachable_channels=true").status == 0);
  const std::string policy = (dir / "out" / "runs" / "oracle__s0" / "policy.recrl").string();
  // The sample user, who cannot be emailed: the best allowed action is the same offer by SMS.
  const std::string user =
      "\"recency=15,frequency=3,monetary_value=200,engagement_score=0.78,discount_sensitive=1,"
      "free_shipping_preferred=0,email_opens=0,sms_response=0.12,push_response=0.05,"
      "last_purchase_days=8\"";
  const auto json =
      run_recrl("recommend --policy " + policy + " --user " + user + " --format json", dir);
  INFO(json.err);
  REQUIRE(json.status == 0);
  const auto doc = nlohmann::json::parse(json.out);
  CHECK(doc[0]["label"] == "[discount, 15%, sms]");
  CHECK(doc[0]["reward"].get<double>() == Approx(0.9));
  // The random baseline's distribution leaves the email actions out.
  const std::string random = (dir / "out" / "runs" / "random__s0" / "policy.recrl").string();
  const auto spread =
      run_recrl("recommend --policy " + random + " --user " + user + " --format json", dir);
  REQUIRE(spread.status == 0);
  const auto probabilities = nlohmann::json::parse(spread.out)[0]["probabilities"];
  INFO(probabilities.dump());
  for (const int email : {0, 2, 5, 8}) CHECK(probabilities[email].get<double>() == 0.0);
  CHECK(probabilities[1].get<double>() == Approx(1.0 / 6));
}

TEST_CASE("campaign.yaml runs every algorithm by the contact rules and reports the counters",
          "[e2e][run][campaign]") {
  const auto dir = scratch_dir("e2e_campaign");
  // Small budgets: the point is that every algorithm trains and is evaluated on the campaign
  // with its masks (the runner fails a run that picks a forbidden action: an SMS without
  // consent, a third message in a week).
  std::string budgets = " --set train.timesteps=3000 --set seeds=[0] --set eval.episodes=100";
  budgets += " --set eval.every=0";
  for (int i = 5; i <= 9; ++i)
    budgets += " --set algorithms." + std::to_string(i) + ".timesteps=2000";
  const auto result =
      run_recrl("run '" + project_file("experiments/campaign.yaml") + "'" + budgets +
                    " --set output=" + (dir / "out").string() + " --quiet",
                dir);
  INFO(result.err);
  REQUIRE(result.status == 0);
  const auto results = nlohmann::json::parse(read_text(dir / "out" / "results.json"));
  std::set<std::string> algorithms;
  for (const auto& run : results["runs"]) {
    algorithms.insert(run["algorithm"].get<std::string>());
    const auto& components = run["reward_components"];
    for (const char* name : {"margin", "env.contacts", "env.unsubscribes", "env.churned"})
      CHECK(components.contains(name));
    CHECK(components["env.churned"].get<double>() <= 1.0);
  }
  CHECK(algorithms == std::set<std::string>{"random", "myopic", "rules", "ppo", "a2c", "dqn",
                                            "linucb", "eps_greedy", "lin_ts", "squarecb"});
  const std::string table = read_text(dir / "out" / "results.md");
  CHECK(table.find("env.unsubscribes") != std::string::npos);

  // A customer without SMS consent: no SMS is recommended, and the explanation (20 features:
  // estimated Shapley values) names the SMS actions as not allowed.
  const std::string customer =
      "\"recency=15,frequency=3,monetary_value=200,engagement_score=0.78,discount_sensitive=1,"
      "free_shipping_preferred=0,email_opens=0.2,sms_response=0.9,push_response=0.05,"
      "last_purchase_days=8,consent_email=1,consent_sms=0,consent_push=1,days_since_contact=30,"
      "contacts_last_7_days=0,fatigue_email=0,fatigue_sms=0,fatigue_push=0,"
      "discount_expectation=0,days_left=30\"";
  for (const char* algorithm : {"myopic", "ppo", "dqn", "linucb"}) {
    INFO(algorithm);
    const std::string policy =
        (dir / "out" / "runs" / (std::string(algorithm) + "__s0") / "policy.recrl").string();
    const auto json =
        run_recrl("recommend --policy " + policy + " --user " + customer + " --format json", dir);
    REQUIRE(json.status == 0);
    const auto doc = nlohmann::json::parse(json.out);
    CHECK(doc[0]["label"].get<std::string>().find("sms") == std::string::npos);
  }
  const auto why =
      run_recrl("explain --policy " + (dir / "out" / "runs" / "ppo__s0" / "policy.recrl").string() +
                    " --user " + customer,
                dir);
  INFO(why.err);
  REQUIRE(why.status == 0);
  CHECK(why.out.find("Why [") != std::string::npos);
  CHECK(why.out.find("not allowed (the request or the contact rules): [reminder, 0%, sms]") !=
        std::string::npos);
}
