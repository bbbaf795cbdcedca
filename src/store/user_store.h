#pragma once
// People: user accounts (a password, a role, confirmation and disabling) and the login
// throttle that slows down password guessing per account and per client address.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

struct User {
  std::int64_t id = 0;        // assigned by CreateUser, from 1 up; never reused
  std::string email;          // as registered; unique regardless of ASCII case
  std::string name;           // display name; "" when none was given
  std::string first_name;     // seed 004's split name; "" when none
  std::string last_name;      // seed 004's split name; "" when none
  std::string username;       // seed 001's username; "" when none
  std::string role;           // auth::RoleName of a person's role: admin, manager, customer, viewer
  std::string password_hash;  // an argon2id PHC string (auth/password.h); never shown
  TimeMs created_at = 0;
  std::optional<TimeMs> confirmed_at;     // nullopt until the address is confirmed
  std::optional<TimeMs> disabled_at;      // set: the user cannot sign in, sessions ended
  std::optional<TimeMs> unsubscribed_at;  // set: no campaign mail (seed 004's customers)
};

// A change to a user; members left nullopt are kept. An optional<optional<T>> member clears the
// time when given nullopt inside (e.g. re-enabling a user).
struct UserChange {
  std::optional<std::string> role;
  std::optional<std::string> name, first_name, last_name;
  std::optional<std::string> password_hash;
  std::optional<std::optional<TimeMs>> confirmed_at;
  std::optional<std::optional<TimeMs>> disabled_at;
  std::optional<std::optional<TimeMs>> unsubscribed_at;
};

struct UserQuery {
  std::string role;    // "" for every role
  std::string cursor;  // "" for the first page; next_cursor of the previous page
  int limit = 50;      // 1..1000
};

struct UserPage {
  std::vector<User> users;  // by id, ascending
  std::string next_cursor;  // "" after the last page
};

// Failed sign-ins counted under one key ("account:<lower-cased email>" or "address:<ip>").
struct LoginThrottle {
  int failures = 0;              // since window_started_at
  TimeMs window_started_at = 0;  // first failure of the current run; 0 when none
  TimeMs locked_until = 0;       // sign-ins under this key are refused until then; 0 when not
};

// Computes a throttle's next state from its current one (all zero when none is stored). Runs
// inside the store's write, so it must be quick and must not call the store.
using ThrottleUpdate = std::function<LoginThrottle(const LoginThrottle& current)>;

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Stores `user` (its id is ignored) and returns it with its id. kAlreadyExists when another
  // user has the same email in any ASCII case; kInvalidArgument for an empty email or role.
  virtual Result<User> CreateUser(const User& user) = 0;
  // Bulk creation (a CSV import): stores each user whose email no user has yet, in one write.
  // One entry per user, in order: true where it was created, false where the email was taken
  // (also by an earlier entry of the same call). kInvalidArgument for an empty email or role
  // (nothing is stored).
  virtual Result<std::vector<bool>> CreateUsersIfAbsent(const std::vector<User>& users) = 0;
  // kNotFound when no user has this id.
  virtual Result<User> GetUser(std::int64_t id) = 0;
  // By email in any ASCII case. kNotFound when no user has it.
  virtual Result<User> FindUserByEmail(const std::string& email) = 0;
  // kInvalidArgument for a cursor this listing did not return.
  virtual Result<UserPage> ListUsers(const UserQuery& query) = 0;
  // Every user of `role` ("" for every role) with a confirmed address, not disabled and not
  // unsubscribed, ids after `after_id` ascending, at most `limit` (the campaign audience, read in
  // batches). kInvalidArgument for a limit outside 1..1000.
  virtual Result<std::vector<User>> ListReachableUsers(const std::string& role,
                                                       std::int64_t after_id, int limit) = 0;
  // Applies `change` and returns the user as stored. kNotFound for an unknown id;
  // kInvalidArgument for an empty role;
  // kFailedPrecondition when the change would leave no enabled user with role "admin" (the last
  // admin cannot be demoted or disabled). When the change disables the user, every session of
  // theirs is revoked in the same transaction (reason "disabled").
  virtual Result<User> UpdateUser(std::int64_t id, const UserChange& change, TimeMs now) = 0;
  // Deletes the user with their sessions and pending verifications. kNotFound for an unknown id;
  // kFailedPrecondition for the last enabled admin.
  virtual Status DeleteUser(std::int64_t id) = 0;
  // Users of `role` ("" for all).
  virtual Result<std::int64_t> CountUsers(const std::string& role) = 0;

  // Applies `update` to the throttle stored under `key` as one atomic read-modify-write and
  // returns the new state. A state that is all zero removes the key. kInvalidArgument for an
  // empty key.
  virtual Result<LoginThrottle> UpdateLoginThrottle(const std::string& key,
                                                    const ThrottleUpdate& update) = 0;
};

}  // namespace store
