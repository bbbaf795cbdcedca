// People on the native API: /v1/auth/* (login, refresh, logout, sessions, signup), /v1/me,
// /v1/users (admin) and /v1/audit (admin). Decode, call AccountService, encode. Seed 001's and
// seed 002's doors to the same accounts are in their own files.
#include "http/account_routes.h"

#include <map>
#include <optional>
#include <string_view>

#include "http/cookie.h"
#include "http/routes.h"
#include "service/accounts.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

Result<std::int64_t> UserIdOf(const Context& context) {
  return QueryInteger(context.request.matches[1], "id", 1, INT64_MAX);
}

core::Result<auth::Role> PersonRole(const json& value, const char* field) {
  if (value.is_string()) {
    const auto role = auth::ParseRole(value.get<std::string>());
    if (role && auth::IsPersonRole(*role)) return *role;
  } else if (value.is_number_integer()) {
    if (const auto role = auth::RoleFromId(value.get<int>())) return *role;
  }
  return core::InvalidArgument(field, std::string(field) +
                                          " must be admin, manager, customer or viewer (or "
                                          "1 to 4)");
}

// Whether the caller is a signed-in person; answers 403 for an API key (which has no account or
// sessions) and returns false.
bool IsPerson(Context& context) {
  if (context.principal->user_id != 0) return true;
  context.Problem({core::ErrorCode::kPermissionDenied,
                   "this route is for a signed-in person, not an API key", "Authorization"});
  return false;
}

}  // namespace

service::Client ClientOf(const Context& context) {
  return {context.request.remote_addr, context.request.get_header_value("User-Agent")};
}

json UserToJson(const store::User& user) {
  const auto role = auth::ParseRole(user.role);
  return {{"id", user.id},
          {"email", user.email},
          {"name", user.name},
          {"first_name", user.first_name},
          {"last_name", user.last_name},
          {"username", user.username},
          {"role", user.role},
          {"role_id", role ? auth::RoleId(*role) : 0},
          {"created_at", core::FormatRfc3339(user.created_at)},
          {"confirmed_at", TimeOrNull(user.confirmed_at)},
          {"disabled_at", TimeOrNull(user.disabled_at)}};
}

json SignedInToJson(const service::SignedIn& signed_in) {
  json out = {{"access_token", signed_in.access_token},
              {"token_type", "Bearer"},
              {"expires_in", signed_in.expires_in_ms / 1000},
              {"session_id", signed_in.session.id},
              {"user", UserToJson(signed_in.user)}};
  if (!signed_in.refresh_token.empty()) out["refresh_token"] = signed_in.refresh_token;
  return out;
}

core::Result<service::NewUser> DecodeNewUser(const json& body, bool with_role) {
  service::NewUser user;
  for (auto [member, name] :
       {std::pair{&user.email, "email"}, std::pair{&user.password, "password"},
        std::pair{&user.name, "name"}, std::pair{&user.first_name, "first_name"},
        std::pair{&user.last_name, "last_name"}, std::pair{&user.username, "username"}}) {
    auto value = StringMember(body, name, std::string_view(name) == "email");
    if (!value.ok()) return value.error();
    *member = std::move(*value);
  }
  if (with_role) {
    const auto role = body.find("role");
    if (role != body.end() && !role->is_null()) {
      auto parsed = PersonRole(*role, "role");
      if (!parsed.ok()) return parsed.error();
      user.role = *parsed;
    }
  }
  return user;
}

// A native sign-in: {email, password} in, the kind of session asked for out.
core::Result<service::SignedIn> SignIn(Context& context, service::SessionKind kind) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return body.error();
  if (auto known = OnlyMembers(*body, {"email", "password"}); !known.ok()) return known.error();
  auto email = StringMember(*body, "email", true);
  if (!email.ok()) return email.error();
  auto password = StringMember(*body, "password", true);
  if (!password.ok()) return password.error();
  return context.services.accounts.Login(*email, *password, kind, ClientOf(context));
}

// The dashboard's cookie: kept for the sign-in's absolute limit (the server ends it sooner when
// idle); "" with max_age 0 deletes it.
void SetDashboardCookie(Context& context, std::string_view token, std::int64_t max_age_seconds) {
  const bool https = context.services.accounts.public_url().starts_with("https://");
  context.response.set_header("Set-Cookie", SetCookieHeader({auth::CookieSessions::kCookie, token,
                                                             max_age_seconds, https, "Strict"}));
  context.response.set_header("Cache-Control", "no-store");
}

void Login(Context& context) {
  auto signed_in = SignIn(context, service::SessionKind::kRefreshable);
  if (!signed_in.ok()) return context.Problem(signed_in.error());
  context.Json(200, SignedInToJson(*signed_in));
}

void OpenDashboardSession(Context& context) {
  auto signed_in = SignIn(context, service::SessionKind::kCookie);
  if (!signed_in.ok()) return context.Problem(signed_in.error());
  SetDashboardCookie(context, signed_in->token,
                     context.services.accounts.cookie_absolute_ms() / 1000);
  context.Json(200, {{"user", UserToJson(signed_in->user)},
                     {"csrf_token", signed_in->csrf_token},
                     {"expires_in", signed_in->expires_in_ms / 1000}});
}

