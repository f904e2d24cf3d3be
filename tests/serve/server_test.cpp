// recrl serve's HTTP API in process: a fitted policy served on a free loopback port, driven by
// an HTTP client; decisions and rewards checked in the decision log.
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "plugin_fixture.hpp"
#include "recrl/logs/log_reader.hpp"
#include "recrl/run/policy_file.hpp"
#include "recrl/serve/server.hpp"
#include "recrl/store/decision_log.hpp"

// After Eigen (above): httplib brings <resolv.h>, whose `_res` macro breaks Eigen's headers.
#include <httplib.h>

namespace {

using nlohmann::json;

// A linucb policy fitted from a four-row log: features f and g, actions 0 and 1.
std::filesystem::path fitted_policy(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "p.recrl")) return dir / "p.recrl";
  std::ofstream(dir / "log.csv") << "x.f,x.g,action,action_label,propensity,reward\n"
                                    "1,0,0,[a],0.5,1\n0,1,0,[a],0.5,0\n1,1,1,[b],0.5,0.5\n"
                                    "0,0,1,[b],0.5,0.2\n";
  const auto fit =
      recrl::test::run_recrl("fit --log log.csv --algorithm linucb --out p.recrl", dir);
  REQUIRE(fit.status == 0);
  return dir / "p.recrl";
}

// A server on a free port, serving until the fixture ends. `before_run` runs on the thread that
// then runs the server.
struct RunningServer {
  explicit RunningServer(const std::filesystem::path& dir, recrl::serve::ServeOptions o = {},
                         std::filesystem::path policy = {},
                         std::function<void()> before_run = [] {}) {
    o.port = 0;
    o.db = dir / "serve.db";
    o.threads = 4;
    if (policy.empty()) policy = fitted_policy(dir);
    server = std::make_unique<recrl::serve::Server>(o, recrl::read_policy_file(policy),
                                                    "file " + policy.filename().string(),
                                                    recrl::test::bundled_plugins());
    thread = std::thread([this, before_run] {
      before_run();
      server->run();
    });
    client = std::make_unique<httplib::Client>("127.0.0.1", server->port());
  }
  ~RunningServer() {
    server->stop();
    thread.join();
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    return client->Post(path.c_str(), body, "application/json");
  }
  std::unique_ptr<recrl::serve::Server> server;
  std::thread thread;
  std::unique_ptr<httplib::Client> client;
};

// A raw connection to the server, for what an HTTP client library would not send.
class RawConnection {
 public:
  // A small `receive_buffer` makes the server's answer wait for the reader.
  explicit RawConnection(int port, int receive_buffer = 0)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawConnection() { ::close(fd_); }
  void send(const std::string& text) {
    REQUIRE(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(text.size()));
  }
  // What arrives until `ending` has been read (or the connection closes, or 5 s pass).
  std::string receive_until(const std::string& ending) {
    std::string got;
    char buffer[4096];
    while (got.find(ending) == std::string::npos) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

 private:
  int fd_;
};

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  return json::parse(r->body);
}

}  // namespace

TEST_CASE("rank answers a logged decision, the same for the same event id", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_rank");
  RunningServer s(dir);
  const auto first = s.post("/v1/rank", R"({"eventId":"e1","context":{"f":1,"g":0}})");
  REQUIRE(first->status == 200);
  const json d = body_of(first);
  CHECK(d["eventId"] == "e1");
  CHECK(d["modelVersion"] == 1);
  const int action = d["action"]["index"];
  CHECK(d["action"]["label"] == (action == 0 ? "[a]" : "[b]"));
  // linucb is one-hot: with the default floor of 0.05 over two actions, 0.975 and 0.025.
  REQUIRE(d["ranking"].size() == 2);
  CHECK(d["ranking"][0]["probability"].get<double>() == Approx(0.975));
  CHECK(d["ranking"][1]["probability"].get<double>() == Approx(0.025));
  CHECK(d["explored"] == (d["ranking"][0]["index"] != action));
  // Again, with another context: the logged decision comes back.
  const json again = body_of(s.post("/v1/rank", R"({"eventId":"e1","context":{"f":0,"g":1}})"));
  CHECK(again == d);
  // Excluded actions are never chosen, and leave the ranking.
  for (int i = 0; i < 20; ++i) {
    const json x =
        body_of(s.post("/v1/rank", R"({"context":{"f":1,"g":1},"excludedActions":["[a]"]})"));
    CHECK(x["action"]["index"] == 1);
    CHECK(x["ranking"].size() == 1);
    CHECK(x["ranking"][0]["probability"].get<double>() == Approx(1.0));
    CHECK(x["eventId"].get<std::string>().size() == 32);
  }
}

