#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "features.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/value.hpp"

namespace recrl::recommendation {

// Where episodes get their users: the spec's synthetic generator, or the rows of a CSV file
// (sampled uniformly with replacement). Every check happens at construction; draw() is cheap
// and does not allocate.
class UserSource {
 public:
  // {source: synthetic}
  static Value default_config();
  // Reads the `users` parameter: {source: synthetic} or {source: csv, path: FILE}. A relative
  // path is relative to the folder of the file the path was written in. Mistakes in the map
  // are ConfigErrors at their location; bad CSV contents are DataErrors naming the file's
  // row and column.
  UserSource(const Value& config, const std::string& key_path);

  bool synthetic() const { return users_.empty(); }
  std::size_t csv_rows() const { return users_.size(); }
  const std::filesystem::path& csv_file() const { return csv_file_; }

  // Draws one user from `rng` into `user`.
  void draw(Rng& rng, User& user) const {
    if (synthetic()) {
      draw_synthetic_user(rng, user);
    } else {
      user = users_[rng.uniform_int(users_.size())];
    }
  }

 private:
  void load_csv(const std::filesystem::path& file);

  std::filesystem::path csv_file_;
  std::vector<User> users_;  // empty for the synthetic source
};

}  // namespace recrl::recommendation
