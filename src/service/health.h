#pragma once
// Readiness (whether this process can serve requests that need storage) and what it runs
// with: its version and its effective settings, secrets masked.
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace service {

// One configuration setting as the server runs with it.
struct Setting {
  std::string name;    // the flag's name, e.g. "smtp-port"
  std::string value;   // the text it was given; always "" for a secret (see `set`)
  std::string source;  // "flag", "env NAME", ".env NAME" or "default"
  std::string doc;
  bool secret = false;
  bool set = false;  // whether it has a non-empty value (the only thing told of a secret)
};

class HealthService {
 public:
  // `settings` must already be masked (app::EffectiveSettings does it).
  HealthService(store::Store& store, std::string version, std::vector<Setting> settings)
      : store_(store), version_(std::move(version)), settings_(std::move(settings)) {}
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // OK when the store answers a cheap read; its error (e.g. kUnavailable) otherwise.
  core::Status Ready();
  const std::string& version() const { return version_; }
  const std::vector<Setting>& settings() const { return settings_; }

 private:
  store::Store& store_;
  const std::string version_;
  const std::vector<Setting> settings_;
};

}  // namespace service
