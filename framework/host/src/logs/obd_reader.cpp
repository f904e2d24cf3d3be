// Open Bandit Dataset CSV files (Saito et al. 2021), as the dataset publishes them.
#include <algorithm>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "log_fields.hpp"
#include "recrl/logs/csv_stream.hpp"
#include "recrl/logs/log_reader.hpp"
#include "recrl/util/text_hash.hpp"

namespace recrl::logs {

namespace {

constexpr const char* kUserPrefix = "user_feature_";
constexpr const char* kAffinityPrefix = "user-item_affinity_";
// A user feature with more distinct values than this is hashed into kHashBuckets features
// instead of one-hot encoded, so that an id-like column cannot make the contexts huge.
constexpr std::size_t kMaxOneHot = 256;
constexpr std::size_t kHashBuckets = 64;

// The columns `prefix`0, `prefix`1, ... in index order; an error where the indices are not
// 0..n-1.
std::vector<std::size_t> numbered_columns(const CsvStream& csv, const std::string& prefix) {
  std::map<long, std::size_t> found;
  for (std::size_t c = 0; c < csv.header().size(); ++c) {
    const std::string& name = csv.header()[c];
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string suffix = name.substr(prefix.size());
    const bool digits =
        !suffix.empty() && suffix.size() < 7 &&
        std::all_of(suffix.begin(), suffix.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits || !found.emplace(std::stol(suffix), c).second) {
      throw DataError(
          {csv.name(), 1, static_cast<int>(c) + 1},
          fmt::format("column '{}': expected {}<n> with n = 0, 1, ... once each", name, prefix));
    }
  }
  std::vector<std::size_t> columns;
  for (const auto& [index, column] : found) {
    if (index != static_cast<long>(columns.size())) {
      throw DataError({csv.name(), 1, 1}, fmt::format("no column {}{} (the header has {}{})",
                                                      prefix, columns.size(), prefix, index));
    }
    columns.push_back(column);
  }
  return columns;
}

// Looks strings up by std::string_view, so that a row's value is found without copying it.
struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

// One categorical user feature: its values in order of first appearance, and each row's value.
struct Categorical {
  std::string name;
  std::unordered_map<std::string, std::uint32_t, TextHash, std::equal_to<>> index;
  std::vector<std::string> values;
  std::vector<std::uint32_t> rows;  // per row: an index into values; kMissing for an empty field

  static constexpr std::uint32_t kMissing = 0xFFFFFFFFu;

  void add(std::string_view value) {
    if (value.empty()) {
      rows.push_back(kMissing);
      return;
    }
    auto found = index.find(value);
    if (found == index.end()) {
      found = index.emplace(std::string(value), static_cast<std::uint32_t>(values.size())).first;
      values.emplace_back(value);
    }
    rows.push_back(found->second);
  }
};

// Each value's feature: one-hot (values sorted, as pandas.get_dummies orders its columns) or,
// past kMaxOneHot values, a hash bucket. Appends the feature names; returns value -> feature.
std::vector<std::size_t> encode(const Categorical& column, std::vector<std::string>& features) {
  std::vector<std::size_t> feature_of(column.values.size());
  const std::size_t first = features.size();
  if (column.values.size() <= kMaxOneHot) {
    std::vector<std::uint32_t> order(column.values.size());
    for (std::uint32_t v = 0; v < order.size(); ++v) order[v] = v;
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return column.values[a] < column.values[b];
    });
    for (std::size_t k = 0; k < order.size(); ++k) {
      features.push_back(column.name + "=" + column.values[order[k]]);
      feature_of[order[k]] = first + k;
    }
  } else {
    for (std::size_t b = 0; b < kHashBuckets; ++b) {
      features.push_back(fmt::format("{}#{}", column.name, b));
    }
    for (std::size_t v = 0; v < column.values.size(); ++v) {
      feature_of[v] = first + util::text_hash(column.values[v]) % kHashBuckets;
    }
  }
  return feature_of;
}

}  // namespace

LogData read_obd_log(const std::filesystem::path& file) {
  CsvStream csv(file);
  const std::size_t item = csv.require_column("item_id", "the recommended item: the action");
  const std::size_t position = csv.require_column("position", "the slot it was shown in, from 1");
  const std::size_t click = csv.require_column("click", "the reward");
  const std::size_t propensity =
      csv.require_column("propensity_score", "the item's probability under the logger");
  const std::vector<std::size_t> user_columns = numbered_columns(csv, kUserPrefix);
  const std::vector<std::size_t> affinity_columns = numbered_columns(csv, kAffinityPrefix);
  const auto items = static_cast<int>(affinity_columns.size());

  std::vector<Categorical> users(user_columns.size());
  for (std::size_t u = 0; u < users.size(); ++u) users[u].name = csv.header()[user_columns[u]];
  LogData log;
  std::vector<float> affinities;
  while (csv.next()) {
    const int a = action_field(csv, item);
    if (items > 0 && a >= items) {
      throw csv.error(item, fmt::format("item {} has no {}{} column (the file has {} items)", a,
                                        kAffinityPrefix, a, items));
    }
    log.action.push_back(a);
    log.max_action = std::max(log.max_action, a);
    log.position.push_back(position_field(csv, position));
    log.reward.push_back(csv.number(click));
    log.propensity.push_back(propensity_field(csv, propensity));
    for (std::size_t u = 0; u < users.size(); ++u) users[u].add(csv.field(user_columns[u]));
    for (const std::size_t c : affinity_columns)
      affinities.push_back(csv.feature(c));
  }
  if (log.rows() == 0) throw DataError({csv.name(), 1, 1}, "the log has no rows");

  std::vector<std::vector<std::size_t>> feature_of;
  for (const Categorical& column : users) feature_of.push_back(encode(column, log.features));
  const std::size_t first_affinity = log.features.size();
  for (const std::size_t c : affinity_columns) log.features.push_back(csv.header()[c]);

  const auto n = static_cast<Eigen::Index>(log.rows());
  log.contexts = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(log.features.size()), n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (std::size_t u = 0; u < users.size(); ++u) {
      const std::uint32_t v = users[u].rows[static_cast<std::size_t>(i)];
      if (v != Categorical::kMissing)
        log.contexts(static_cast<Eigen::Index>(feature_of[u][v]), i) += 1;
    }
    for (int k = 0; k < items; ++k) {
      log.contexts(static_cast<Eigen::Index>(first_affinity) + k, i) =
          affinities[static_cast<std::size_t>(i) * static_cast<std::size_t>(items) +
                     static_cast<std::size_t>(k)];
    }
  }
  const int actions = std::max(items, log.max_action + 1);
  for (int a = 0; a < actions; ++a) log.action_labels.push_back("item " + std::to_string(a));
  return log;
}

}  // namespace recrl::logs
