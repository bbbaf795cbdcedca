// POST /email-status, where Amazon SNS delivers SES's delivery events (answered in the
// SES-compatible shape), and the native /v1/suppressions list. Decode, call
// ProviderEventService, encode.
#include <initializer_list>
#include <string>

#include "http/routes.h"
#include "service/provider_events.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
// An address is at most 254 bytes (RFC 5321's path limit), so a longer prefix matches nothing.
constexpr std::size_t kMaxAddressBytes = 254;

json SuppressionToJson(const store::Suppression& suppression) {
  return {{"address", suppression.address},
          {"reason", suppression.reason},
          {"detail", suppression.detail},
          {"created_at", core::FormatRfc3339(suppression.created_at)}};
}

}  // namespace

// SNS posts its JSON with Content-Type text/plain, so the body is read whatever the type says.
void SesEmailStatus(Context& context) {
  auto handled = context.services.provider_events.Handle(context.request.body);
  if (!handled.ok()) {
    return context.SesError(handled.error());
  }
  context.Json(200, {{"valid", true}});
}

void ListSuppressions(Context& context) {
  auto query = DecodePageQuery(context.request, kDefaultPageSize, kMaxPageSize, {"prefix"});
  if (!query.ok()) return context.Problem(query.error());
  const std::string prefix = context.request.get_param_value("prefix");
  if (prefix.size() > kMaxAddressBytes) {
    return context.Problem(core::InvalidArgument(
        "prefix", "prefix must be at most " + std::to_string(kMaxAddressBytes) + " bytes"));
  }
  auto page =
      context.services.provider_events.ListSuppressions(prefix, query->cursor, query->limit);
  if (!page.ok()) {
    return context.Problem(page.error());
  }
  json data = json::array();
  for (const auto& suppression : page->suppressions) data.push_back(SuppressionToJson(suppression));
  context.Json(
      200, {{"data", std::move(data)},
            {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}});
}

void CreateSuppression(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) {
    return context.Problem(body.error());
  }
  if (auto known = OnlyMembers(*body, {"address", "reason"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto address = StringMember(*body, "address", true);
  if (!address.ok()) {
    return context.Problem(address.error());
  }
  auto reason = StringMember(*body, "reason", false);
  if (!reason.ok()) {
    return context.Problem(reason.error());
  }
  auto added = context.services.provider_events.Suppress(*address, *reason);
  if (!added.ok()) {
    return context.Problem(added.error());
  }
  // 201 for a new entry; 200 when the address was on the list already (kept as it was).
  context.Json(added->created ? 201 : 200, SuppressionToJson(added->suppression));
}

void DeleteSuppression(Context& context) {
  auto removed = context.services.provider_events.Unsuppress(context.request.matches[1].str());
  if (!removed.ok()) {
    return context.Problem(removed.error());
  }
  context.response.status = 204;
}

}  // namespace http
