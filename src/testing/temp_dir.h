#pragma once
// A fresh directory under the system temp dir, removed with everything in it at scope end.
// Declare it before anything that keeps files open in it (members die in reverse order).
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "core/random.h"

namespace testing {

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() / ("outbox-test-" + core::RandomHex(8))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the directory.
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // Writes `data` to `name` (creating sub-folders).
  void Write(const std::string& name, const std::string& data) const {
    const std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << data;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace testing
