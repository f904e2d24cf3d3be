// The decision routes of recrl serve (docs/serving.md): rank, rank:batch, reward, activate,
// health and model.
#include <iterator>
#include <random>

#include <fmt/format.h>

#include "recrl/run/policy_file.hpp"
#include "server_impl.hpp"

namespace recrl::serve {

namespace {

// A fresh event id, 32 hex digits: the time in milliseconds (12), then 20 random ones from a
// per-thread generator seeded by the system. Ids in time order are appended to the end of the
// log's index instead of into a random page of it: a third of the cost of logging a decision.
void new_event_id(std::string& id) {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const auto ms = static_cast<std::uint64_t>(now_ms());
  id.clear();
  fmt::format_to(std::back_inserter(id), "{:012x}{:04x}{:016x}", ms & 0xffff'ffff'ffffull,
                 generator() & 0xffff, generator());
}

}  // namespace

void Server::Impl::decide(const ServedModel& model, Scorer& scorer, const RankRequest& request,
                          store::LoggedDecision& logged, std::int64_t created_ms) {
  thread_local RankDecision decision;
  if (request.event_id.empty()) {
    new_event_id(logged.event_id);
  } else {
    logged.event_id = request.event_id;
  }
  serve::decide(scorer, request.context, request.excluded, logged.event_id, options.exploration,
                decision);
  logged.created_ms = created_ms;
  logged.model_version = model.version();
  logged.action = decision.action;
  logged.explored = decision.explored;
  logged.deferred = request.defer_activation;
  logged.context.assign(request.context.data(), request.context.data() + request.context.size());
  logged.probabilities = decision.probabilities;
  logged.shadow_version = 0;
  if (shadow.empty()) return;
  // What the model in shadow mode would have done, drawn with the same seed: logged, not served.
  thread_local ModelSlot::Leased mine_shadow;
  ModelSlot::Leased& s = shadow.lease(mine_shadow);
  if (!s.model) return;
  thread_local RankDecision would;
  serve::decide(**s.lease, request.context, request.excluded, logged.event_id, options.exploration,
                would);
  logged.shadow_version = s.model->version();
  logged.shadow_action = would.action;
  logged.shadow_probabilities = would.probabilities;
  metrics.shadow_decision(would.action == decision.action);
}

void Server::Impl::rank(const detail::HttpRequest& req, detail::HttpResponse& res, Pending& p,
                        const detail::Defer& defer) {
  thread_local RankRequest request;
  if (auto error = parse_rank(req.body, shape, request)) return bad_request(res, *error);
  thread_local ModelSlot::Leased leased;
  ModelSlot::Leased& mine = live.lease(leased);
  const ServedModel& model = *mine.model;
  if (auto error = exclude_forbidden(**mine.lease, request.context, request.excluded))
    return bad_request(res, {"excludedActions", *error});
  if (request.explain && model.background().size() == 0)
    return bad_request(res,
                       {"explain", "this policy cannot be explained: " + model.unexplainable()});
  p.kind = Pending::Kind::Rank;
  decide(model, **mine.lease, request, p.logged, now_ms());
  p.explain = request.explain;
  p.excluded = request.excluded;
  // The log writes the logged decision in place (an earlier one for a repeated event id).
  answer_after(p, defer, [&](DecisionJournal::Done done) {
    journal.log_decision(p.logged, std::move(done));
  });
}

void Server::Impl::finish_rank(const Pending& p, detail::HttpResponse& res) {
  const store::LoggedDecision& logged = p.logged;
  if (p.outcome.is_new) metrics.decision(logged.explored);
  // Written into the connection's answer, whose memory serves request after request.
  std::string& body = res.body;
  body.clear();
  write_decision(body, logged, schema.actions, p.explain);
  if (p.explain) {
    // The decision as logged (a repeated event id explains the first answer), by the model
    // serving now.
    thread_local ModelSlot::Leased leased;
    ModelSlot::Leased& mine = live.lease(leased);
    Scorer& scorer = **mine.lease;
    const Vector context = Eigen::Map<const Vector>(
        logged.context.data(), static_cast<Eigen::Index>(logged.context.size()));
    const Explanation e =
        explain_decision(*scorer.policy, context, logged.action,
                         logged.probabilities[static_cast<std::size_t>(logged.action)], p.excluded,
                         mine.model->background(), scorer.explain);
    append_explanation(body, e, mine.model->version());
  }
}

void Server::Impl::rank_batch(const detail::HttpRequest& req, detail::HttpResponse& res) {
  std::vector<RankRequest> requests;
  if (auto error = parse_rank_batch(req.body, shape, requests)) return bad_request(res, *error);
  thread_local ModelSlot::Leased leased;
  ModelSlot::Leased& mine = live.lease(leased);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (auto error = exclude_forbidden(**mine.lease, requests[i].context, requests[i].excluded))
      return bad_request(res, {fmt::format("requests[{}].excludedActions", i), *error});
  }
  std::vector<store::LoggedDecision> logged(requests.size());
  const std::int64_t created = now_ms();
  for (std::size_t i = 0; i < requests.size(); ++i)
    decide(*mine.model, **mine.lease, requests[i], logged[i], created);
  std::vector<char> is_new(logged.size());
  journal.log_decisions(logged, is_new);
  std::string& body = res.body;
  body = "{\"results\":[";
  std::string one;
  for (std::size_t i = 0; i < logged.size(); ++i) {
    if (is_new[i]) metrics.decision(logged[i].explored);
    write_decision(one, logged[i], schema.actions);
    if (i > 0) body += ',';
    body += one;
  }
  body += "]}";
}

