#pragma once
// Who may call: API keys (stored hashed), settings and one-time codes. Server secrets are not
// settings any more (auth/key_file.h); older databases' secret settings are read once, moved
// into the key file and deleted.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

struct ApiKey {
  std::string id;
  std::string name;      // unique for roles "client" and "sender"
  std::string key_hash;  // SHA-256 hex of the secret
  // "admin"; "client" for GoMail users (name = the user id); "sender" for the SES-compatible API
  std::string role;
  TimeMs created_at = 0;
  std::optional<TimeMs> expires_at;
  std::string callback_url = {};  // where status callbacks go ("return_api"); "" for none
  std::string key_hint = {};      // the secret's last characters, for display
};

// The current one-time code of a recipient, as issued by one key (see auth/otp.h for the policy
// around it). Codes are per (owner, recipient): one key's codes are invisible to another's.
struct OtpRecord {
  std::string owner;      // the id of the key that asked for the code
  std::string recipient;  // bare address, lower-cased
  std::string code_hash;
  TimeMs expires_at = 0;
  int failed_attempts = 0;
  bool used = false;
  TimeMs created_at = 0;
  TimeMs last_sent_at = 0;
};

// What a verification attempt writes back to the code it read.
enum class OtpWrite { kNothing, kMarkUsed, kCountFailure };
// Decides a verification attempt from the stored code (nullptr: none was issued). Runs inside
// the store's write, so it must be quick and must not call the store.
using OtpDecision = std::function<OtpWrite(const OtpRecord* record)>;

class AccessStore {
 public:
  virtual ~AccessStore() = default;

  // API keys -----------------------------------------------------------------------------
  // kAlreadyExists for a taken id or hash, or a name taken by another key of role "client" or
  // "sender".
  virtual Status CreateApiKey(const ApiKey& key) = 0;
  // kNotFound if no key has this hash.
  virtual Result<ApiKey> FindApiKeyByHash(const std::string& key_hash) = 0;
  virtual Result<int> CountApiKeys(const std::string& role) = 0;
  // kNotFound if no key has this id.
  virtual Result<ApiKey> FindApiKeyById(const std::string& id) = 0;
  // Deletes every key with this name and role; returns the deleted keys (so callers can drop
  // them from caches). An empty list when there were none.
  virtual Result<std::vector<ApiKey>> DeleteApiKeysByName(const std::string& name,
                                                          const std::string& role) = 0;
  // Every key, oldest first (hashes included; callers must not show them).
  virtual Result<std::vector<ApiKey>> ListApiKeys() = 0;
  // Deletes one key and returns it; kNotFound if no key has this id.
  virtual Result<ApiKey> DeleteApiKey(const std::string& id) = 0;

  // Settings -----------------------------------------------------------------------------
  // The value stored under `key`; if there is none, stores `value_if_absent` and returns it.
  // Atomic: concurrent callers (of any process sharing the store) all get the same value.
  virtual Result<std::string> GetOrCreateSetting(const std::string& key,
                                                 const std::string& value_if_absent) = 0;
  // The value stored under `key`, or nullopt.
  virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  // Removes `key` (nothing to do if it is absent).
  virtual Status DeleteSetting(const std::string& key) = 0;

  // One-time codes -----------------------------------------------------------------------
  // Replaces the code of (record.owner, record.recipient) with `record` (record.last_sent_at is
  // the send time), unless that owner's previous code for the recipient was sent less than
  // `resend_interval_ms` before it: kResourceExhausted.
  virtual Status PutOtp(const OtpRecord& record, TimeMs resend_interval_ms) = 0;
  // Reads the code `owner` issued to `recipient` (never another owner's), lets `decide` judge
  // the attempt and applies its answer, as one atomic read-modify-write: parallel attempts on
  // one code see each other's failures.
  virtual Status VerifyOtp(const std::string& owner, const std::string& recipient,
                           const OtpDecision& decide) = 0;
};

}  // namespace store