void GetDashboardSession(Context& context) {
  if (!IsPerson(context)) return;
  auto user = context.services.accounts.GetUser(context.principal->user_id);
  if (!user.ok()) return context.Problem(user.error());
  context.response.set_header("Cache-Control", "no-store");
  const std::string& csrf = context.principal->csrf_token;
  context.Json(200,
               {{"user", UserToJson(*user)}, {"csrf_token", csrf.empty() ? json() : json(csrf)}});
}

void CloseDashboardSession(Context& context) {
  if (!IsPerson(context)) return;
  if (auto out = context.services.accounts.Logout(*context.principal, ClientOf(context));
      !out.ok()) {
    return context.Problem(out.error());
  }
  SetDashboardCookie(context, "", 0);
  context.response.status = 204;
}

void RefreshSession(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"refresh_token"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto token = StringMember(*body, "refresh_token", true);
  if (!token.ok()) return context.Problem(token.error());
  auto signed_in = context.services.accounts.Refresh(*token, ClientOf(context));
  if (!signed_in.ok()) return context.Problem(signed_in.error());
  context.Json(200, SignedInToJson(*signed_in));
}

void Logout(Context& context) {
  if (auto out = context.services.accounts.Logout(*context.principal, ClientOf(context));
      !out.ok()) {
    return context.Problem(out.error());
  }
  context.Json(200, {{"message", "logged out"}});
}

void ListOwnSessions(Context& context) {
  if (!IsPerson(context)) return;
  auto sessions = context.services.accounts.ListSessions(context.principal->user_id);
  if (!sessions.ok()) return context.Problem(sessions.error());
  json data = json::array();
  for (const store::Session& session : *sessions) {
    data.push_back({{"id", session.id},
                    {"kind", session.kind},
                    {"created_at", core::FormatRfc3339(session.created_at)},
                    {"last_used_at", core::FormatRfc3339(session.last_used_at)},
                    {"expires_at", core::FormatRfc3339(session.expires_at)},
                    {"address", session.address},
                    {"user_agent", session.user_agent},
                    {"current", session.id == context.principal->session_id}});
  }
  context.Json(200, {{"data", std::move(data)}});
}

void EndOwnSession(Context& context) {
  if (auto out = context.services.accounts.EndSession(context.principal->user_id,
                                                      context.request.matches[1],
                                                      *context.principal, ClientOf(context));
      !out.ok()) {
    return context.Problem(out.error());
  }
  // Ending the dashboard session this request came with: its cookie goes too.
  const bool with_cookie = !context.principal->csrf_token.empty();
  if (with_cookie && context.request.matches[1] == context.principal->session_id) {
    SetDashboardCookie(context, "", 0);
  }
  context.response.status = 204;
}

void Signup(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"email", "password", "name"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto user = DecodeNewUser(*body, false);
  if (!user.ok()) return context.Problem(user.error());
  auto registered = context.services.accounts.Register(*user, ClientOf(context));
  if (!registered.ok()) return context.Problem(registered.error());
  context.Json(201, {{"user", UserToJson(*registered)},
                     {"message", "a confirmation link was mailed to " + registered->email}});
}

void GetMe(Context& context) {
  if (!IsPerson(context)) return;
  auto user = context.services.accounts.GetUser(context.principal->user_id);
  if (!user.ok()) return context.Problem(user.error());
  context.Json(200, UserToJson(*user));
}

void CreateUser(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(
          *body, {"email", "password", "name", "first_name", "last_name", "username", "role"});
      !known.ok()) {
    return context.Problem(known.error());
  }
  auto user = DecodeNewUser(*body, true);
  if (!user.ok()) return context.Problem(user.error());
  auto created = context.services.accounts.CreateUser(*user, service::ActorOf(*context.principal),
                                                      ClientOf(context));
  if (!created.ok()) return context.Problem(created.error());
  json out = {{"user", UserToJson(created->user)}};
  if (!created->generated_password.empty()) out["password"] = created->generated_password;
  context.Json(201, out);
}

void ListUsers(Context& context) {
  auto page_query = DecodePageQuery(context.request, 50, 1000, {"role"});
  if (!page_query.ok()) return context.Problem(page_query.error());
  store::UserQuery query{"", page_query->cursor, page_query->limit};
  if (context.request.has_param("role")) {
    auto role = PersonRole(context.request.get_param_value("role"), "role");
    if (!role.ok()) return context.Problem(role.error());
    query.role = std::string(auth::RoleName(*role));
  }
  auto page = context.services.accounts.ListUsers(query);
  if (!page.ok()) return context.Problem(page.error());
  json data = json::array();
  for (const store::User& user : page->users) data.push_back(UserToJson(user));
  context.Json(200,
               {{"data", std::move(data)},
                {"next_cursor", page->next_cursor.empty() ? json() : json(page->next_cursor)}});
}

