// The decision routes of recrl serve (docs/serving.md): rank, rank:batch, reward, activate,
// health and model.
#include <random>

#include <fmt/format.h>

#include "recrl/run/policy_file.hpp"
#include "server_impl.hpp"

namespace recrl::serve {

namespace {

// A fresh event id, 32 hex digits: the time in milliseconds (12), then 20 random ones from a
// per-thread generator seeded by the system. Ids in time order are appended to the end of the
// log's index instead of into a random page of it: a third of the cost of logging a decision.
std::string new_event_id() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  const auto ms = static_cast<std::uint64_t>(now_ms());
  return fmt::format("{:012x}{:04x}{:016x}", ms & 0xffff'ffff'ffffull, generator() & 0xffff,
                     generator());
}

}  // namespace

void Server::Impl::decide(const ServedModel& model, Scorer& scorer, const RankRequest& request,
                          store::LoggedDecision& logged, std::int64_t created_ms) {
  thread_local RankDecision decision;
  logged.event_id = request.event_id.empty() ? new_event_id() : request.event_id;
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

void Server::Impl::rank(const httplib::Request& req, httplib::Response& res) {
  thread_local RankRequest request;
  thread_local store::LoggedDecision logged;
  if (auto error = parse_rank(req.body, shape, request)) return bad_request(res, *error);
  thread_local ModelSlot::Leased leased;
  ModelSlot::Leased& mine = live.lease(leased);
  const ServedModel& model = *mine.model;
  if (auto error = exclude_forbidden(**mine.lease, request.context, request.excluded))
    return bad_request(res, {"excludedActions", *error});
  if (request.explain && model.background().cols() == 0)
    return bad_request(res,
                       {"explain", "this policy cannot be explained: " + model.unexplainable()});
  decide(model, **mine.lease, request, logged, now_ms());
  const bool is_new = journal.log_decision(logged);
  if (is_new) metrics.decision(logged.explored);
  std::string& body = response_buffer();
  write_decision(body, logged, schema.actions, request.explain);
  if (request.explain) {
    // The decision as logged (a repeated event id explains the first answer), by the model
    // serving now.
    Scorer& scorer = **mine.lease;
    const Vector context = Eigen::Map<const Vector>(
        logged.context.data(), static_cast<Eigen::Index>(logged.context.size()));
    const Explanation e =
        explain_decision(*scorer.policy, context, logged.action,
                         logged.probabilities[static_cast<std::size_t>(logged.action)],
                         request.excluded, model.background(), scorer.explain);
    append_explanation(body, e, model.version());
  }
  res.set_content(body, "application/json");
}

void Server::Impl::rank_batch(const httplib::Request& req, httplib::Response& res) {
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
  std::string& body = response_buffer();
  body = "{\"results\":[";
  std::string one;
  for (std::size_t i = 0; i < logged.size(); ++i) {
    if (is_new[i]) metrics.decision(logged[i].explored);
    write_decision(one, logged[i], schema.actions);
    if (i > 0) body += ',';
    body += one;
  }
  body += "]}";
  res.set_content(body, "application/json");
}

void Server::Impl::reward(const httplib::Request& req, httplib::Response& res) {
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id))
    return bad_request(res, {"eventId", "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"});
  RewardRequest parsed;
  if (auto error = parse_reward(req.body, shape, parsed)) return bad_request(res, *error);
  store::LoggedReward r{event_id, parsed.value, parsed.components, now_ms()};
  switch (journal.log_reward(r)) {
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
  res.set_content(fmt::format("{{\"eventId\":\"{}\",\"recorded\":true,\"value\":{}}}", event_id,
                              json_number(parsed.value)),
                  "application/json");
}

void Server::Impl::activate(const httplib::Request& req, httplib::Response& res) {
  const std::string event_id = req.matches[1];
  if (!valid_event_id(event_id))
    return bad_request(res, {"eventId", "expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"});
  switch (journal.activate(event_id, now_ms())) {
    case store::ActivationOutcome::UnknownEvent:
      return error_answer(res, 404, "eventId",
                          fmt::format("no decision with event id '{}'", event_id));
    case store::ActivationOutcome::AlreadyActive:
      res.set_content(fmt::format("{{\"eventId\":\"{}\",\"activated\":false,\"reason\":\"already "
                                  "active\"}}",
                                  event_id),
                      "application/json");
      return;
    case store::ActivationOutcome::Activated:
      break;
  }
  res.set_content(fmt::format("{{\"eventId\":\"{}\",\"activated\":true}}", event_id),
                  "application/json");
}

void Server::Impl::model_info(httplib::Response& res) {
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

void Server::Impl::health(httplib::Response& res) {
  const double uptime = std::chrono::duration<double>(Clock::now() - started).count();
  res.set_content(fmt::format("{{\"status\":\"ok\",\"modelVersion\":{},\"uptimeSeconds\":{:.0f}}}",
                              live.get()->version(), uptime),
                  "application/json");
}

}  // namespace recrl::serve