TEST_CASE("rewards join their decisions and the log feeds recrl ope", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_reward");
  recrl::serve::ServeOptions o;
  // Long enough that each reward, sent right after its decision, is in time on a loaded machine
  // (sanitizers, parallel tests); the test then waits it out to see a late one refused.
  o.reward_window_ms = 1500;
  o.components = {"click", "revenue"};
  o.weights = {1, 0.1};
  {
    RunningServer s(dir, o);
    for (int i = 0; i < 40; ++i) {
      const std::string id = "ev" + std::to_string(i);
      const auto r = s.post("/v1/rank", R"({"eventId":")" + id + R"(","context":{"f":)" +
                                            std::to_string(i % 2) + R"(,"g":0.5}})");
      REQUIRE(r->status == 200);
      if (i % 4 == 0) {
        const auto rw = s.post("/v1/events/" + id + "/reward", R"({"value":1})");
        CHECK(rw->status == 200);
      } else if (i % 4 == 1) {
        const auto rw =
            s.post("/v1/events/" + id + "/reward", R"({"components":{"click":1,"revenue":5}})");
        CHECK(body_of(rw)["value"].get<double>() == Approx(1.5));
      }
    }
    CHECK(s.post("/v1/events/nobody/reward", R"({"value":1})")->status == 404);
    CHECK(s.post("/v1/events/ev0/reward", R"({"components":{"clicks":1}})")->status == 400);
    std::this_thread::sleep_for(std::chrono::milliseconds(1600));
    const auto late = s.post("/v1/events/ev2/reward", R"({"value":1})");
    CHECK(late->status == 409);
    const json metrics = s.client->Get("/metrics")->body;
    CHECK_THAT(metrics.get<std::string>(),
               Catch::Contains("recrl_requests_total{endpoint=\"rank\",code=\"2xx\"} 40") &&
                   Catch::Contains("recrl_decisions_total 40") &&
                   Catch::Contains("recrl_rewards_joined_total 20") &&
                   Catch::Contains("recrl_model_version 1"));
  }
  const auto log = recrl::logs::read_log(dir / "serve.db", recrl::logs::LogFormat::Recrl);
  REQUIRE(log.rows() == 40);
  CHECK(log.reward[0] == 1.0);
  CHECK(log.reward[1] == Approx(1.5));
  CHECK(log.reward[2] == 0.0);  // the default reward
  const auto ope = recrl::test::run_recrl("ope --log serve.db --policy p.recrl --format json", dir);
  INFO(ope.err);
  REQUIRE(ope.status == 0);
  CHECK_THAT(ope.out, Catch::Contains("\"dr\""));
}

TEST_CASE("deferred decisions wait for activation", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_activate");
  RunningServer s(dir);
  const json d = body_of(
      s.post("/v1/rank", R"({"eventId":"d1","context":{"f":1,"g":0},"deferActivation":true})"));
  CHECK(d["activated"] == false);
  CHECK(body_of(s.post("/v1/events/d1/activate", ""))["activated"] == true);
  CHECK(body_of(s.post("/v1/events/d1/activate", ""))["activated"] == false);
  CHECK(s.post("/v1/events/nobody/activate", "")->status == 404);
}

