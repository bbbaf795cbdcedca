#pragma once
// Cryptographically secure randomness (OpenSSL's RAND_bytes) for ids, keys and tokens.
#include <cstddef>
#include <cstdint>
#include <string>

namespace core {

// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string RandomHex(std::size_t bytes);
// `length` characters from [A-Za-z0-9], uniformly (rejection sampling).
std::string RandomToken(std::size_t length);
// Uniform in [0, 1).
double RandomUnit();
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(const std::string& data);

}  // namespace core
