#include "messages.hpp"

#include <cstring>

#include "recrl/core/errors.hpp"

namespace recrl::cluster::detail {

Writer& Writer::text(const std::string& v) {
  u64(v.size());
  bytes_ += v;
  return *this;
}

Writer& Writer::optional_f64(const std::optional<double>& v) {
  u8(v.has_value());
  if (v) f64(*v);
  return *this;
}

Writer& Writer::optional_path(const std::optional<std::filesystem::path>& v) {
  u8(v.has_value());
  if (v) text(v->string());
  return *this;
}

Writer& Writer::curve_point(const store::CurvePoint& p) {
  i64(p.env_steps).f64(p.eval_mean).f64(p.eval_std).i64(p.train_episodes);
  return optional_f64(p.train_return_mean).f64(p.wall_s);
}

Writer& Writer::run_result(const RunResult& r) {
  text(r.run_id).text(r.variant).text(r.label).text(r.plugin).text(r.plugin_version);
  u64(r.seed).f64(r.eval_mean).f64(r.eval_std).optional_f64(r.pct_oracle).i64(r.env_steps);
  f64(r.wall_s).f64(r.train_s).f64(r.steps_per_s).f64(r.env_s).f64(r.act_s).f64(r.update_s);
  f64(r.eval_s).f64(r.update_flops).text(r.policy.string()).text(r.curve.string());
  u64(r.action_counts.size());
  for (const std::int64_t count : r.action_counts) i64(count);
  u64(r.reward_components.size());
  for (const store::RewardComponentMean& c : r.reward_components) text(c.name).f64(c.mean);
  return *this;
}

namespace {
[[noreturn]] void ends_early() {
  throw DataError(SourceLocation{},
                  "a message from another rank ends early: are all ranks the same recrl build?");
}
}  // namespace

void Reader::take(void* out, std::size_t size) {
  if (bytes_.size() - at_ < size) ends_early();
  std::memcpy(out, bytes_.data() + at_, size);
  at_ += size;
}

std::string Reader::text() {
  const std::uint64_t size = u64();
  if (bytes_.size() - at_ < size) ends_early();
  std::string v = bytes_.substr(at_, size);
  at_ += size;
  return v;
}

std::optional<double> Reader::optional_f64() {
  if (u8() == 0) return std::nullopt;
  return f64();
}

std::optional<std::filesystem::path> Reader::optional_path() {
  if (u8() == 0) return std::nullopt;
  return std::filesystem::path(text());
}

std::uint64_t Reader::count(std::size_t min_item_size) {
  const std::uint64_t n = u64();
  if (n > (bytes_.size() - at_) / min_item_size) ends_early();
  return n;
}

store::CurvePoint Reader::curve_point() {
  store::CurvePoint p;
  p.env_steps = i64();
  p.eval_mean = f64();
  p.eval_std = f64();
  p.train_episodes = i64();
  p.train_return_mean = optional_f64();
  p.wall_s = f64();
  return p;
}

RunResult Reader::run_result() {
  RunResult r;
  r.run_id = text();
  r.variant = text();
  r.label = text();
  r.plugin = text();
  r.plugin_version = text();
  r.seed = u64();
  r.eval_mean = f64();
  r.eval_std = f64();
  r.pct_oracle = optional_f64();
  r.env_steps = i64();
  r.wall_s = f64();
  r.train_s = f64();
  r.steps_per_s = f64();
  r.env_s = f64();
  r.act_s = f64();
  r.update_s = f64();
  r.eval_s = f64();
  r.update_flops = f64();
  r.policy = text();
  r.curve = text();
  // Counts are checked against the bytes left, so that a bad count cannot allocate without bound.
  const std::uint64_t actions = count(sizeof(std::int64_t));
  for (std::uint64_t i = 0; i < actions; ++i) r.action_counts.push_back(i64());
  const std::uint64_t components = count(sizeof(std::uint64_t) + sizeof(double));
  for (std::uint64_t i = 0; i < components; ++i) {
    std::string name = text();
    r.reward_components.push_back({std::move(name), f64()});
  }
  return r;
}

void Reader::end() const {
  if (at_ != bytes_.size()) {
    throw DataError(SourceLocation{},
                    "a message from another rank is longer than expected: are "
                    "all ranks the same recrl build?");
  }
}

}  // namespace recrl::cluster::detail
