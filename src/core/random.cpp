#include "core/random.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace core {
namespace {

void Fill(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    // Without entropy no key or token can be made safely; there is no sane fallback.
    throw std::runtime_error("RAND_bytes failed");
  }
}

// Bumped in a forked child, so that no buffered bytes are handed out by both processes.
std::atomic<unsigned> fork_generation{0};

// RAND_bytes costs a few microseconds per call (locks, provider dispatch) whatever the length, as
// much as the rest of an id; ids draw from a per-thread buffer refilled 512 bytes at a time. The
// bytes are RAND_bytes output all the same, each handed out once.
void FillBuffered(unsigned char* out, std::size_t n) {
  static const int kAtFork = pthread_atfork(nullptr, nullptr, [] { ++fork_generation; });
  static_cast<void>(kAtFork);
  struct Buffer {
    std::array<unsigned char, 512> bytes{};
    std::size_t used = 512;
    unsigned generation = 0;
  };
  thread_local Buffer buffer;
  const unsigned generation = fork_generation.load(std::memory_order_relaxed);
  if (buffer.generation != generation) {
    buffer.used = buffer.bytes.size();
    buffer.generation = generation;
  }
  while (n > 0) {
    if (buffer.used == buffer.bytes.size()) {
      Fill(buffer.bytes.data(), buffer.bytes.size());
      buffer.used = 0;
    }
    const std::size_t take = std::min(n, buffer.bytes.size() - buffer.used);
    std::memcpy(out, buffer.bytes.data() + buffer.used, take);
    // Wiped once taken, so no copy of a handed-out value stays behind in the buffer.
    std::memset(buffer.bytes.data() + buffer.used, 0, take);
    buffer.used += take;
    out += take;
    n -= take;
  }
}

std::string ToHex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  Fill(buffer.data(), bytes);
  return ToHex(buffer.data(), bytes);
}

std::string RandomToken(std::size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(length);
  unsigned char byte = 0;
  while (out.size() < length) {
    Fill(&byte, 1);
    if (byte < 248) out.push_back(kAlphabet[byte % 62]);  // 248 = 4 * 62: no modulo bias
  }
  return out;
}

std::string TimeOrderedId(const std::string& prefix, std::int64_t now_ms) {
  unsigned char time_bytes[6];
  for (int i = 5; i >= 0; --i) {
    time_bytes[i] = static_cast<unsigned char>(now_ms & 0xFF);
    now_ms >>= 8;
  }
  unsigned char random_bytes[8];
  FillBuffered(random_bytes, sizeof random_bytes);
  std::string id;
  id.reserve(prefix.size() + 28);
  id += prefix;
  id += ToHex(time_bytes, sizeof time_bytes);
  id += ToHex(random_bytes, sizeof random_bytes);
  return id;
}

std::string RandomUuid() {
  unsigned char bytes[16];
  Fill(bytes, sizeof bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  const std::string hex = ToHex(bytes, sizeof bytes);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

double RandomUnit() {
  std::uint64_t value = 0;
  Fill(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return static_cast<double>(value >> 11) * 0x1.0p-53;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return ToHex(digest, length);
}

}  // namespace core
