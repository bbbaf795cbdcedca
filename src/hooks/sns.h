#pragma once
// Verification of the Amazon SNS messages that SES event notifications arrive in (POST
// /email-status), per
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html. Pure: fetching
// and caching the signing certificate is the caller's job. A handler does
//
//   1. ParseSnsMessage(body)
//   2. CheckSigningCertUrl(message.signing_cert_url, configured pattern)
//   3. fetch the PEM at that URL (over the same checked URL; cache it by URL)
//   4. VerifySnsSignature(message, pem)
//   5. only then act: compare topic_arn with the configured topic, and for a
//      SubscriptionConfirmation visit subscribe_url after checking it with
//      CheckSigningCertUrl too (it must point at SNS, not wherever the body says).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hooks {

// Bodies larger than this are refused unparsed (SNS messages are at most 256 KiB, and JSON
// escaping can at most about double that).
inline constexpr std::size_t kMaxSnsBodyBytes = std::size_t{1024} * 1024;

// The hosts Amazon SNS serves its signing certificates from, in the pattern syntax of
// CheckSigningCertUrl. China regions use sns.<region>.amazonaws.com.cn: append
// ",sns.*.amazonaws.com.cn" when subscribing there.
inline constexpr std::string_view kDefaultSnsCertHostPattern = "sns.*.amazonaws.com";

enum class SnsMessageType { kNotification, kSubscriptionConfirmation, kUnsubscribeConfirmation };
// The wire name: "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation".
std::string_view SnsMessageTypeName(SnsMessageType type);

enum class SnsSignatureVersion {
  kSha1WithRsa,    // SignatureVersion "1"
  kSha256WithRsa,  // SignatureVersion "2"
};

// One SNS HTTP(S) delivery. String fields hold the JSON string values decoded (escapes such
// as \n turned into the characters they stand for), which is what SNS signs.
struct SnsMessage {
  SnsMessageType type = SnsMessageType::kNotification;
  std::string message_id;
  std::string topic_arn;
  std::optional<std::string> subject;  // notifications only; absent (or JSON null) if unset
  std::string message;
  std::string timestamp;  // ISO 8601 as sent, e.g. "2012-04-26T20:45:04.751Z"
  SnsSignatureVersion signature_version = SnsSignatureVersion::kSha256WithRsa;
  std::string signature;  // the raw signature bytes, decoded from the base64 "Signature"
  std::string signing_cert_url;
  std::string subscribe_url;    // confirmations only
  std::string token;            // confirmations only
  std::string unsubscribe_url;  // notifications only; not covered by the signature
};

// Reads an SNS JSON body. Required for every type: Type, MessageId, TopicArn, Message,
// Timestamp, SignatureVersion ("1" or "2"), Signature (standard padded base64), and
// SigningCertURL; for the two confirmation types also SubscribeURL and Token. Subject is read
// for notifications (a non-string, non-null Subject is an error). All values must be JSON
// strings. Unknown members are ignored. Errors are kInvalidArgument naming the member at
// fault (field "body" when it is not a JSON object or is larger than kMaxSnsBodyBytes).
core::Result<SnsMessage> ParseSnsMessage(std::string_view json);

// The canonical string SNS signs: "<Name>\n<value>\n" for each of these, in this order:
//   Notification:  Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type
//   Subscription/UnsubscribeConfirmation:
//                  Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type
std::string SnsStringToSign(const SnsMessage& message);

// Decides whether a certificate (or SubscribeURL) URL may be fetched. `allowed_host_pattern`
// is a comma-separated list of host patterns, compared case-insensitively with the URL's host
// (spaces around entries ignored):
//   * a literal entry ("127.0.0.1", "sns.us-east-1.amazonaws.com", "[::1]") matches that host;
//   * '*' in an entry matches one or more characters of a single DNS label (letters, digits,
//     '-', '_'; never '.'), so "sns.*.amazonaws.com" matches sns.us-east-1.amazonaws.com but
//     not sns.amazonaws.com, sns.a.b.amazonaws.com or sns.us-east-1.amazonaws.com.evil.com.
//     A wildcard never matches a label starting with "s3": S3 serves any bucket at
//     <bucket>.s3[-...].amazonaws.com with a valid certificate, so whoever owns a bucket named
//     "sns" would otherwise match sns.*.amazonaws.com.
// The URL must also parse (hooks/url.h: no credentials, so https://sns.x.amazonaws.com@evil.com/
// is refused) and use https. The one exception is for tests and local fakes: plain http is
// accepted when the host is a loopback address ("localhost", 127.0.0.0/8 or ::1) AND the entry
// that matched it names that host literally, without '*'. The default pattern therefore never
// allows http; configuring "127.0.0.1" allows http://127.0.0.1:<any port>/... and nothing else.
// Ports are not restricted. Rejections are kUnauthenticated with field "SigningCertURL"; an
// empty pattern is kFailedPrecondition (nothing can be trusted).
core::Status CheckSigningCertUrl(std::string_view url, std::string_view allowed_host_pattern);

// Checks message.signature over SnsStringToSign(message) with the public key of the X.509
// certificate `certificate_pem` (the PEM at SigningCertURL): RSA PKCS#1 v1.5 with SHA-1 for
// version 1, SHA-256 for version 2. The certificate's key must be RSA; its validity dates and
// issuer are not checked here (the URL check is what makes the certificate trusted).
// kInvalidArgument (field "SigningCertURL") when the PEM holds no X.509 certificate with an
// RSA key; kUnauthenticated (field "Signature") when the signature does not verify.
core::Status VerifySnsSignature(const SnsMessage& message, std::string_view certificate_pem);

}  // namespace hooks
