#pragma once
// Readiness: whether this process can serve requests that need storage.
#include "core/result.h"
#include "store/store.h"

namespace service {

class HealthService {
 public:
  explicit HealthService(store::Store& store) : store_(store) {}
  HealthService(const HealthService&) = delete;
  HealthService& operator=(const HealthService&) = delete;

  // OK when the store answers a cheap read; its error (e.g. kUnavailable) otherwise.
  core::Status Ready();

 private:
  store::Store& store_;
};

}  // namespace service
