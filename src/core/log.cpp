#include "core/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace core {
namespace {

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

class JsonLogger final : public Logger {
 public:
  JsonLogger(const Clock& clock, LogOptions options) : clock_(clock), options_(std::move(options)) {
    OpenFile();
    // Rotations written by older versions may be 0644; missing ones are fine.
    for (int i = 1; !options_.file_path.empty() && i <= options_.keep_files; ++i) {
      ::chmod((options_.file_path + "." + std::to_string(i)).c_str(), 0600);
    }
  }

  void Log(LogLevel level, std::string_view msg, const nlohmann::json& fields) override {
    if (level < options_.min_level) return;
    nlohmann::json line = {
        {"time", FormatRfc3339(clock_.NowMs())}, {"level", LevelName(level)}, {"msg", msg}};
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) line[key] = value;
    }
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    std::lock_guard lock(mutex_);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    if (!file_.is_open()) return;
    file_.write(text.data(), static_cast<std::streamsize>(text.size()));
    file_.flush();
    written_ += text.size();
    if (written_ >= options_.max_file_bytes) Rotate();
  }

 private:
  void OpenFile() {
    if (options_.file_path.empty()) return;
    // Logs are the owner's only (0600), whatever the umask: created so before the stream opens
    // them. Rotation renames, so the rotated files keep the mode.
    const int fd =
        ::open(options_.file_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::fchmod(fd, 0600);
      ::close(fd);
    }
    file_.open(options_.file_path, std::ios::app | std::ios::binary);
    std::error_code ignored;
    auto size = std::filesystem::file_size(options_.file_path, ignored);
    written_ = ignored ? 0 : static_cast<std::size_t>(size);
  }

  // REQUIRES: mutex_ held.
  void Rotate() {
    file_.close();
    namespace fs = std::filesystem;
    std::error_code ignored;
    const std::string& base = options_.file_path;
    fs::remove(base + "." + std::to_string(options_.keep_files), ignored);
    for (int i = options_.keep_files - 1; i >= 1; --i) {
      fs::rename(base + "." + std::to_string(i), base + "." + std::to_string(i + 1), ignored);
    }
    fs::rename(base, base + ".1", ignored);
    OpenFile();
  }

  const Clock& clock_;
  const LogOptions options_;
  std::mutex mutex_;
  std::ofstream file_;
  std::size_t written_ = 0;
};

class NullLogger final : public Logger {
 public:
  void Log(LogLevel, std::string_view, const nlohmann::json&) override {}
};

}  // namespace

std::unique_ptr<Logger> NewJsonLogger(const Clock& clock, const LogOptions& options) {
  return std::make_unique<JsonLogger>(clock, options);
}

std::unique_ptr<Logger> NewNullLogger() { return std::make_unique<NullLogger>(); }

std::string FormatRfc3339(TimeMs time) {
  std::time_t seconds = static_cast<std::time_t>(time / 1000);
  int millis = static_cast<int>(time % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

bool ParseRfc3339(std::string_view text, TimeMs* out) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20) return false;
  // Digits exactly where the fields are: sscanf alone would take signs and spaces ("-001").
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  std::string s(text);
  char t = 0;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &year, &month, &day, &t, &hour, &minute,
                  &second, &consumed) != 7 ||
      consumed != 19 || (t != 'T' && t != 't' && t != ' ')) {
    return false;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days_in_month[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > days_in_month[month - 1] || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  std::size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
    for (; digits < 3; ++digits) millis *= 10;
  }
  long offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59) {
      return false;
    }
    offset_seconds = (oh * 3600L + om * 60L) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  std::tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  std::time_t seconds = timegm(&utc);
  const TimeMs result = (static_cast<TimeMs>(seconds) - offset_seconds) * 1000 + millis;
  // Only instants FormatRfc3339 writes with four year digits, so every accepted time formats
  // and parses back: "9999-12-31T23:59:60Z" and "0000-01-01T00:00:00+01:00" fall outside.
  constexpr TimeMs kYear0 = -62'167'219'200'000;      // 0000-01-01T00:00:00Z
  constexpr TimeMs kYear10000 = 253'402'300'800'000;  // 10000-01-01T00:00:00Z
  if (result < kYear0 || result >= kYear10000) return false;
  *out = result;
  return true;
}

}  // namespace core
