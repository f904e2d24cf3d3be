#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace recrl::toolkit {

// What a plugin computes from a file (users parsed from a CSV), computed once per process and
// shared read-only by every object that asks for the same unchanged file: an experiment
// constructs its environment once to check it and then once per environment copy of every run,
// on several threads, and a large file was parsed each time. An entry is known by the file's
// canonical path, size and modification time, so a file changed in between is read again (and
// the stale entry dropped); entries live as long as the cache, so memory holds each file's
// result once. Thread-safe; a cache is meant to be a function-local static of the plugin.
template <typename T>
class FileCache {
 public:
  // The result of load(file), from the cache when the file is unchanged. What load throws
  // passes through and nothing is cached.
  template <typename Load>
  std::shared_ptr<const T> get(const std::filesystem::path& file, Load&& load) {
    std::error_code error;
    const std::filesystem::path canonical = std::filesystem::canonical(file, error);
    const std::string key = error ? file.string() : canonical.string();
    const Stamp stamp = stamp_of(key);
    std::lock_guard lock(mutex_);
    if (const auto found = entries_.find(key); found != entries_.end()) {
      if (found->second.first == stamp) return found->second.second;
      entries_.erase(found);
    }
    auto value = std::make_shared<const T>(load(file));
    entries_.emplace(key, std::make_pair(stamp, value));
    return value;
  }

 private:
  struct Stamp {
    std::int64_t size = -1;
    std::int64_t modified_ns = -1;
    bool operator==(const Stamp&) const = default;
  };
  static Stamp stamp_of(const std::string& file) {
    struct stat status {};
    if (::stat(file.c_str(), &status) != 0) return {};
    return {
        static_cast<std::int64_t>(status.st_size),
        static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1'000'000'000 + status.st_mtim.tv_nsec};
  }

  std::mutex mutex_;
  std::map<std::string, std::pair<Stamp, std::shared_ptr<const T>>> entries_;
};

}  // namespace recrl::toolkit
