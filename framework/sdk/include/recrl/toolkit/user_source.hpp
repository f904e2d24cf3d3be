#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "recrl/toolkit/seed_users.hpp"
#include "recrl/core/random.hpp"
#include "recrl/core/export.hpp"
#include "recrl/core/value.hpp"

namespace recrl::toolkit {

// Where episodes get their users: the spec's synthetic generator, or the rows of a CSV file
// (sampled uniformly with replacement). Every check happens at construction; draw() is cheap
// and does not allocate.
class RECRL_API UserSource {
 public:
  // {source: synthetic}
  static Value default_config();
  // Reads the `users` parameter: {source: synthetic} or {source: csv, path: FILE}. A relative
  // path is relative to the folder of the file the path was written in. Mistakes in the map
  // are ConfigErrors at their location; bad CSV contents are DataErrors naming the file's
  // row and column.
  // `logger` (may be null) hears when a CSV file is read: once per process and file.
  UserSource(const Value& config, const std::string& key_path,
             const std::shared_ptr<spdlog::logger>& logger = nullptr);

  bool synthetic() const { return users_ == nullptr; }
  std::size_t csv_rows() const { return users_ ? users_->size() : 0; }
  const std::filesystem::path& csv_file() const { return csv_file_; }

  // Draws one user from `rng` into `user`.
  void draw(Rng& rng, User& user) const {
    if (synthetic()) {
      draw_synthetic_user(rng, user);
    } else {
      user = (*users_)[rng.uniform_int(users_->size())];
    }
  }

 private:
  std::filesystem::path csv_file_;
  // The CSV's users, parsed once per process and shared by every environment object that reads
  // the same file (FileCache); null for the synthetic source.
  std::shared_ptr<const std::vector<User>> users_;
};

}  // namespace recrl::toolkit
