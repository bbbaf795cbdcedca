#pragma once
// Internal to http/: what every door to people's accounts shares (the native /v1/auth routes,
// seed 001's and seed 002's): the client of a request and the JSON of a user and a sign-in.
#include <nlohmann/json.hpp>

#include "http/routes.h"
#include "service/accounts.h"

namespace http {

// The peer's address and User-Agent.
service::Client ClientOf(const Context& context);
// The native shape of a user: id, email, names, role and role_id, times (never the hash).
nlohmann::json UserToJson(const store::User& user);
// {access_token, token_type, expires_in (s), session_id, user, refresh_token when there is one}.
nlohmann::json SignedInToJson(const service::SignedIn& signed_in);
// email (required), password, name, first_name, last_name, username, and `role` (a name or
// seed 004's id) when `with_role`. The caller checks which members a route allows.
core::Result<service::NewUser> DecodeNewUser(const nlohmann::json& body, bool with_role);

}  // namespace http
