#pragma once
// The server's secrets live in the data directory, not in the database: `<data>/secret.key`
// (mode 0600, created atomically on first start) holds 32 random bytes, and each secret is
// derived from them as HMAC-SHA256(key, label). A copy of the database alone therefore signs no
// GoMail key, verifies no callback and cannot brute-force a stored one-time-code hash.
//
// Upgrade: databases from before the key file kept "jwt_secret" and "callback_secret" in the
// `settings` table. On first start with the key file they move into the file's custody (kept
// under "legacy", so existing GoMail keys stay valid and a generated SALT stays the same) and
// are deleted from `settings`. The old "otp_secret" is dropped, not kept: codes live minutes,
// and new code hashes must not be keyed with a secret that old backups hold.
#include <optional>
#include <string>

#include "core/result.h"
#include "store/access_store.h"

namespace auth {

struct ServerSecrets {
  std::string jwt;                        // signs new GoMail user keys
  std::optional<std::string> legacy_jwt;  // the old "jwt_secret": still verifies old keys
  std::string otp;                        // keys the stored one-time-code hashes
  std::string sessions;                   // signs people's access tokens (auth/sessions.h)
  std::string callback;                   // SALT, unless one is configured
  bool callback_generated = false;        // `callback` was made just now: print it once
};

// The key file's name inside the data directory.
inline constexpr char kKeyFileName[] = "secret.key";

// Reads `path` (creating it, 0600, write-to-temp + fsync + rename, if absent), adopts the
// legacy settings the store still holds and deletes them from it. A key file that exists but
// cannot be read or parsed is an error (kFailedPrecondition), never overwritten.
// REQUIRES: the directory of `path` exists.
core::Result<ServerSecrets> LoadServerSecrets(const std::string& path, store::AccessStore& store);

}  // namespace auth
