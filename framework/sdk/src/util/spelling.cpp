#include "recrl/util/spelling.hpp"

#include <algorithm>
#include <cstddef>

namespace recrl::util {

namespace {

constexpr std::size_t kMaxDistance = 2;

// Levenshtein distance with one row of memory; names are short, so this is cheap.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];  // distance(a[0, i-1), b[0, j-1)) for the current j
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string> close_spellings(const std::string& word,
                                         const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& candidate : candidates) {
    // The lengths' difference is a floor of the distance: a word far longer than any name (a
    // client's megabyte-long key) costs nothing.
    const std::size_t longer = std::max(word.size(), candidate.size());
    if (longer - std::min(word.size(), candidate.size()) > kMaxDistance) continue;
    const std::size_t distance = edit_distance(word, candidate);
    // A distance as large as the word itself means "replace everything": no resemblance.
    if (distance <= kMaxDistance && distance < longer) {
      scored.emplace_back(distance, candidate);
    }
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> names;
  for (auto& entry : scored) names.push_back(std::move(entry.second));
  return names;
}

std::string did_you_mean_hint(const std::string& word, const std::vector<std::string>& candidates) {
  const auto names = close_spellings(word, candidates);
  if (names.empty()) return "";
  std::string hint = "did you mean '" + names[0] + "'";
  // Offer a second name only when it is exactly as close as the first.
  if (names.size() > 1 && edit_distance(word, names[1]) == edit_distance(word, names[0])) {
    hint += " or '" + names[1] + "'";
  }
  return hint + "?";
}

}  // namespace recrl::util
