#include "auth/password.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/random.h"

namespace auth {
namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

// The number of code points in `text`, or nullopt when it is not valid UTF-8 (overlong forms,
// surrogates and values past U+10FFFF included).
std::optional<std::size_t> CodePoints(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t value = 0;
    if (lead < 0x80) {
      length = 1, value = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, value = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, value = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, value = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + length > text.size()) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      value = (value << 6) | (next & 0x3F);
    }
    constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kSmallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return std::nullopt;
    }
    i += length;
  }
  return count;
}

}  // namespace

core::Status CheckPasswordRules(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return core::InvalidArgument("password", "password must be at most 1024 bytes");
  }
  if (password.find('\0') != std::string_view::npos) {
    return core::InvalidArgument("password", "password must not contain NUL");
  }
  const std::optional<std::size_t> chars = CodePoints(password);
  if (!chars.has_value()) return core::InvalidArgument("password", "password must be UTF-8");
  if (*chars < kMinPasswordChars) {
    return core::InvalidArgument("password", "password must be at least 8 characters");
  }
  return {};
}

std::string HashPassword(std::string_view password, const PasswordParams& params) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::vector<char> encoded(argon2_encodedlen(
      params.time_cost, params.memory_kib, params.parallelism, kSaltBytes, kHashBytes, Argon2_id));
  const int result = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                           password.data(), password.size(), salt.data(),
                                           salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (result != ARGON2_OK) {
    throw std::runtime_error(std::string("argon2id failed: ") + argon2_error_message(result));
  }
  return std::string(encoded.data());
}

bool VerifyPassword(std::string_view password, const std::string& phc) {
  if (password.size() > kMaxPasswordBytes || phc.rfind("$argon2id$", 0) != 0) return false;
  return argon2id_verify(phc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::string GeneratePassword() { return core::RandomToken(24); }

}  // namespace auth
