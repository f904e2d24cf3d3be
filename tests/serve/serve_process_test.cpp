// recrl serve as a real process: a kill -9 under load loses no decision the server
// acknowledged, and SIGTERM drains and closes the log.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "../run/child_recrl.hpp"
#include "cli.hpp"
#include "recrl/store/decision_log.hpp"

#include <httplib.h>  // after Eigen: its <resolv.h> breaks Eigen's headers

namespace {

std::filesystem::path fit_policy(const std::filesystem::path& dir) {
  std::ofstream(dir / "log.csv") << "x.f,x.g,action,propensity,reward\n"
                                    "1,0,0,0.5,1\n0,1,0,0.5,0\n1,1,1,0.5,0.5\n0,0,1,0.5,0.2\n";
  REQUIRE(
      recrl::test::run_recrl("fit --log log.csv --algorithm linucb --out p.recrl", dir).status ==
      0);
  return dir / "p.recrl";
}

// The port the server announces on its first line of output.
int announced_port(const std::filesystem::path& dir) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(dir / "stdout.txt");
    std::stringstream text;
    text << in.rdbuf();
    const auto at = text.str().find("http://127.0.0.1:");
    if (at != std::string::npos) {
      const std::string rest = text.str().substr(at + 17);
      if (rest.find(' ') != std::string::npos) return std::stoi(rest);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("recrl serve did not announce its port");
  return 0;
}

// Clients ranking with their own event ids until told to stop or the server is gone; the ids
// the server answered 200 for.
std::vector<std::string> rank_until(int port, const std::atomic<bool>& stop, int clients) {
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(std::chrono::seconds(5));
      for (int i = 0; !stop; ++i) {
        const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
        const auto r =
            client.Post("/v1/rank", R"({"eventId":")" + id + R"(","context":{"f":1,"g":0.5}})",
                        "application/json");
        if (!r) return;  // the server is gone
        if (r->status == 200) {
          std::lock_guard lock(mutex);
          acknowledged.push_back(id);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return acknowledged;
}

std::size_t missing_from_log(const std::filesystem::path& db, const std::vector<std::string>& ids) {
  const auto schema = recrl::store::DecisionLogReader(db).schema();
  auto log = recrl::store::DecisionLog::open(db, schema);
  std::size_t missing = 0;
  for (const auto& id : ids)
    if (!log.find(id)) ++missing;
  return missing;
}

// recrl serve on a fitted policy in `dir`: its process and port.
std::pair<pid_t, int> start_server(const std::filesystem::path& dir) {
  fit_policy(dir);
  const pid_t pid = recrl::test::start_recrl(
      dir, {"serve", "--policy", "p.recrl", "--port", "0", "--db", "serve.db"});
  return {pid, announced_port(dir)};
}

// A server ranking for `clients` clients, sent `signal` after `ms`: its exit status, and the
// event ids it acknowledged.
std::pair<int, std::vector<std::string>> signal_under_load(const std::filesystem::path& dir,
                                                           int signal, int clients, int ms) {
  const auto [pid, port] = start_server(dir);
  std::atomic<bool> stop = false;
  std::vector<std::string> acknowledged;
  std::thread load([&, port = port] { acknowledged = rank_until(port, stop, clients); });
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::kill(pid, signal);
  const int status = recrl::test::wait_for(pid);
  stop = true;
  load.join();
  return {status, acknowledged};
}

}  // namespace

TEST_CASE("kill -9 under load loses no acknowledged decision", "[serve][process]") {
  const auto dir = recrl::test::scratch_dir("serve_kill");
  const auto [status, acknowledged] = signal_under_load(dir, SIGKILL, 4, 500);
  CHECK(status == 128 + SIGKILL);
  INFO(acknowledged.size() << " decisions acknowledged before the kill");
  REQUIRE(acknowledged.size() > 50);
  CHECK(missing_from_log(dir / "serve.db", acknowledged) == 0);
}

TEST_CASE("SIGTERM drains requests and closes the log", "[serve][process]") {
  const auto dir = recrl::test::scratch_dir("serve_term");
  const auto [status, acknowledged] = signal_under_load(dir, SIGTERM, 2, 300);
  CHECK(status == 0);
  REQUIRE_FALSE(acknowledged.empty());
  CHECK(missing_from_log(dir / "serve.db", acknowledged) == 0);
  std::ifstream out(dir / "stdout.txt");
  std::stringstream text;
  text << out.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("the decision log is complete"));
}

TEST_CASE("recrl serve refuses bad options before listening", "[serve][hostile]") {
  const auto dir = recrl::test::scratch_dir("serve_options");
  fit_policy(dir);
  const auto refused = [&](const std::string& args, const std::string& says) {
    const auto r = recrl::test::run_recrl("serve " + args, dir);
    INFO(args << "\n" << r.err);
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains(says));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  };
  refused("", "--policy FILE is required");
  refused("--policy nowhere.recrl", "nowhere.recrl");
  refused("--policy log.csv", "not a recrl policy file");
  refused("--policy p.recrl --exploration-floor 2", "--exploration-floor");
  refused("--policy p.recrl --bind 0.0.0.0", "--api-key-file");
  refused("--policy p.recrl --reward-aggregation last", "earliest or sum");
  refused("--policy p.recrl --reward-weight click", "NAME=WEIGHT");
  refused("--policy p.recrl --port 70000", "--port must be 0 to 65535");
  refused("--policy p.recrl --threads 100000", "--threads must be 0 (one per core) to 256");
  refused("--policy p.recrl --default-reward nan", "--default-reward must be a finite number");
  refused("--policy p.recrl --reward-window 1e300", "--reward-window must be a number of seconds");
  refused("--policy p.recrl --timeout 0", "--timeout must be a number of seconds in (0, 3600]");
  refused("--policy p.recrl --learn-every 1e300", "--learn-every must be a number of seconds");
  refused("--policy p.recrl --body-limit -5", "--body-limit must be 256 to 16777216 bytes");
  std::ofstream(dir / "short.key") << "abc\n";
  refused("--policy p.recrl --api-key-file short.key", "at least 16 characters");
  // Online learning needs a policy that learns from logged rewards.
  std::ofstream(dir / "tiny.yaml") << "name: tiny\nenv: {plugin: recommendation}\n"
                                      "reward: {plugin: seed_rules}\n"
                                      "algorithms: [{plugin: random}]\nseeds: [0]\n"
                                      "train: {timesteps: 64}\neval: {episodes: 4}\n"
                                      "output: out\n";
  REQUIRE(recrl::test::run_recrl("run tiny.yaml --db tiny.db -q", dir).status == 0);
  refused("--policy out/runs/random__s0/policy.recrl --learn", "--learn needs a policy");
  // A --db that is not a decision log is neither used nor replaced.
  refused("--policy p.recrl --db log.csv", "not a SQLite database");
  CHECK(std::filesystem::file_size(dir / "log.csv") > 0);
}

TEST_CASE("SIGHUP reads the policy file again as a candidate", "[serve][process]") {
  const auto dir = recrl::test::scratch_dir("serve_hup");
  const auto [pid, port] = start_server(dir);
  httplib::Client client("127.0.0.1", port);
  CHECK_THAT(client.Get("/v1/model")->body, Catch::Contains("\"version\":1"));
  ::kill(pid, SIGHUP);
  std::string model;
  for (int i = 0; i < 100 && model.find("\"version\":2") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    model = client.Get("/v1/model")->body;
  }
  CHECK_THAT(model, Catch::Contains("\"version\":2"));
  ::kill(pid, SIGTERM);
  CHECK(recrl::test::wait_for(pid) == 0);
}
