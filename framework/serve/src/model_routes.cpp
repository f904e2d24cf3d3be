// Models of recrl serve (docs/serving.md): candidates uploaded (POST /v1/models) or re-read
// (SIGHUP), promoted at once or on the evidence of the log (--promote ope), shadow mode, and
// the versions the online learner publishes.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recrl/core/errors.hpp"
#include "recrl/run/off_policy.hpp"
#include "recrl/run/policy_file.hpp"
#include "server_impl.hpp"

namespace recrl::serve {

namespace {

nlohmann::json estimate_json(const stats::OpeEstimate& e) {
  nlohmann::json j = {{"value", e.value}};
  if (e.ci_low) j["low"] = *e.ci_low;
  if (e.ci_high) j["high"] = *e.ci_high;
  return j;
}

}  // namespace

std::shared_ptr<const ServedModel> Server::Impl::make_model(PolicyRecord record,
                                                            const std::string& source) {
  auto model =
      std::make_unique<ServedModel>(0, source, std::move(record), registry, options.explain);
  // One log, one shape of traffic: the features and actions every decision in it was made on.
  const EnvSpec& spec = model->spec();
  if (spec.observation.labels != schema.features ||
      spec.action.size != static_cast<int>(schema.actions.size()))
    throw ConfigError(fmt::format(
        "the candidate reads {} features and chooses among {} actions, unlike the policy this "
        "log serves ({} features, {} actions, the first '{}'): serve it with another --db",
        spec.observation.size, spec.action.size, schema.features.size(), schema.actions.size(),
        schema.features.empty() ? "" : schema.features.front()));
  model->set_version(next_version++);
  std::shared_ptr<const ServedModel> shared(std::move(model));
  log_model(*shared);
  return shared;
}

void Server::Impl::log_model(const ServedModel& model) {
  journal.on_writer([&](store::DecisionLog& log) {
    log.add_model({model.version(), model.source(), now_ms(), policy_bytes(model.record())});
  });
}

void Server::Impl::install(std::shared_ptr<const ServedModel> model, bool learned) {
  const int version = model->version();
  if (learner && !learned) learner->follow(*model);
  live.set(std::move(model));
  metrics.model_version(version);
}

nlohmann::json Server::Impl::promote(std::shared_ptr<const ServedModel> candidate) {
  nlohmann::json verdict = {{"version", candidate->version()}, {"source", candidate->source()}};
  if (options.promote == ServeOptions::Promotion::Always) {
    install(candidate, false);
    verdict["promoted"] = true;
    verdict["reason"] = "promoted at once (--promote always)";
    return verdict;
  }
  const auto current = live.get();
  OffPolicyRequest request;
  request.log = options.db;
  const auto judged = [](const ServedModel& m) {
    return OffPolicyTarget{OffPolicyTarget::Kind::Policy, fmt::format("version {}", m.version()),
                           std::make_shared<const PolicyRecord>(m.record())};
  };
  request.targets = {judged(*candidate), judged(*current)};
  // The distributions the two draw from while serving (before the exploration floor).
  request.mode = ActMode::Explore;
  request.estimators = {options.promote_estimator};
  const char* estimator = stats::estimator_name(options.promote_estimator);
  std::vector<OffPolicyReport> reports;
  try {
    reports = evaluate_off_policy(request, registry);
  } catch (const Error& e) {
    verdict["promoted"] = false;
    verdict["reason"] = fmt::format("not promoted: the log cannot judge it yet ({})", e.what());
    return verdict;
  }
  const stats::OpeEstimate& c = reports[0].estimates.at(0);
  const stats::OpeEstimate& l = reports[1].estimates.at(0);
  verdict["estimator"] = estimator;
  verdict["rows"] = reports[0].diagnostics.n;
  verdict["effectiveSampleSize"] = reports[0].diagnostics.effective_sample_size;
  verdict["candidate"] = estimate_json(c);
  verdict["live"] = estimate_json(l);
  verdict["live"]["version"] = current->version();
  const double low = c.ci_low.value_or(c.value);
  const bool promoted = low >= l.value;
  verdict["promoted"] = promoted;
  verdict["reason"] = fmt::format(
      "{}: the lower bound of the candidate's {} estimate on {} logged decisions, {:.4f}, is {} "
      "the live version {}'s estimate, {:.4f}",
      promoted ? "promoted" : "not promoted", estimator, reports[0].diagnostics.n, low,
      promoted ? "not below" : "below", current->version(), l.value);
  if (promoted) install(candidate, false);
  return verdict;
}

void Server::Impl::post_model(const detail::HttpRequest& req, detail::HttpResponse& res) {
  const std::string given = req.param("mode");
  const std::string mode = given.empty() ? "live" : given;
  if (mode != "live" && mode != "shadow")
    return bad_request(res, {"mode", "expected live (the default) or shadow, got '" + mode + "'"});
  std::lock_guard one_at_a_time(models_mutex);
  std::shared_ptr<const ServedModel> candidate;
  try {
    candidate = make_model(parse_policy(req.body, "the uploaded policy"), "uploaded");
  } catch (const DataError& e) {
    return bad_request(res, {"", e.what()});
  } catch (const ConfigError& e) {
    return error_answer(res, 409, "", e.what());
  }
  if (mode == "shadow") {
    shadow.set(candidate);
    spdlog::info("serve: version {} in shadow mode", candidate->version());
    res.set_content(nlohmann::json({{"version", candidate->version()}, {"shadow", true}}).dump(),
                    "application/json");
    return;
  }
  const nlohmann::json verdict = promote(candidate);
  spdlog::info("serve: version {}: {}", candidate->version(), verdict["reason"].get<std::string>());
  res.set_content(verdict.dump(), "application/json");
}

void Server::Impl::promote_shadow(detail::HttpResponse& res) {
  std::lock_guard one_at_a_time(models_mutex);
  const auto candidate = shadow.get();
  if (!candidate) return error_answer(res, 404, "", "no model is in shadow mode");
  const nlohmann::json verdict = promote(candidate);
  if (verdict["promoted"].get<bool>()) shadow.set(nullptr);
  res.set_content(verdict.dump(), "application/json");
}

void Server::Impl::drop_shadow(detail::HttpResponse& res) {
  std::lock_guard one_at_a_time(models_mutex);
  if (shadow.empty()) return error_answer(res, 404, "", "no model is in shadow mode");
  shadow.set(nullptr);
  res.set_content(R"({"shadow":false})", "application/json");
}

void Server::Impl::start_learning() {
  learner = std::make_unique<detail::OnlineLearner>(
      options.db, options.learn_every, registry, [this](PolicyRecord record, std::string source) {
        install(make_model(std::move(record), source), true);
      });
  learner->follow(*live.get());
}

std::string Server::reload(const std::filesystem::path& policy_file) {
  Impl& s = *impl_;
  std::lock_guard one_at_a_time(s.models_mutex);
  const auto candidate =
      s.make_model(read_policy_file(policy_file), "file " + policy_file.string());
  return s.promote(candidate)["reason"].get<std::string>();
}

}  // namespace recrl::serve