TEST_CASE("batch, health, model and errors answer JSON", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_routes");
  recrl::serve::ServeOptions o;
  o.body_limit = 1024;
  RunningServer s(dir, o);
  const json batch = body_of(s.post(
      "/v1/rank:batch", R"({"requests":[{"context":{"f":1,"g":0}},{"context":{"f":0,"g":1}}]})"));
  CHECK(batch["results"].size() == 2);
  const json health = body_of(s.client->Get("/v1/health"));
  CHECK(health["status"] == "ok");
  const json model = body_of(s.client->Get("/v1/model"));
  CHECK(model["algorithm"] == "linucb");
  CHECK(model["actions"] == json::array({"[a]", "[b]"}));
  CHECK(model["features"][1]["name"] == "g");
  CHECK(model["parameters"].contains("alpha"));

  const auto bad = s.post("/v1/rank", R"({"context":{"f":1}})");
  CHECK(bad->status == 400);
  CHECK(body_of(bad)["field"] == "context.g");
  CHECK(s.post("/v1/rank", "not json")->status == 400);
  // Bytes that are not UTF-8: the parser's message quotes them, the answer replaces them.
  for (const std::string body : {"{\"context\": {\"f\xff\": 1}}", "{\"context\": \"\xff\xfe"}) {
    const auto not_utf8 = s.post("/v1/rank", body);
    CHECK(not_utf8->status == 400);
    CHECK_THAT(body_of(not_utf8)["error"].get<std::string>(), Catch::Contains("not valid JSON"));
  }
  const auto missing = s.client->Get("/v1/nothing");
  CHECK(missing->status == 404);
  CHECK(body_of(missing).contains("error"));
  const auto big = s.post("/v1/rank", std::string(2048, ' '));
  CHECK(big->status == 413);
  // A batch may be up to 64 times the limit: 1,000 contexts under the default 64 KiB.
  std::string many = R"({"requests":[)";
  for (int i = 0; i < 40; ++i)
    many += std::string(i > 0 ? "," : "") + R"({"context":{"f":1,"g":0}})";
  REQUIRE(many.size() > 1024);
  CHECK(s.post("/v1/rank:batch", many + "]}")->status == 200);
  // The server keeps serving after all of it.
  CHECK(s.post("/v1/rank", R"({"context":{"f":1,"g":0}})")->status == 200);
}

TEST_CASE("an API key is required in constant time when set", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_key");
  recrl::serve::ServeOptions o;
  o.api_key = "0123456789abcdef-key";
  RunningServer s(dir, o);
  CHECK(s.client->Get("/v1/health")->status == 401);
  s.client->set_bearer_token_auth("0123456789abcdef-kez");
  CHECK(s.client->Get("/v1/health")->status == 401);
  s.client->set_bearer_token_auth("0123456789abcdef-key");
  CHECK(s.client->Get("/v1/health")->status == 200);
  // Binding beyond loopback without a key is refused before anything listens.
  recrl::serve::ServeOptions open;
  open.bind = "0.0.0.0";
  open.db = dir / "other.db";
  CHECK_THROWS_WITH(recrl::serve::Server(open, recrl::read_policy_file(dir / "p.recrl"), "p",
                                         recrl::test::bundled_plugins()),
                    Catch::Contains("--api-key-file"));
}

