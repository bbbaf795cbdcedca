#include "hooks/sns.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "auth/jwt.h"
#include "core/json.h"
#include "hooks/url.h"
#include "hooks/url_guard.h"

namespace hooks {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kCertUrlField = "SigningCertURL";
// An 8192-bit RSA signature is 1024 bytes, 1368 base64 characters.
constexpr std::size_t kMaxSignatureBase64 = 1368;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

core::Error Unauthenticated(std::string field, std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), std::move(field)};
}

// Matches one host label against one pattern label, where each '*' stands for one or more
// characters. Labels are short (at most 63 bytes in a parsed host), so the classic two-index
// wildcard walk is linear enough.
bool LabelMatches(std::string_view label, std::string_view pattern) {
  // "*" becomes "?*": '?' takes exactly one character and '*' zero or more.
  std::string expanded;
  for (const char c : pattern) {
    if (c == '*') {
      expanded += "?*";
    } else {
      expanded.push_back(c);
    }
  }
  std::size_t l = 0;
  std::size_t p = 0;
  std::size_t star = std::string::npos;
  std::size_t star_label = 0;
  while (l < label.size()) {
    if (p < expanded.size() && (expanded[p] == '?' || expanded[p] == label[l])) {
      ++p;
      ++l;
    } else if (p < expanded.size() && expanded[p] == '*') {
      star = p++;
      star_label = l;
    } else if (star != std::string::npos) {
      p = star + 1;
      l = ++star_label;
    } else {
      return false;
    }
  }
  while (p < expanded.size() && expanded[p] == '*') {
    ++p;
  }
  return p == expanded.size();
}

std::vector<std::string_view> SplitLabels(std::string_view text) {
  std::vector<std::string_view> labels;
  while (true) {
    const std::size_t dot = text.find('.');
    labels.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos) {
      return labels;
    }
    text.remove_prefix(dot + 1);
  }
}

bool HostMatches(std::string_view host, std::string_view pattern) {
  const std::vector<std::string_view> host_labels = SplitLabels(host);
  const std::vector<std::string_view> pattern_labels = SplitLabels(pattern);
  if (host_labels.size() != pattern_labels.size()) {
    return false;
  }
  for (std::size_t i = 0; i < host_labels.size(); ++i) {
    const bool wildcard = pattern_labels[i].find('*') != std::string_view::npos;
    if (wildcard && host_labels[i].substr(0, 2) == "s3") {
      return false;  // an S3 bucket endpoint; see CheckSigningCertUrl
    }
    if (!LabelMatches(host_labels[i], pattern_labels[i])) {
      return false;
    }
  }
  return true;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") {
    return true;
  }
  const auto address = ParseIpAddress(host);
  if (!address.ok()) {
    return false;
  }
  if (!address->is_v6) {
    return address->bytes[0] == 127;
  }
  static constexpr std::array<std::uint8_t, 16> kIpv6Loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                              0, 0, 0, 0, 0, 0, 0, 1};
  return address->bytes == kIpv6Loopback;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  return text;
}

bool IsValidPatternEntry(std::string_view entry) {
  return !entry.empty() && std::all_of(entry.begin(), entry.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '*' || c == ':';
  });
}

// A required (or, with `optional`, possibly absent or null) string member.
core::Result<std::optional<std::string>> StringMember(const Json& object, const char* name,
                                                      bool optional) {
  const auto member = object.find(name);
  if (member == object.end() || (optional && member->is_null())) {
    if (optional) {
      return std::optional<std::string>();
    }
    return core::InvalidArgument(name, std::string("missing ") + name);
  }
  if (!member->is_string()) {
    return core::InvalidArgument(name, std::string(name) + " must be a string");
  }
  return std::optional<std::string>(member->get<std::string>());
}

void AppendPair(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append("\n").append(value).append("\n");
}

}  // namespace

std::string_view SnsMessageTypeName(SnsMessageType type) {
  switch (type) {
    case SnsMessageType::kNotification: return "Notification";
    case SnsMessageType::kSubscriptionConfirmation: return "SubscriptionConfirmation";
    case SnsMessageType::kUnsubscribeConfirmation: return "UnsubscribeConfirmation";
  }
  return "Notification";
}

