#pragma once
// Passwords of people: checked against the length rules, hashed with argon2id (libargon2,
// Debian's reference implementation) into a PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash"
// that carries its own parameters, so hashes made with older parameters keep verifying.
// Passwords are never logged, stored or returned; only these strings are stored.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace auth {

struct PasswordParams {
  std::uint32_t time_cost = 2;           // passes over memory
  std::uint32_t memory_kib = 19 * 1024;  // 19 MiB: OWASP's argon2id minimum (2023)
  std::uint32_t parallelism = 1;         // lanes; 1 keeps a login on one core
};
inline constexpr std::size_t kMinPasswordChars = 8;     // Unicode code points
inline constexpr std::size_t kMaxPasswordBytes = 1024;  // bounds the hashing work per request

// kInvalidArgument (field "password") unless the password has at least kMinPasswordChars
// code points, at most kMaxPasswordBytes bytes, is valid UTF-8 and holds no NUL.
core::Status CheckPasswordRules(std::string_view password);

// The PHC string of `password` with a fresh 16-byte random salt. Throws std::runtime_error only
// if libargon2 fails (out of memory).
std::string HashPassword(std::string_view password, const PasswordParams& params = {});

// Whether `password` matches `phc`. False for a malformed string, one that is not argon2id, or
// a password over kMaxPasswordBytes. Takes about as long as HashPassword with the string's
// parameters.
bool VerifyPassword(std::string_view password, const std::string& phc);

// A generated password for first start and resets: 24 characters from [A-Za-z0-9] (~142 bits).
std::string GeneratePassword();

}  // namespace auth