TEST_CASE("rank explains its decision against the background's prototypes", "[serve][explain]") {
  const auto dir = recrl::test::scratch_dir("serve_explain");
  {
    // A policy fitted from a log has no simulator: without a background file it is not
    // explained, and the request is refused before anything is logged.
    RunningServer s(dir);
    const auto refused =
        s.post("/v1/rank", R"({"eventId":"x","context":{"f":1,"g":0},"explain":true})");
    CHECK(refused->status == 400);
    CHECK(body_of(refused)["field"] == "explain");
    CHECK(s.post("/v1/events/x/reward", R"({"value":1})")->status == 404);
  }
  std::ofstream(dir / "background.csv") << "f,g\n0,0\n1,1\n0,1\n1,0\n0.5,0.5\n";
  recrl::serve::ServeOptions o;
  o.explain.background_file = (dir / "background.csv").string();
  o.explain.prototypes = 3;
  RunningServer s(dir, o);
  const json d = body_of(
      s.post("/v1/rank", R"({"context":{"f":1,"g":0.25},"explain":true,"excludedActions":[]})"));
  const json& e = d.at("explanation");
  double sum = 0;
  for (const auto& c : e["contributions"]) sum += c["contribution"].get<double>();
  // Efficiency: the contributions add up to the margin over the background's.
  CHECK(sum == Approx(e["margin"].get<double>() - e["baseMargin"].get<double>()).margin(1e-6));
  CHECK(e["runnerUp"]["index"] != d["action"]["index"]);
  CHECK_THAT(e["card"].get<std::string>(), Catch::StartsWith("Why "));
  // With every other action excluded there is no runner-up to explain against.
  const json only = body_of(s.post(
      "/v1/rank", R"({"context":{"f":1,"g":0.25},"explain":true,"excludedActions":["[b]"]})"));
  CHECK_FALSE(only["explanation"].contains("runnerUp"));
  CHECK_THAT(only["explanation"]["card"].get<std::string>(),
             Catch::Contains("the only action the request allowed") &&
                 Catch::Contains("not allowed (the request or the contact rules): [b]"));
}

TEST_CASE("an explanation keeps its labels' quotes and backslashes", "[serve][explain]") {
  // The answer's explanation is written as it goes, not through a JSON library: its strings
  // must be escaped by hand.
  const auto dir = recrl::test::scratch_dir("serve_explain_escaped");
  std::ofstream(dir / "log.csv") << "x.f,x.g,action,action_label,propensity,reward\n"
                                    "1,0,0,\"say \"\"hi\"\" \\ now\",0.5,1\n"
                                    "0,1,0,\"say \"\"hi\"\" \\ now\",0.5,0\n"
                                    "1,1,1,[b],0.5,0.5\n0,0,1,[b],0.5,0.2\n";
  REQUIRE(recrl::test::run_recrl("fit --log log.csv --algorithm linucb --out p.recrl", dir)
              .status == 0);
  std::ofstream(dir / "background.csv") << "f,g\n0,0\n1,1\n0,1\n1,0\n";
  recrl::serve::ServeOptions o;
  o.explain.background_file = (dir / "background.csv").string();
  RunningServer s(dir, o);
  const std::string label = "say \"hi\" \\ now";
  const json d = body_of(s.post("/v1/rank", R"({"context":{"f":1,"g":0.25},"explain":true})"));
  // Two actions: one chosen, the other the runner-up.
  const json& e = d.at("explanation");
  CHECK(std::set<std::string>{d["action"]["label"], e["runnerUp"]["label"]} ==
        std::set<std::string>{label, "[b]"});
  CHECK_THAT(e["card"].get<std::string>(), Catch::Contains(label));
  const json other = body_of(
      s.post("/v1/rank", R"({"context":{"f":1,"g":0.25},"explain":true,"excludedActions":[0]})"));
  CHECK(other["explanation"]["excluded"] == json::array({label}));
  CHECK_THAT(other["explanation"]["card"].get<std::string>(),
             Catch::EndsWith("not allowed (the request or the contact rules): " + label + "\n"));
}