void Server::Impl::reward(const detail::HttpRequest& req, detail::HttpResponse& res, Pending& p,
                          const detail::Defer& defer) {
  const std::string& event_id = req.event_id;
  if (!valid_event_id(event_id))
    return bad_request(res, {"eventId", "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"});
  thread_local RewardRequest parsed;
  if (auto error = parse_reward(req.body, shape, parsed)) return bad_request(res, *error);
  p.kind = Pending::Kind::Reward;
  p.reward.event_id = event_id;
  p.reward.value = parsed.value;
  p.reward.components = parsed.components;
  p.reward.received_ms = now_ms();
  answer_after(p, defer,
               [&](DecisionJournal::Done done) { journal.log_reward(p.reward, std::move(done)); });
}

void Server::Impl::finish_reward(const Pending& p, detail::HttpResponse& res) {
  const std::string& event_id = p.reward.event_id;
  switch (p.outcome.reward) {
    case store::RewardOutcome::UnknownEvent:
      return error_answer(res, 404, "eventId",
                          fmt::format("no decision with event id '{}'", event_id));
    case store::RewardOutcome::WindowClosed:
      return error_answer(res, 409, "eventId",
                          fmt::format("the reward window of event '{}' has closed ({} s after its "
                                      "activation): the reward was not recorded",
                                      event_id, schema.reward_window_ms / 1000.0));
    case store::RewardOutcome::Recorded:
      break;
  }
  metrics.reward_recorded();
  res.body.clear();
  fmt::format_to(std::back_inserter(res.body),
                 "{{\"eventId\":\"{}\",\"recorded\":true,\"value\":{}}}", event_id,
                 json_number(p.reward.value));
}

void Server::Impl::activate(const detail::HttpRequest& req, detail::HttpResponse& res, Pending& p,
                            const detail::Defer& defer) {
  if (!valid_event_id(req.event_id))
    return bad_request(res, {"eventId", "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"});
  p.kind = Pending::Kind::Activate;
  p.event_id = req.event_id;
  answer_after(p, defer, [&](DecisionJournal::Done done) {
    journal.activate(p.event_id, now_ms(), std::move(done));
  });
}

void Server::Impl::finish_activate(const Pending& p, detail::HttpResponse& res) {
  switch (p.outcome.activation) {
    case store::ActivationOutcome::UnknownEvent:
      return error_answer(res, 404, "eventId",
                          fmt::format("no decision with event id '{}'", p.event_id));
    case store::ActivationOutcome::AlreadyActive:
      return res.set_content(
          fmt::format("{{\"eventId\":\"{}\",\"activated\":false,\"reason\":\"already active\"}}",
                      p.event_id),
          "application/json");
    case store::ActivationOutcome::Activated:
      break;
  }
  res.set_content(fmt::format("{{\"eventId\":\"{}\",\"activated\":true}}", p.event_id),
                  "application/json");
}

void Server::Impl::model_info(detail::HttpResponse& res) {
  const auto model = live.get();
  const PolicyRecord& record = model->record();
  const Space& features = model->spec().observation;
  nlohmann::json j;
  j["version"] = model->version();
  j["source"] = model->source();
  j["algorithm"] = record.algorithm.plugin;
  j["parameters"] = nlohmann::json::parse(params_json_text(record.algorithm.params));
  if (!record.experiment.empty()) j["experiment"] = record.experiment;
  nlohmann::json list = nlohmann::json::array();
  for (int f = 0; f < features.size; ++f) {
    nlohmann::json item = {{"name", features.labels[f]}};
    if (!features.low.empty() && std::isfinite(features.low[f])) item["low"] = features.low[f];
    if (!features.high.empty() && std::isfinite(features.high[f])) item["high"] = features.high[f];
    list.push_back(item);
  }
  j["features"] = list;
  j["featuresOptional"] = model->sparse_features();
  j["actions"] = schema.actions;
  j["exploration"] = {{"floor", options.exploration.floor}};
  nlohmann::json components = nlohmann::json::object();
  for (std::size_t c = 0; c < options.components.size(); ++c)
    components[options.components[c]] = options.weights[c];
  j["reward"] = {{"windowSeconds", schema.reward_window_ms / 1000.0},
                 {"default", schema.default_reward},
                 {"aggregation",
                  schema.aggregation == store::RewardAggregation::Earliest ? "earliest" : "sum"},
                 {"components", components}};
  res.set_content(j.dump(), "application/json");
}

void Server::Impl::health(detail::HttpResponse& res) {
  const double uptime = std::chrono::duration<double>(Clock::now() - started).count();
  res.set_content(fmt::format("{{\"status\":\"ok\",\"modelVersion\":{},\"uptimeSeconds\":{:.0f}}}",
                              live.get()->version(), uptime),
                  "application/json");
}

}  // namespace recrl::serve
