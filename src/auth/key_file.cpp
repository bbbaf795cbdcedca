#include "auth/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/jwt.h"
#include "core/random.h"

namespace auth {
namespace {

constexpr std::size_t kKeyBytes = 32;
// The settings older databases kept their secrets in, adopted into the key file.
constexpr const char* kLegacySettings[] = {"jwt_secret", "callback_secret"};
// Dropped, not adopted (see key_file.h).
constexpr char kDroppedSetting[] = "otp_secret";

core::Error FileError(const std::string& what, const std::string& path) {
  return core::Unavailable("cannot " + what + " " + path + ": " + std::strerror(errno));
}

// Writes `text` to `path` with mode 0600 whatever the umask: to a temporary file first, synced,
// then renamed over `path` and the directory synced, so a crash leaves the old file or the new
// one, never a torn one.
core::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return FileError("create", temporary);
  bool written = ::fchmod(fd, 0600) == 0;
  std::size_t offset = 0;
  while (written && offset < text.size()) {
    const ssize_t n = ::write(fd, text.data() + offset, text.size() - offset);
    if (n < 0 && errno == EINTR) continue;
    written = n > 0;
    if (written) offset += static_cast<std::size_t>(n);
  }
  written = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
    auto error = FileError("write", path);
    ::unlink(temporary.c_str());
    return error;
  }
  const std::string directory = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

core::Result<nlohmann::json> ReadKeyFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return FileError("read", path);
  std::stringstream text;
  text << file.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  const bool valid = parsed.is_object() && parsed.contains("key") && parsed["key"].is_string() &&
                     parsed["key"].get<std::string>().size() >= 2 * kKeyBytes &&
                     (!parsed.contains("legacy") || parsed["legacy"].is_object());
  if (!valid) {
    return core::FailedPrecondition("the key file " + path +
                                    " is damaged; restore it from a backup of the data directory");
  }
  return parsed;
}

std::optional<std::string> Legacy(const nlohmann::json& file, const char* name) {
  const auto legacy = file.find("legacy");
  if (legacy == file.end()) return std::nullopt;
  const auto value = legacy->find(name);
  if (value == legacy->end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

}  // namespace

core::Result<ServerSecrets> LoadServerSecrets(const std::string& path, store::AccessStore& store) {
  std::error_code missing;
  const bool exists = std::filesystem::exists(path, missing);
  nlohmann::json file;
  if (exists) {
    auto read = ReadKeyFile(path);
    if (!read.ok()) return read.error();
    file = std::move(*read);
  } else {
    file = {{"version", 1}, {"key", core::RandomHex(kKeyBytes)}};
  }
  bool changed = !exists;
  for (const char* name : kLegacySettings) {
    auto stored = store.GetSetting(name);
    if (!stored.ok()) return stored.error();
    // A secret already in the file's custody wins over a database restored from an old backup.
    if (stored->has_value() && !Legacy(file, name)) {
      file["legacy"][name] = **stored;
      changed = true;
    }
  }
  if (changed) {
    if (auto written = WriteAtomically(path, file.dump(2) + "\n"); !written.ok()) {
      return written.error();
    }
  } else if (::chmod(path.c_str(), 0600) != 0) {
    return FileError("chmod", path);
  }
  // Only once the file holds them durably do the settings go.
  for (const char* name : kLegacySettings) {
    if (auto deleted = store.DeleteSetting(name); !deleted.ok()) return deleted.error();
  }
  if (auto deleted = store.DeleteSetting(kDroppedSetting); !deleted.ok()) return deleted.error();

  const std::string key = file["key"].get<std::string>();
  ServerSecrets secrets;
  secrets.jwt = HmacSha256Hex(key, "outbox gomail user keys");
  secrets.legacy_jwt = Legacy(file, "jwt_secret");
  secrets.otp = HmacSha256Hex(key, "outbox one-time codes");
  secrets.sessions = HmacSha256Hex(key, "outbox session access tokens");
  const auto legacy_callback = Legacy(file, "callback_secret");
  secrets.callback = legacy_callback ? *legacy_callback : HmacSha256Hex(key, "outbox callbacks");
  secrets.callback_generated = !exists && !legacy_callback;
  return secrets;
}

}  // namespace auth