namespace {

// A linucb policy fitted on a log where only `rewarded` pays: it prefers that action.
std::string policy_preferring(const std::filesystem::path& dir, int rewarded) {
  const std::string name = "prefers" + std::to_string(rewarded);
  std::ofstream log(dir / (name + ".csv"));
  log << "x.f,x.g,action,action_label,propensity,reward\n";
  for (int i = 0; i < 40; ++i) {
    const int a = i % 2;
    log << (i % 3) << "," << (i % 5) * 0.25 << "," << a << "," << (a == 0 ? "[a]" : "[b]")
        << ",0.5," << (a == rewarded ? 1 : 0) << "\n";
  }
  log.close();
  REQUIRE(recrl::test::run_recrl(
              "fit --log " + name + ".csv --algorithm linucb --out " + name + ".recrl", dir)
              .status == 0);
  std::ifstream in(dir / (name + ".recrl"), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

httplib::Result upload(RunningServer& s, const std::string& policy, const std::string& query = "") {
  return s.client->Post(("/v1/models" + query).c_str(), policy, "application/octet-stream");
}

// Ranks `n` customers and rewards action 1 with 1 and action 0 with 0.
void rank_and_reward(RunningServer& s, int n, const std::string& prefix) {
  for (int i = 0; i < n; ++i) {
    const std::string id = prefix + std::to_string(i);
    const json d = body_of(s.post("/v1/rank", R"({"eventId":")" + id + R"(","context":{"f":)" +
                                                  std::to_string(i % 3) + R"(,"g":0.5}})"));
    const int action = d["action"]["index"];
    REQUIRE(
        s.post("/v1/events/" + id + "/reward", action == 1 ? R"({"value":1})" : R"({"value":0})")
            ->status == 200);
  }
}

}  // namespace

TEST_CASE("a model uploaded takes over, or waits in shadow mode", "[serve][models]") {
  const auto dir = recrl::test::scratch_dir("serve_models");
  RunningServer s(dir);
  const std::string better = policy_preferring(dir, 1);
  const json verdict = body_of(upload(s, better));
  CHECK(verdict["promoted"] == true);
  CHECK(verdict["version"] == 2);
  CHECK(body_of(s.client->Get("/v1/model"))["version"] == 2);
  CHECK(body_of(s.post("/v1/rank", R"({"context":{"f":1,"g":0}})"))["modelVersion"] == 2);

  // In shadow mode a candidate decides beside the live model, unserved.
  CHECK(body_of(upload(s, policy_preferring(dir, 0), "?mode=shadow"))["version"] == 3);
  for (int i = 0; i < 10; ++i)
    CHECK(body_of(s.post("/v1/rank", R"({"context":{"f":1,"g":0}})"))["modelVersion"] == 2);
  CHECK_THAT(s.client->Get("/metrics")->body, Catch::Contains("recrl_shadow_decisions_total 10"));
  CHECK(body_of(s.post("/v1/models/shadow:promote", ""))["promoted"] == true);
  CHECK(body_of(s.client->Get("/v1/model"))["version"] == 3);
  CHECK(s.client->Delete("/v1/models/shadow")->status == 404);

  // What cannot be served is refused, and the live model stays.
  CHECK(upload(s, "not a policy")->status == 400);
  CHECK(upload(s, better, "?mode=canary")->status == 400);
  CHECK(body_of(s.client->Get("/v1/model"))["version"] == 3);
  // Every version is recorded in the log, with the policy it served.
  const auto models = recrl::store::DecisionLogReader(dir / "serve.db").models();
  REQUIRE(models.size() == 3);
  CHECK(models[1].policy == better);
}

TEST_CASE("serve --promote ope takes a candidate only on the log's evidence", "[serve][models]") {
  const auto dir = recrl::test::scratch_dir("serve_promote");
  recrl::serve::ServeOptions o;
  o.promote = recrl::serve::ServeOptions::Promotion::Ope;
  o.exploration.floor = 0.5;  // both actions logged often enough to judge either policy
  o.reward_window_ms = 1000;  // each reward in time on a loaded machine
  RunningServer s(dir, o);
  const std::string worse = policy_preferring(dir, 0);
  const std::string better = policy_preferring(dir, 1);
  // Nothing logged yet: nothing to judge by.
  const json early = body_of(upload(s, better));
  CHECK(early["promoted"] == false);
  CHECK_THAT(early["reason"].get<std::string>(), Catch::Contains("cannot judge"));
  rank_and_reward(s, 300, "a");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // every window closed
  const json good = body_of(upload(s, better));
  INFO(good.dump());
  CHECK(good["promoted"] == true);
  CHECK(good["candidate"]["low"].get<double>() >= good["live"]["value"].get<double>());
  CHECK_THAT(good["reason"].get<std::string>(), Catch::StartsWith("promoted: the lower bound"));
  const json bad = body_of(upload(s, worse));
  INFO(bad.dump());
  CHECK(bad["promoted"] == false);
  CHECK(body_of(s.client->Get("/v1/model"))["version"] == good["version"]);
}

TEST_CASE("serve --learn publishes versions learned from the rewards", "[serve][learn]") {
  const auto dir = recrl::test::scratch_dir("serve_learn");
  recrl::serve::ServeOptions o;
  o.learn = true;
  o.learn_every = std::chrono::milliseconds(100);
  o.reward_window_ms = 1000;  // each reward in time on a loaded machine
  o.exploration.floor = 0.5;
  RunningServer s(dir, o);
  rank_and_reward(s, 200, "l");
  // The learner reads decisions a second after their window closed (a reward stamped on arrival
  // may commit a moment later).
  json model;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    model = body_of(s.client->Get("/v1/model"));
    if (model["version"].get<int>() > 1) break;
  }
  CHECK(model["version"].get<int>() > 1);
  CHECK_THAT(model["source"].get<std::string>(), Catch::Contains("learned from"));
  // The learned policy prefers the action that paid.
  const json d = body_of(s.post("/v1/rank", R"({"context":{"f":1,"g":0.5}})"));
  CHECK(d["ranking"][0]["index"] == 1);
}

TEST_CASE("the HTTP layer answers what it cannot route or read with JSON", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_http");
  RunningServer s(dir);
  const int port = s.server->port();
  // A known path by another method.
  const auto wrong = s.client->Get("/v1/rank");
  CHECK(wrong->status == 405);
  CHECK(wrong->get_header_value("Allow") == "POST");
  CHECK(body_of(wrong)["error"].get<std::string>().find("GET") != std::string::npos);
  // Not HTTP at all: 400, and the connection is closed.
  {
    RawConnection raw(port);
    raw.send("HELLO THERE\r\n\r\n");
    const std::string answer = raw.receive_until("}");
    CHECK(answer.rfind("HTTP/1.1 400", 0) == 0);
    CHECK(answer.find("\"error\"") != std::string::npos);
  }
  // A client that waits for leave to send its body (curl past 1 KiB) gets it, then its answer.
  {
    const std::string body = R"({"eventId":"a-b","context":{"f":1,"g":0}})";
    RawConnection raw(port);
    raw.send(
        "POST /v1/rank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n");
    CHECK(raw.receive_until("\r\n\r\n").rfind("HTTP/1.1 100", 0) == 0);
    raw.send(body);
    const std::string answer = raw.receive_until("}]");
    CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(answer.find("\"eventId\":\"a-b\"") != std::string::npos);
  }
  // Requests sent back to back on one connection (pipelined) are answered in order.
  {
    RawConnection raw(port);
    raw.send(
        "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string answers = raw.receive_until("no route");
    CHECK(answers.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(answers.find("HTTP/1.1 404") != std::string::npos);
  }
  // A head over 8 KiB: 431, saying which limit, and the connection is closed.
  {
    RawConnection raw(port);
    raw.send("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(9000, 'a') +
             "\r\n\r\n");
    const std::string answer = raw.receive_until("the connection closes first");
    CHECK(answer.rfind("HTTP/1.1 431", 0) == 0);
    CHECK(answer.find("head (its request line and headers) is over the server's limit of 8192") !=
          std::string::npos);
    CHECK(answer.find("Connection: close") != std::string::npos);
  }
  // Another HTTP version: 505, naming the ones spoken.
  {
    RawConnection raw(port);
    raw.send("GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n");
    const std::string answer = raw.receive_until("the connection closes first");
    CHECK(answer.rfind("HTTP/1.1 505", 0) == 0);
    CHECK(answer.find("HTTP/1.0 or HTTP/1.1") != std::string::npos);
  }
  // A chunked body that comes in pieces, a head split mid-line: one request all the same.
  {
    RawConnection raw(port);
    raw.send("POST /v1/rank HTTP/1.1\r\nHost: x\r\nContent-Ty");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    raw.send(
        "pe: application/json\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"eventId\":\"c-1\"");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    raw.send("\r\n19\r\n,\"context\":{\"f\":1,\"g\":0}}\r\n0\r\n\r\n");
    const std::string answer = raw.receive_until("}]");
    CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(answer.find("\"eventId\":\"c-1\"") != std::string::npos);
  }
  // A percent-encoded event id in the path is the id.
  CHECK(s.post("/v1/events/a%2Db/reward", R"({"value":1})")->status == 200);
  // The server keeps serving after all of it.
  CHECK(s.client->Get("/v1/health")->status == 200);
}

TEST_CASE("an answer larger than the socket takes reaches a slow reader whole", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_slow_reader");
  RunningServer s(dir);
  std::string batch = R"({"requests":[)";
  for (int i = 0; i < 1000; ++i)
    batch +=
        fmt::format(R"({}{{"eventId":"s-{}","context":{{"f":1,"g":0}}}})", i > 0 ? "," : "", i);
  batch += "]}";
  RawConnection raw(s.server->port(), 4096);
  raw.send(
      "POST /v1/rank:batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(batch.size()) + "\r\n\r\n" + batch);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server's writes stall
  const std::string answer = raw.receive_until("the connection closes first");
  REQUIRE(answer.rfind("HTTP/1.1 200", 0) == 0);
  const std::size_t body = answer.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  REQUIRE(answer.size() - body > 100'000);
  const json results = json::parse(answer.substr(body + 4))["results"];
  REQUIRE(results.size() == 1000);
  CHECK(results[999]["eventId"] == "s-999");
  CHECK(s.client->Get("/v1/health")->status == 200);
}

TEST_CASE("a connection that sends nothing is closed after --timeout", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_idle");
  recrl::serve::ServeOptions o;
  o.timeout = std::chrono::seconds(1);
  RunningServer s(dir, o);
  RawConnection idle(s.server->port());
  const auto began = std::chrono::steady_clock::now();
  // Closed by the server: the read ends with nothing, well before the raw socket's own 5 s.
  CHECK(idle.receive_until("never").empty());
  const auto waited = std::chrono::steady_clock::now() - began;
  CHECK(waited >= std::chrono::milliseconds(900));
  CHECK(waited < std::chrono::milliseconds(4500));
  CHECK(s.client->Get("/v1/health")->status == 200);
}

namespace {

// A field of /proc/self/task/<tid>/sched ("se.slice : 100000"), or -1 where the kernel shows none.
long long sched_field(const std::filesystem::path& task, const std::string& name) {
  std::ifstream in(task / "sched");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::stoll(line.substr(line.find(':') + 1));
  return -1;
}

}  // namespace

TEST_CASE("the connections' threads ask for short slices and keep their nice value", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_slices");
  // Raising one's own nice value needs no privilege; the server's threads inherit it (checked
  // below: Catch's assertions belong on the test's own thread).
  RunningServer s(dir, {}, {}, [] { ::setpriority(PRIO_PROCESS, ::gettid(), 4); });
  REQUIRE(s.client->Get("/v1/health")->status == 200);
  utsname system{};
  ::uname(&system);
  int major = 0, minor = 0;
  std::sscanf(system.release, "%d.%d", &major, &minor);
  const bool custom_slices = major > 6 || (major == 6 && minor >= 12);
  // The threads take their name once they have asked for their slices.
  std::vector<std::filesystem::path> connection_threads;
  for (int attempt = 0; attempt < 500 && connection_threads.size() < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    connection_threads.clear();
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      if (name == "recrl-http") connection_threads.push_back(task.path());
    }
  }
  REQUIRE(connection_threads.size() == 3);  // four threads: the one running the server, 3 more
  for (const auto& task : connection_threads) {
    const auto tid = static_cast<id_t>(std::stoi(task.filename().string()));
    CHECK(::getpriority(PRIO_PROCESS, tid) == 4);
    const long long slice = sched_field(task, "se.slice");
    if (custom_slices && slice >= 0) CHECK(slice == 100000);
  }
}

TEST_CASE("connections beyond the threads and the queue are shed with 503", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_shed");
  recrl::serve::ServeOptions o;
  o.queue = 0;
  RunningServer s(dir, o);  // 4 threads
  // Four kept-alive connections hold the four threads.
  std::vector<std::unique_ptr<httplib::Client>> holders;
  for (int i = 0; i < 4; ++i) {
    holders.push_back(std::make_unique<httplib::Client>("127.0.0.1", s.server->port()));
    holders.back()->set_keep_alive(true);
    REQUIRE(holders.back()->Get("/v1/health")->status == 200);
  }
  httplib::Client late("127.0.0.1", s.server->port());
  const auto shed = late.Get("/v1/health");
  REQUIRE(shed);
  CHECK(shed->status == 503);
  CHECK(shed->get_header_value("Retry-After") == "1");
  CHECK(body_of(shed).contains("error"));
  CHECK_THAT(holders[0]->Get("/metrics")->body, Catch::Contains("recrl_shed_total 1"));
  // Once a connection closes its thread serves again.
  holders.clear();
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    httplib::Client again("127.0.0.1", s.server->port());
    const auto r = again.Get("/v1/health");
    served = r && r->status == 200;
  }
  CHECK(served);
}

TEST_CASE("a greedy policy whose choice is excluded serves its next best", "[serve]") {
  const auto dir = recrl::test::scratch_dir("serve_next_best");
  // Three actions paying 1, 0.5 and 0: linucb ranks them a, b, c.
  std::ofstream log(dir / "three.csv");
  log << "x.f,action,action_label,propensity,reward\n";
  for (int i = 0; i < 30; ++i)
    log << (i % 2) << "," << i % 3 << ",["
        << "abc"[i % 3] << "],0.3333,"
        << (i % 3 == 0   ? 1
            : i % 3 == 1 ? 0.5
                         : 0)
        << "\n";
  log.close();
  REQUIRE(
      recrl::test::run_recrl("fit --log three.csv --algorithm linucb --out p.recrl", dir).status ==
      0);
  RunningServer s(dir);
  const json all = body_of(s.post("/v1/rank", R"({"context":{"f":1}})"));
  CHECK(all["ranking"][0]["label"] == "[a]");
  const json d = body_of(s.post("/v1/rank", R"({"context":{"f":1},"excludedActions":["[a]"]})"));
  // Not a uniform draw over b and c: b, with all but the floor's share.
  CHECK(d["ranking"][0]["label"] == "[b]");
  CHECK(d["ranking"][0]["probability"].get<double>() == Approx(0.95 + 0.05 / 2));
}

TEST_CASE("rank keeps the environment's rules: no email without an address", "[serve][masks]") {
  const auto dir = recrl::test::scratch_dir("serve_masks");
  const auto trained = recrl::test::run_recrl(
      "run '" + recrl::test::project_file("experiments/baselines.yaml") +
          "' --set 'algorithms=[{plugin: random}]' --set seeds=[0] --set train.timesteps=100 "
          "--set eval.episodes=10 --set env.params.mask_unreachable_channels=true --set output=" +
          (dir / "out").string() + " --quiet",
      dir);
  REQUIRE(trained.status == 0);
  RunningServer s(dir, {}, dir / "out" / "runs" / "random__s0" / "policy.recrl");
  const std::string context =
      R"("context":{"recency":15,"frequency":3,"monetary_value":200,"engagement_score":0.78,)"
      R"("discount_sensitive":1,"free_shipping_preferred":0,"email_opens":0,)"
      R"("sms_response":0.12,"push_response":0.05,"last_purchase_days":8})";
  for (int i = 0; i < 50; ++i) {
    const json d = body_of(s.post("/v1/rank", "{" + context + "}"));
    const std::string label = d["action"]["label"];
    REQUIRE(label.find("email") == std::string::npos);
    for (const auto& ranked : d["ranking"]) {
      const std::string ranked_label = ranked["label"];
      if (ranked_label.find("email") != std::string::npos)
        CHECK(ranked["probability"].get<double>() == 0.0);
    }
  }
  // Excluding every action the rules allow leaves nothing: refused, naming the field.
  const auto none = s.post("/v1/rank", "{" + context + R"(,"excludedActions":[1,3,4,6,7,9]})");
  REQUIRE(none->status == 400);
  CHECK(body_of(none)["field"] == "excludedActions");
}
