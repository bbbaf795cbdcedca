// Seed 002, the Gin user service: /api/v1/register, the confirmation link's page
// (/api/v1/confirm, and /api/v1/confirm-email as the original named it; the links of
// /v1/verifications lead there too), resending the link,
// /api/v1/login (a token in the body and the jwt_token cookie), /api/v1/profile and the admin's
// /api/v1/users. Errors are {"error": ...} (Context::GinError). Decode, call AccountService,
// encode.
#include <string>

#include "http/account_routes.h"
#include "http/cookie.h"
#include "http/html_page.h"
#include "http/routes.h"
#include "service/accounts.h"

namespace http {
namespace {

using nlohmann::json;

// The seed's answer to a registration, verbatim.
constexpr char kRegistered[] = "User registered successfully!";
constexpr char kTokenCookie[] = "jwt_token";

// The seed's user: what its /api/v1/users lists and /api/v1/profile shows.
json GinUser(const store::User& user) {
  return {{"id", user.id}, {"email", user.email}, {"name", user.name}, {"role", user.role}};
}

// What the link's page says in each state. For a valid link, a button that posts `token` to the
// path the page was opened at (either spelling of the route).
void LinkPage(Context& context, service::LinkState state, const std::string& token) {
  switch (state) {
    case service::LinkState::kValid:
      return HtmlPage(context, 200, "Confirm your email address",
                      "<p>Press the button to confirm your email address.</p><form "
                      "method=\"post\" action=\"" +
                          HtmlEscape(context.request.path) +
                          "\"><input type=\"hidden\" name=\"token\" value=\"" + HtmlEscape(token) +
                          "\"><button type=\"submit\">Confirm my email address</button></form>");
    case service::LinkState::kUsed:
      return HtmlPage(context, 410, "Link already used",
                      "<p>This confirmation link was used already: the email address is "
                      "confirmed.</p>");
    case service::LinkState::kExpired:
      return HtmlPage(context, 410, "Link expired",
                      "<p>This confirmation link has expired. Ask for a new confirmation "
                      "mail.</p>");
    case service::LinkState::kUnknown: break;
  }
  HtmlPage(context, 404, "Link not valid",
           "<p>This confirmation link is not valid. Open the whole link from the mail; if it "
           "is split over two lines, copy both parts.</p>");
}

// The token of a confirmation request: the link's query, or the page's form field.
std::string LinkToken(const Context& context) { return context.request.get_param_value("token"); }

}  // namespace

void GinRegister(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.GinError(body.error());
  // The original requires all three; members it does not know are ignored, as Gin's binding does.
  service::NewUser user;
  for (auto [member, name] :
       {std::pair{&user.email, "email"}, std::pair{&user.password, "password"},
        std::pair{&user.name, "name"}}) {
    auto value = StringMember(*body, name, true);
    if (!value.ok()) return context.GinError(value.error());
    *member = std::move(*value);
  }
  auto registered = context.services.accounts.Register(user, ClientOf(context));
  if (!registered.ok()) return context.GinError(registered.error());
  context.Json(201, {{"message", kRegistered}});
}

// A GET only shows the link's state: mail scanners fetch links, and must confirm nothing.
void GinConfirmPage(Context& context) {
  const std::string token = LinkToken(context);
  auto state = context.services.accounts.InspectLink(token);
  if (!state.ok()) return context.GinError(state.error());
  LinkPage(context, *state, token);
}

// An application's link (/v1/verifications) then leads on to its redirect URL: by a link and a
// Refresh, not a redirect of the POST, which browsers hold to the form-action 'self' policy.
void GinConfirm(Context& context) {
  auto confirmed = context.services.accounts.ConfirmLink(LinkToken(context), ClientOf(context));
  if (confirmed.ok() && !confirmed->redirect_to.empty()) {
    context.response.set_header("Refresh", "0; url=" + confirmed->redirect_to);
    return HtmlPage(context, 200, "Email address confirmed",
                    "<p>Your email address is confirmed. <a href=\"" +
                        HtmlEscape(confirmed->redirect_to) + "\">Continue</a></p>");
  }
  if (confirmed.ok()) {
    return HtmlPage(context, 200, "Email address confirmed",
                    "<p>Your email address is confirmed. You can sign in now.</p>");
  }
  switch (confirmed.error().code) {
    case core::ErrorCode::kNotFound: return LinkPage(context, service::LinkState::kUnknown, "");
    case core::ErrorCode::kFailedPrecondition:
      return LinkPage(context, service::LinkState::kUsed, "");
    case core::ErrorCode::kDeadlineExceeded:
      return LinkPage(context, service::LinkState::kExpired, "");
    default: return context.GinError(confirmed.error());
  }
}

void GinResendConfirmation(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.GinError(body.error());
  auto email = StringMember(*body, "email", true);
  if (!email.ok()) return context.GinError(email.error());
  if (auto resent = context.services.accounts.ResendConfirmation(*email, ClientOf(context));
      !resent.ok()) {
    return context.GinError(resent.error());
  }
  // The same answer whether or not the address has an account waiting for confirmation.
  context.Json(200, {{"message",
                      "If this address has an account waiting for confirmation, a new "
                      "confirmation link was mailed to it."}});
}

void GinLogin(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.GinError(body.error());
  auto email = StringMember(*body, "email", true);
  if (!email.ok()) return context.GinError(email.error());
  auto password = StringMember(*body, "password", true);
  if (!password.ok()) return context.GinError(password.error());
  auto signed_in = context.services.accounts.Login(
      *email, *password, service::SessionKind::kAccessOnly, ClientOf(context));
  if (!signed_in.ok()) return context.GinError(signed_in.error());
  const bool https = context.services.accounts.public_url().starts_with("https://");
  context.response.set_header("Set-Cookie",
                              SetCookieHeader({kTokenCookie, signed_in->access_token,
                                               signed_in->expires_in_ms / 1000, https}));
  context.response.set_header("Cache-Control", "no-store");
  context.Json(200, {{"token", signed_in->access_token}});
}

// Seed 002's door resolves only people's sessions, so the principal is a person.
void GinProfile(Context& context) {
  auto user = context.services.accounts.GetUser(context.principal->user_id);
  if (!user.ok()) return context.GinError(user.error());
  context.Json(200, GinUser(*user));
}

// Every user, as the original lists them: one array, read from the store a page at a time.
void GinListUsers(Context& context) {
  store::UserQuery query{"", "", 1000};
  json users = json::array();
  while (true) {
    auto page = context.services.accounts.ListUsers(query);
    if (!page.ok()) return context.GinError(page.error());
    for (const store::User& user : page->users) users.push_back(GinUser(user));
    if (page->next_cursor.empty()) break;
    query.cursor = page->next_cursor;
  }
  context.Json(200, users);
}

}  // namespace http
