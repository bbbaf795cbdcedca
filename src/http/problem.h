#pragma once
// The one table from error codes to HTTP statuses and RFC 9457 problem+json bodies.
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"

namespace http {

int HttpStatusFor(core::ErrorCode code);
// {"type","title","status","detail","code","field"}; "field" only when the error names one.
nlohmann::json ProblemBody(const core::Error& error);
// GoMail's error shape: {"status": false, "msg": message}.
nlohmann::json GoMailErrorBody(const core::Error& error);
// The SES-compatible shape: {"valid": false, "msg", "code"} (+ "field" when the error names
// one), where code is the seed's own where it defines one (`seed_code`) and else ours
// ("invalid_argument", ...).
nlohmann::json SesErrorBody(const core::Error& error, std::string_view seed_code = {});
// Seed 002's (Gin's) shape: {"error": message} (+ "field" when the error names one). Invalid
// input whose message does not mention its field gets "<field>: " in front.
nlohmann::json GinErrorBody(const core::Error& error);

// Seed 001's (Django REST Framework's) status: HttpStatusFor, except that a name or address
// already taken is a field error, 400, as DRF's unique validators answer.
int DrfStatusFor(core::ErrorCode code);
// DRF's shapes. A field error is {"<field>": ["<message>"]} ("recipients[2]" becomes
// {"recipients": {"2": [...]}}, a list's item), one without a field {"non_field_errors": [...]};
// everything else {"detail"} in
// DRF's own words: "Authentication credentials were not provided." (or "Invalid token."), "You
// do not have permission to perform this action.", "Not found.", "Request was throttled.
// Expected available in N seconds.", "A server error occurred.".
nlohmann::json DrfErrorBody(const core::Error& error);

}  // namespace http