void GetUser(Context& context) {
  auto id = UserIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto user = context.services.accounts.GetUser(*id);
  if (!user.ok()) return context.Problem(user.error());
  context.Json(200, UserToJson(*user));
}

void UpdateUser(Context& context) {
  auto id = UserIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"role", "disabled"}); !known.ok()) {
    return context.Problem(known.error());
  }
  const std::string actor = service::ActorOf(*context.principal);
  const service::Client client = ClientOf(context);
  std::optional<auth::Role> role;
  if (const auto found = body->find("role"); found != body->end()) {
    auto parsed = PersonRole(*found, "role");
    if (!parsed.ok()) return context.Problem(parsed.error());
    role = *parsed;
  }
  std::optional<bool> disabled;
  if (const auto found = body->find("disabled"); found != body->end()) {
    if (!found->is_boolean()) {
      return context.Problem(core::InvalidArgument("disabled", "disabled must be true or false"));
    }
    disabled = found->get<bool>();
  }
  auto user = context.services.accounts.GetUser(*id);
  if (role) user = context.services.accounts.SetRole(*id, *role, actor, client);
  if (user.ok() && disabled)
    user = context.services.accounts.SetDisabled(*id, *disabled, actor, client);
  if (!user.ok()) return context.Problem(user.error());
  context.Json(200, UserToJson(*user));
}

void DeleteUser(Context& context) {
  auto id = UserIdOf(context);
  if (!id.ok()) return context.Problem(id.error());
  if (auto deleted = context.services.accounts.DeleteUser(*id, service::ActorOf(*context.principal),
                                                          ClientOf(context));
      !deleted.ok()) {
    return context.Problem(deleted.error());
  }
  context.response.status = 204;
}

json VerificationToJson(const store::Verification& verification) {
  return {{"id", verification.id},
          {"email", verification.email},
          {"status", verification.confirmed_at ? "confirmed" : "pending"},
          {"redirect_url", verification.redirect_url},
          {"created_at", core::FormatRfc3339(verification.created_at)},
          {"expires_at", core::FormatRfc3339(verification.expires_at)},
          {"confirmed_at", TimeOrNull(verification.confirmed_at)}};
}

void CreateVerification(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"email", "redirect_url", "template", "data"}); !known.ok()) {
    return context.Problem(known.error());
  }
  service::AppVerificationRequest request;
  for (auto [member, name] :
       {std::pair{&request.email, "email"}, std::pair{&request.redirect_url, "redirect_url"},
        std::pair{&request.template_name, "template"}}) {
    auto value = StringMember(*body, name, false);
    if (!value.ok()) return context.Problem(value.error());
    *member = std::move(*value);
  }
  if (const auto data = body->find("data"); data != body->end() && !data->is_null()) {
    request.data = *data;
  }
  auto created = context.services.accounts.CreateAppVerification(*context.principal, request);
  if (!created.ok()) return context.Problem(created.error());
  context.Json(201, VerificationToJson(*created));
}

void GetVerification(Context& context) {
  auto found =
      context.services.accounts.GetAppVerification(*context.principal, context.request.matches[1]);
  if (!found.ok()) return context.Problem(found.error());
  context.Json(200, VerificationToJson(*found));
}

void ListAudit(Context& context) {
  auto page_query = DecodePageQuery(context.request, 50, 1000, {"action"});
  if (!page_query.ok()) return context.Problem(page_query.error());
  store::AuditQuery query{context.request.get_param_value("action"), page_query->cursor,
                          page_query->limit};
  auto page = context.services.accounts.ListAudit(query);
  if (!page.ok()) return context.Problem(page.error());
  // "user:12" reads as the person's address (looked up once per page; a deleted user keeps
  // only the id).
  std::map<std::string, std::optional<std::string>> names;
  const auto name_of = [&](const std::string& reference) -> json {
    static constexpr std::string_view kUser = "user:";
    if (reference.rfind(kUser, 0) != 0) return nullptr;
    auto [known, inserted] = names.try_emplace(reference);
    if (inserted) {
      const auto id = QueryInteger(reference.substr(kUser.size()), "user", 1, INT64_MAX);
      auto user =
          id.ok() ? context.services.accounts.GetUser(*id) : Result<store::User>(id.error());
      if (user.ok()) known->second = user->email;
    }
    return known->second ? json(*known->second) : json();
  };
  json data = json::array();
  for (const store::AuditEntry& entry : page->entries) {
    data.push_back({{"id", entry.id},
                    {"at", core::FormatRfc3339(entry.at)},
                    {"actor", entry.actor},
                    {"actor_name", name_of(entry.actor)},
                    {"action", entry.action},
                    {"target", entry.target},
                    {"target_name", name_of(entry.target)},
                    {"address", entry.address},
                    {"detail", json::parse(entry.detail, nullptr, false)}});
  }
  context.Json(200,
               {{"data", std::move(data)},
                {"next_cursor", page->next_cursor.empty() ? json() : json(page->next_cursor)}});
}

}  // namespace http
