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
// A public id that sorts by creation time: prefix, 12 hex digits of `now_ms`, 16 random hex
// digits (64 bits). Time order keeps index inserts at the right edge of the B-tree, so a group
// commit touches a few pages instead of one random leaf per row. The random digits come from a
// per-thread buffer of RAND_bytes output (refilled 512 bytes at a time; never shared across fork).
std::string TimeOrderedId(const std::string& prefix, std::int64_t now_ms);
// A random (version 4) UUID, lower-case: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string RandomUuid();
// Uniform in [0, 1).
double RandomUnit();
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(const std::string& data);

}  // namespace core
