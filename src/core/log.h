#pragma once
// Structured logging: one JSON object per line with time, level, msg and fields. Loggers are
// injected; tests use a recording or silent logger and assert on state, not log text.
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace core {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view msg, const nlohmann::json& fields) = 0;

  void Debug(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kWarn, msg, fields);
  }
  void Error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    Log(LogLevel::kError, msg, fields);
  }
};

struct LogOptions {
  LogLevel min_level = LogLevel::kInfo;
  std::string file_path;                  // empty: stdout only
  std::size_t max_file_bytes = 10 << 20;  // rotate app.log past this size
  int keep_files = 3;                     // app.log.1 .. app.log.N
};

// Thread-safe logger writing to stdout and a size-rotated file.
std::unique_ptr<Logger> NewJsonLogger(const Clock& clock, const LogOptions& options);
// Discards everything (unit tests).
std::unique_ptr<Logger> NewNullLogger();

// RFC 3339 UTC timestamp with milliseconds, e.g. 2026-11-23T01:52:30.123Z.
std::string FormatRfc3339(TimeMs time);
// Parses RFC 3339 (with Z or +hh:mm offset, optional fraction); nullopt-like failure as false.
bool ParseRfc3339(std::string_view text, TimeMs* out);

}  // namespace core
