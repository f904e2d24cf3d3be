// Vowpal Wabbit's --cb_adf text format: multi-line examples, one line per action.
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>

#include "recrl/core/errors.hpp"
#include "recrl/logs/csv_stream.hpp"
#include "recrl/logs/log_reader.hpp"
#include "recrl/util/number_text.hpp"

namespace recrl::logs {

namespace {

// recrl's models are dense in the context: a log whose shared lines name more features than
// this is refused rather than turned into a matrix of mostly zeros.
constexpr std::size_t kMaxFeatures = 1024;
constexpr std::size_t kMaxLineBytes = 16u << 20;

bool is_space(char c) { return c == ' ' || c == '\t'; }

// The log's lines, read through a fixed buffer; a line longer than kMaxLineBytes is an error.
class LineReader {
 public:
  explicit LineReader(const std::filesystem::path& file)
      : name_(file.string()), in_(open_log_file(file)), buffer_(1 << 20) {}

  const std::string& name() const { return name_; }
  int line() const { return line_; }

  bool next(std::string& out) {
    out.clear();
    for (;;) {
      if (position_ == filled_) {
        in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
        filled_ = static_cast<std::size_t>(in_.gcount());
        position_ = 0;
        if (filled_ == 0) {
          if (out.empty() && ended_) return false;
          ended_ = true;
          ++line_;
          return !out.empty();
        }
      }
      const char c = buffer_[position_++];
      if (c == '\n') {
        ++line_;
        if (!out.empty() && out.back() == '\r') out.pop_back();
        return true;
      }
      out += c;
      if (out.size() > kMaxLineBytes) {
        throw DataError({name_, line_ + 1, 1}, "a line longer than 16 MiB");
      }
    }
  }

 private:
  std::string name_;
  std::ifstream in_;
  std::vector<char> buffer_;
  std::size_t position_ = 0, filled_ = 0;
  int line_ = 0;
  bool ended_ = false;
};

// One line of an example, split into its label part and its features.
struct Line {
  bool shared = false;
  bool labelled = false;
  double cost = 0, probability = 0;
  std::string features_text;  // from the first '|', for an action's label
};

class VwReader {
 public:
  explicit VwReader(const std::filesystem::path& file) : lines_(file) {}

  LogData read() {
    std::string text;
    while (lines_.next(text)) {
      if (text.find_first_not_of(" \t\r") == std::string::npos) {
        finish_example();
        continue;
      }
      add_line(text);
    }
    finish_example();
    if (log_.rows() == 0) throw DataError({lines_.name(), 1, 1}, "the log has no examples");
    const auto n = static_cast<Eigen::Index>(log_.rows());
    log_.contexts = Eigen::MatrixXf::Zero(static_cast<Eigen::Index>(log_.features.size()), n);
    std::size_t k = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      for (; k < row_end_[static_cast<std::size_t>(i)]; ++k) {
        log_.contexts(static_cast<Eigen::Index>(feature_[k]), i) += value_[k];
      }
    }
    for (std::size_t a = 0; a < log_.action_labels.size(); ++a) {
      if (log_.action_labels[a].empty()) log_.action_labels[a] = "action " + std::to_string(a);
    }
    return std::move(log_);
  }

 private:
  [[noreturn]] void fail(std::size_t column, const std::string& message) const {
    throw DataError({lines_.name(), lines_.line(), static_cast<int>(column) + 1}, message);
  }

  void add_line(const std::string& text) {
    const std::size_t bar = text.find('|');
    if (bar == std::string::npos) {
      fail(0,
           "expected features after '|' (a --cb_adf line is [shared | "
           "action:cost:probability] |namespace features...)");
    }
    Line line = parse_label(text, bar);
    line.features_text = text.substr(bar);
    if (line.shared) {
      if (actions_ > 0 || shared_seen_) {
        fail(0, "a shared line must come first in its example (examples end at a blank line)");
      }
      shared_seen_ = true;
      example_line_ = lines_.line();
      parse_features(text, bar);
      return;
    }
    if (line.labelled) {
      if (chosen_ >= 0) fail(0, "a second labelled action in one example");
      chosen_ = actions_;
      cost_ = line.cost;
      probability_ = line.probability;
    }
    const auto index = static_cast<std::size_t>(actions_);
    if (log_.action_labels.size() <= index) log_.action_labels.resize(index + 1);
    if (log_.action_labels[index].empty()) {
      // The action line's features name the action: "|Action article=sports" is
      // "Action article=sports".
      const std::size_t begin = line.features_text.find_first_not_of("| \t");
      const std::size_t end = line.features_text.find_last_not_of(" \t\r");
      if (begin != std::string::npos) {
        log_.action_labels[index] = line.features_text.substr(begin, end + 1 - begin);
      }
    }
    ++actions_;
    example_line_ = lines_.line();
  }

