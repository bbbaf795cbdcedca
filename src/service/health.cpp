#include "service/health.h"

namespace service {

core::Status HealthService::Ready() { return store_.Ping(); }

}  // namespace service
