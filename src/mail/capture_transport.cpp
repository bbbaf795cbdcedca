#include "mail/transport.h"

namespace mail {
namespace {

// The capture transport is the zero-configuration default: the caller has already stored the
// rendered message, so "delivering" it is a no-op that always succeeds.
class CaptureTransport final : public Transport {
 public:
  SendResult Send(const Envelope& /*envelope*/, const std::string& /*data*/) override {
    return SendResult{SendResult::Kind::kSent, 250, "250 captured (not delivered)"};
  }
  const char* Name() const override { return "capture"; }
};

}  // namespace

std::unique_ptr<Transport> NewCaptureTransport() { return std::make_unique<CaptureTransport>(); }

}  // namespace mail