  Line parse_label(const std::string& text, std::size_t bar) const {
    Line line;
    std::size_t i = 0;
    while (i < bar) {
      while (i < bar && is_space(text[i])) ++i;
      const std::size_t start = i;
      while (i < bar && !is_space(text[i])) ++i;
      if (start == i) break;
      const std::string_view token = std::string_view(text).substr(start, i - start);
      if (token == "shared") {
        line.shared = true;
      } else if (token.find(':') != std::string_view::npos) {
        parse_cb_label(token, start, line);
      }
      // Any other token is VW's tag, which names the example and is not needed here.
    }
    return line;
  }

  void parse_cb_label(std::string_view token, std::size_t column, Line& line) const {
    const std::size_t first = token.find(':');
    const std::size_t second = token.find(':', first + 1);
    if (second == std::string_view::npos || token.find(':', second + 1) != std::string_view::npos) {
      fail(column, fmt::format("expected a label action:cost:probability, got '{}'", token));
    }
    const auto cost = util::parse_finite_number(token.substr(first + 1, second - first - 1));
    const auto p = util::parse_finite_number(token.substr(second + 1));
    if (!util::parse_finite_number(token.substr(0, first)) || !cost) {
      fail(column,
           fmt::format("expected a label action:cost:probability with numbers, got '{}'", token));
    }
    if (!p || !(*p > 0 && *p <= 1)) {
      fail(column,
           fmt::format("label '{}': expected a probability in (0, 1] after the cost", token));
    }
    line.labelled = true;
    line.cost = *cost;
    line.probability = *p;
  }

  // The shared line's features, from its first '|': "|ns[:scale] name[:value] ...", again for
  // each namespace. A string value makes the feature "name=value" with value 1, as VW hashes it.
  void parse_features(const std::string& text, std::size_t bar) {
    std::string space;
    double scale = 1;
    std::size_t i = bar;
    while (i < text.size()) {
      if (text[i] == '|') {
        ++i;
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i]) && text[i] != '|') ++i;
        const std::string_view token = std::string_view(text).substr(start, i - start);
        const std::size_t colon = token.find(':');
        space = std::string(token.substr(0, colon));
        scale = 1;
        if (colon != std::string_view::npos) {
          const auto s = util::parse_finite_number(token.substr(colon + 1));
          if (!s) fail(start, fmt::format("namespace '{}': expected a number after ':'", token));
          scale = *s;
        }
        continue;
      }
      if (is_space(text[i]) || text[i] == '\r') {
        ++i;
        continue;
      }
      const std::size_t start = i;
      while (i < text.size() && !is_space(text[i]) && text[i] != '|' && text[i] != '\r') ++i;
      const std::string_view token = std::string_view(text).substr(start, i - start);
      const std::size_t colon = token.find(':');
      std::string name(token.substr(0, colon));
      double value = 1;
      if (colon != std::string_view::npos) {
        const auto v = util::parse_finite_number(token.substr(colon + 1));
        if (v) {
          value = *v;
        } else {
          name += "=" + std::string(token.substr(colon + 1));
        }
      }
      if (name.empty()) fail(start, fmt::format("feature '{}' has no name", token));
      add_feature(space.empty() ? name : space + "^" + name, value * scale, start);
    }
  }

  void add_feature(const std::string& name, double value, std::size_t column) {
    const auto [it, added] = feature_index_.emplace(name, log_.features.size());
    if (added) {
      if (log_.features.size() == kMaxFeatures) {
        fail(column, fmt::format("more than {} distinct shared features: recrl's models are dense "
                                 "in the context (hash or select features first)",
                                 kMaxFeatures));
      }
      log_.features.push_back(name);
    }
    if (!util::fits_float(value))
      fail(column, fmt::format("feature '{}': expected {}, got {}", name, util::kFloatRangeText,
                               util::shortest_number_text(value)));
    feature_.push_back(static_cast<std::uint32_t>(it->second));
    value_.push_back(static_cast<float>(value));
  }

  void finish_example() {
    if (actions_ == 0) {
      if (shared_seen_) {
        throw DataError({lines_.name(), example_line_, 1},
                        "an example with a shared line and no action lines");
      }
      return;
    }
    if (chosen_ < 0) {
      throw DataError({lines_.name(), example_line_, 1},
                      "an example without a labelled action (action:cost:probability): a log "
                      "needs the logged action of every example");
    }
    log_.action.push_back(chosen_);
    log_.max_action = std::max(log_.max_action, chosen_);
    log_.reward.push_back(-cost_);
    log_.propensity.push_back(probability_);
    row_end_.push_back(feature_.size());
    actions_ = 0;
    chosen_ = -1;
    shared_seen_ = false;
  }

  LineReader lines_;
  LogData log_;
  std::unordered_map<std::string, std::size_t> feature_index_;
  std::vector<std::uint32_t> feature_;  // the shared features of every row, one row after another
  std::vector<float> value_;
  std::vector<std::size_t> row_end_;  // where each row's features end
  // The example being read.
  int actions_ = 0, chosen_ = -1, example_line_ = 0;
  bool shared_seen_ = false;
  double cost_ = 0, probability_ = 0;
};

}  // namespace

LogData read_vw_log(const std::filesystem::path& file) { return VwReader(file).read(); }

}  // namespace recrl::logs