core::Result<SnsMessage> ParseSnsMessage(std::string_view json) {
  if (json.size() > kMaxSnsBodyBytes) {
    return core::InvalidArgument("body", "SNS message too large");
  }
  auto parsed = core::ParseJson(json, "body");
  if (!parsed.ok()) return parsed.error();
  const Json object = std::move(*parsed);
  if (!object.is_object()) {
    return core::InvalidArgument("body", "SNS message is not a JSON object");
  }

  SnsMessage message;
  // Reads one required string member into `target`; false (with `error` set) on failure.
  core::Error error;
  const auto read = [&](const char* name, std::string& target) {
    auto value = StringMember(object, name, /*optional=*/false);
    if (!value.ok()) {
      error = value.error();
      return false;
    }
    target = std::move(**value);
    return true;
  };

  std::string type;
  if (!read("Type", type)) {
    return error;
  }
  if (type == "Notification") {
    message.type = SnsMessageType::kNotification;
  } else if (type == "SubscriptionConfirmation") {
    message.type = SnsMessageType::kSubscriptionConfirmation;
  } else if (type == "UnsubscribeConfirmation") {
    message.type = SnsMessageType::kUnsubscribeConfirmation;
  } else {
    return core::InvalidArgument("Type", "unknown SNS message Type");
  }

  std::string version;
  std::string signature_base64;
  if (!read("MessageId", message.message_id) || !read("TopicArn", message.topic_arn) ||
      !read("Message", message.message) || !read("Timestamp", message.timestamp) ||
      !read("SignatureVersion", version) || !read("Signature", signature_base64) ||
      !read("SigningCertURL", message.signing_cert_url)) {
    return error;
  }
  if (version == "1") {
    message.signature_version = SnsSignatureVersion::kSha1WithRsa;
  } else if (version == "2") {
    message.signature_version = SnsSignatureVersion::kSha256WithRsa;
  } else {
    return core::InvalidArgument("SignatureVersion", "SignatureVersion must be \"1\" or \"2\"");
  }
  if (signature_base64.size() > kMaxSignatureBase64) {
    return core::InvalidArgument("Signature", "Signature too long");
  }
  auto signature = auth::Base64Decode(signature_base64);
  if (!signature.ok()) {
    return core::InvalidArgument("Signature", "Signature is not valid base64");
  }
  message.signature = std::move(*signature);

  if (message.type == SnsMessageType::kNotification) {
    auto subject = StringMember(object, "Subject", /*optional=*/true);
    auto unsubscribe_url = StringMember(object, "UnsubscribeURL", /*optional=*/true);
    if (!subject.ok()) {
      return subject.error();
    }
    if (!unsubscribe_url.ok()) {
      return unsubscribe_url.error();
    }
    message.subject = std::move(*subject);
    message.unsubscribe_url = unsubscribe_url->value_or("");
  } else if (!read("SubscribeURL", message.subscribe_url) || !read("Token", message.token)) {
    return error;
  }
  return message;
}

std::string SnsStringToSign(const SnsMessage& message) {
  std::string out;
  out.reserve(message.message.size() + 512);
  AppendPair(out, "Message", message.message);
  AppendPair(out, "MessageId", message.message_id);
  if (message.type == SnsMessageType::kNotification) {
    if (message.subject) {
      AppendPair(out, "Subject", *message.subject);
    }
    AppendPair(out, "Timestamp", message.timestamp);
  } else {
    AppendPair(out, "SubscribeURL", message.subscribe_url);
    AppendPair(out, "Timestamp", message.timestamp);
    AppendPair(out, "Token", message.token);
  }
  AppendPair(out, "TopicArn", message.topic_arn);
  AppendPair(out, "Type", SnsMessageTypeName(message.type));
  return out;
}

core::Status CheckSigningCertUrl(std::string_view url, std::string_view allowed_host_pattern) {
  const std::string field(kCertUrlField);
  auto parsed = ParseHttpUrl(url, field);
  if (!parsed.ok()) {
    return Unauthenticated(field, parsed.error().message);
  }

  bool any_entry = false;
  bool matched = false;
  bool matched_literally = false;
  std::string_view rest = allowed_host_pattern;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string entry = ToLower(TrimSpaces(rest.substr(0, comma)));
    if (entry.size() >= 2 && entry.front() == '[' && entry.back() == ']') {
      entry = entry.substr(1, entry.size() - 2);
    }
    if (!entry.empty()) {
      if (!IsValidPatternEntry(entry)) {
        return core::FailedPrecondition("invalid SNS certificate host pattern '" + entry + "'");
      }
      any_entry = true;
      if (HostMatches(parsed->host, entry)) {
        matched = true;
        matched_literally = matched_literally || entry.find('*') == std::string::npos;
      }
    }
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  if (!any_entry) {
    return core::FailedPrecondition("no SNS certificate hosts are allowed (empty pattern)");
  }
  if (!matched) {
    return Unauthenticated(field, "host '" + parsed->host + "' is not an allowed SNS host");
  }
  if (parsed->scheme != "https" && !(matched_literally && IsLoopbackHost(parsed->host))) {
    return Unauthenticated(field, "SigningCertURL must use https");
  }
  return {};
}

core::Status VerifySnsSignature(const SnsMessage& message, std::string_view certificate_pem) {
  const auto bad_certificate = [] {
    ERR_clear_error();
    return core::InvalidArgument(std::string(kCertUrlField),
                                 "signing certificate is not a PEM X.509 certificate with an "
                                 "RSA key");
  };
  if (certificate_pem.empty() || certificate_pem.size() > INT_MAX) {
    return bad_certificate();
  }
  const std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  if (!bio) {
    return bad_certificate();
  }
  const std::unique_ptr<X509, X509Free> certificate(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    return bad_certificate();
  }
  EVP_PKEY* key = X509_get0_pubkey(certificate.get());  // owned by the certificate
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
    return bad_certificate();
  }

  const EVP_MD* digest =
      message.signature_version == SnsSignatureVersion::kSha1WithRsa ? EVP_sha1() : EVP_sha256();
  const std::string signed_text = SnsStringToSign(message);
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestVerifyInit(context.get(), nullptr, digest, nullptr, key) != 1) {
    ERR_clear_error();
    return core::Internal("RSA signature verification unavailable");
  }
  const int verified = EVP_DigestVerify(
      context.get(), reinterpret_cast<const unsigned char*>(message.signature.data()),
      message.signature.size(), reinterpret_cast<const unsigned char*>(signed_text.data()),
      signed_text.size());
  if (verified != 1) {
    // 0 is a wrong signature; negative values are malformed ones (e.g. the wrong length).
    ERR_clear_error();
    return Unauthenticated("Signature", "SNS signature does not verify");
  }
  return {};
}

}  // namespace hooks
