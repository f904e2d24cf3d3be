// The ResultStore's off-policy evaluations: what `recrl ope --record` writes and `compare` and
// `report` show.
#include <fmt/format.h>

#include "result_store_impl.hpp"

namespace recrl::store {

namespace {

constexpr const char* kEvaluationColumns =
    "evaluation_id, experiment, label, target, run_id, log, log_format, rows, settings, "
    "confidence, effective_sample_size, max_weight, mean_weight, zero_target_share, true_value, "
    "recorded_at";

OpeRecord read_evaluation(const detail::Statement& s) {
  OpeRecord r;
  r.evaluation_id = s.text(0);
  r.experiment = s.text(1);
  r.label = s.text(2);
  r.target = s.text(3);
  r.run_id = s.optional_text(4);
  r.log = s.text(5);
  r.log_format = s.text(6);
  r.rows = s.int64(7);
  r.settings = s.text(8);
  r.confidence = s.real(9);
  r.effective_sample_size = s.real(10);
  r.max_weight = s.real(11);
  r.mean_weight = s.real(12);
  r.zero_target_share = s.real(13);
  r.true_value = s.optional_real(14);
  r.recorded_at = s.real(15);
  return r;
}

}  // namespace

void ResultStore::record_ope(const OpeRecord& e) {
  impl_->write(fmt::format("record the off-policy evaluation of {}", e.label), [&] {
    {
      auto q = impl_->db.query("DELETE FROM ope_estimates WHERE evaluation_id = ?1");
      q->bind(1, e.evaluation_id).run();
    }
    {
      auto q = impl_->db.query(fmt::format(
          "INSERT OR REPLACE INTO ope_evaluations ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
          "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
          kEvaluationColumns));
      q->bind_all(e.evaluation_id, e.experiment, e.label, e.target, e.run_id, e.log, e.log_format,
                  e.rows, e.settings, e.confidence, e.effective_sample_size, e.max_weight,
                  e.mean_weight, e.zero_target_share, e.true_value, detail::now())
          .run();
    }
    auto q = impl_->db.query(
        "INSERT INTO ope_estimates (evaluation_id, position, estimator, value, ci_low, ci_high) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (std::size_t i = 0; i < e.estimates.size(); ++i) {
      const OpeEstimateRecord& x = e.estimates[i];
      q->bind_all(e.evaluation_id, static_cast<std::int64_t>(i), x.estimator, x.value, x.ci_low,
                  x.ci_high)
          .run();
      q->reset();
    }
  });
}

std::vector<OpeRecord> ResultStore::ope_results(
    const std::optional<std::string>& experiment) const {
  if (impl_->schema_version < 3) return {};
  return impl_->read("read the off-policy evaluations", [&] {
    std::vector<OpeRecord> out;
    {
      auto q = impl_->db.query(
          fmt::format("SELECT {} FROM ope_evaluations WHERE ?1 IS NULL OR experiment = ?1 "
                      "ORDER BY experiment, label, recorded_at, evaluation_id",
                      kEvaluationColumns));
      q->bind(1, experiment);
      while (q->step()) out.push_back(read_evaluation(*q));
    }
    auto q = impl_->db.query(
        "SELECT estimator, value, ci_low, ci_high FROM ope_estimates WHERE evaluation_id = ?1 "
        "ORDER BY position");
    for (OpeRecord& e : out) {
      q->bind(1, e.evaluation_id);
      while (q->step()) {
        e.estimates.push_back({q->text(0), q->real(1), q->optional_real(2), q->optional_real(3)});
      }
      q->reset();
    }
    return out;
  });
}

}  // namespace recrl::store
