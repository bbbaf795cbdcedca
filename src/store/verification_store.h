#pragma once
// Confirmation links: a single-use token (stored hashed) mailed to an address. Purpose
// "signup" confirms a user's address (seed 002's registration); purpose "app" is for
// applications that keep their own users (/v1/verifications).
#include <cstdint>
#include <optional>
#include <string>

#include "store/callback_store.h"
#include "store/types.h"

namespace store {

struct Verification {
  std::string id;            // public id ("ver_" + random)
  std::string purpose;       // "signup" or "app"
  std::string owner;         // the principal that asked ("app"); "" for signup
  std::int64_t user_id = 0;  // "signup": the user it confirms; 0 otherwise
  std::string email;         // where the link was sent
  std::string token_hash;    // SHA-256 hex of the link's token; unique
  std::string redirect_url;  // "app": where the confirmed link leads; "" otherwise
  std::string callback_url;  // "app": where the confirmation is reported; "" for none
  TimeMs created_at = 0;
  TimeMs expires_at = 0;
  std::optional<TimeMs> confirmed_at;
};

class VerificationStore {
 public:
  virtual ~VerificationStore() = default;

  // kAlreadyExists for a taken id or token hash; kNotFound when user_id names no user;
  // kInvalidArgument for an empty id, purpose or token hash, or a "signup" without a user_id.
  virtual Status CreateVerification(const Verification& verification) = 0;
  // kNotFound for an unknown id.
  virtual Result<Verification> GetVerification(const std::string& id) = 0;
  // kNotFound for an unknown hash. Reads only: showing a link's page confirms nothing.
  virtual Result<Verification> FindVerificationByTokenHash(const std::string& token_hash) = 0;
  // Confirms the verification with this token hash at `now`, once, as one atomic step; for
  // purpose "signup" it also sets the user's confirmed_at (kept if already set), and `callback`
  // (when given) is enqueued in the same transaction (CallbackStore::EnqueueCallback, with
  // `max_attempts`). kNotFound for an unknown hash; kFailedPrecondition "already used" when it
  // was confirmed before; kDeadlineExceeded when `now` is at or after expires_at (nothing is
  // written then). Returns it as stored.
  virtual Result<Verification> ConfirmVerification(const std::string& token_hash, TimeMs now,
                                                   const std::optional<NewCallback>& callback,
                                                   int max_attempts) = 0;
  // The newest verification of `purpose` sent to `email` (any case), for resend limits.
  // nullopt when none.
  virtual Result<std::optional<Verification>> LatestVerification(const std::string& purpose,
                                                                 const std::string& email) = 0;
};

}  // namespace store
