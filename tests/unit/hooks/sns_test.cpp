#include "hooks/sns.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "testing/rsa_signer.h"

namespace {

using Json = nlohmann::json;
using namespace std::string_literals;

using Signer = testing::RsaSigner;
using testing::Base64;
using testing::Key;
using testing::SelfSignedPem;

const Signer& Sns() { return Signer::Get(0); }
const Signer& Impostor() { return Signer::Get(1); }

const char* const kCertUrl =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000.pem";

Json NotificationJson() {
  return Json{
      {"Type", "Notification"},
      {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
      {"TopicArn", "arn:aws:sns:us-east-1:123456789012:email-status"},
      {"Subject", "Amazon SES Email Event Notification"},
      {"Message", "{\"eventType\":\"Delivery\",\"mail\":{\"messageId\":\"0100\"}}\nline two"},
      {"Timestamp", "2024-10-13T15:41:08.751Z"},
      {"SignatureVersion", "2"},
      {"Signature", "AAAA"},
      {"SigningCertURL", kCertUrl},
      {"UnsubscribeURL", "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&x=1"},
  };
}

Json ConfirmationJson(const char* type) {
  return Json{
      {"Type", type},
      {"MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b"},
      {"Token", "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7"},
      {"TopicArn", "arn:aws:sns:us-east-1:123456789012:email-status"},
      {"Message",
       "You have chosen to subscribe to the topic "
       "arn:aws:sns:us-east-1:123456789012:email-status.\nTo confirm the "
       "subscription, visit the SubscribeURL included in this message."},
      {"SubscribeURL",
       "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:"
       "us-east-1:123456789012:email-status&Token=2336412f37"},
      {"Timestamp", "2024-10-13T15:40:00.000Z"},
      {"SignatureVersion", "1"},
      {"Signature", "AAAA"},
      {"SigningCertURL", kCertUrl},
  };
}

// `body` with a real signature by `signer` over its canonical string (`version` "1" or "2").
Json Signed(Json body, const Signer& signer) {
  auto parsed = hooks::ParseSnsMessage(body.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  const EVP_MD* digest = body["SignatureVersion"] == "1" ? EVP_sha1() : EVP_sha256();
  body["Signature"] = Base64(signer.Sign(digest, hooks::SnsStringToSign(*parsed)));
  return body;
}

hooks::SnsMessage Parse(const Json& body) {
  auto parsed = hooks::ParseSnsMessage(body.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  return *std::move(parsed);
}

// "ok", or "<code>/<field>".
std::string Outcome(const core::Status& status) {
  if (status.ok()) {
    return "ok";
  }
  return std::string(core::ErrorCodeName(status.error().code)) + "/" + status.error().field;
}

std::string Verify(const Json& body, const std::string& pem = Sns().certificate_pem) {
  return Outcome(hooks::VerifySnsSignature(Parse(body), pem));
}

// The field named by a parse failure, or "ok".
std::string ParseFailure(const std::string& json) {
  const auto parsed = hooks::ParseSnsMessage(json);
  if (parsed.ok()) {
    return "ok";
  }
  CHECK(parsed.error().code == core::ErrorCode::kInvalidArgument);
  return parsed.error().field;
}

std::string CertUrl(std::string_view url,
                    std::string_view pattern = hooks::kDefaultSnsCertHostPattern) {
  return Outcome(hooks::CheckSigningCertUrl(url, pattern));
}

}  // namespace

TEST_CASE("ParseSnsMessage reads a notification") {
  const hooks::SnsMessage message = Parse(NotificationJson());
  CHECK(message.type == hooks::SnsMessageType::kNotification);
  CHECK(message.message_id == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324");
  CHECK(message.topic_arn == "arn:aws:sns:us-east-1:123456789012:email-status");
  CHECK(message.subject == "Amazon SES Email Event Notification");
  CHECK(message.message.find("\nline two") != std::string::npos);  // JSON escape decoded
  CHECK(message.timestamp == "2024-10-13T15:41:08.751Z");
  CHECK(message.signature_version == hooks::SnsSignatureVersion::kSha256WithRsa);
  CHECK(message.signature == std::string(3, '\0'));  // "AAAA"
  CHECK(message.signing_cert_url == kCertUrl);
  CHECK(message.unsubscribe_url.find("Action=Unsubscribe") != std::string::npos);

  Json without_subject = NotificationJson();
  without_subject.erase("Subject");
  CHECK_FALSE(Parse(without_subject).subject.has_value());
  Json null_subject = NotificationJson();
  null_subject["Subject"] = nullptr;
  CHECK_FALSE(Parse(null_subject).subject.has_value());
  Json empty_subject = NotificationJson();
  empty_subject["Subject"] = "";
  CHECK(Parse(empty_subject).subject == "");
}

TEST_CASE("ParseSnsMessage reads confirmations") {
  const hooks::SnsMessage subscribe = Parse(ConfirmationJson("SubscriptionConfirmation"));
  CHECK(subscribe.type == hooks::SnsMessageType::kSubscriptionConfirmation);
  CHECK(subscribe.signature_version == hooks::SnsSignatureVersion::kSha1WithRsa);
  CHECK(subscribe.subscribe_url.rfind("https://sns.us-east-1.amazonaws.com/?Action=", 0) == 0);
  CHECK(subscribe.token.size() == 73);
  CHECK_FALSE(subscribe.subject.has_value());
  CHECK(Parse(ConfirmationJson("UnsubscribeConfirmation")).type ==
        hooks::SnsMessageType::kUnsubscribeConfirmation);
}

TEST_CASE("ParseSnsMessage refuses missing, mistyped and unknown values") {
  CHECK(ParseFailure("") == "body");
  CHECK(ParseFailure("not json") == "body");
  CHECK(ParseFailure("[]") == "body");
  CHECK(ParseFailure(std::string(hooks::kMaxSnsBodyBytes + 1, ' ')) == "body");
  for (const char* name : {"Type", "MessageId", "TopicArn", "Message", "Timestamp",
                           "SignatureVersion", "Signature", "SigningCertURL"}) {
    CAPTURE(name);
    Json missing = NotificationJson();
    missing.erase(name);
    CHECK(ParseFailure(missing.dump()) == name);
    Json number = NotificationJson();
    number[name] = 2;
    CHECK(ParseFailure(number.dump()) == name);
  }
  for (const char* name : {"SubscribeURL", "Token"}) {
    CAPTURE(name);
    Json missing = ConfirmationJson("SubscriptionConfirmation");
    missing.erase(name);
    CHECK(ParseFailure(missing.dump()) == name);
  }
  Json subject = NotificationJson();
  subject["Subject"] = Json::array();
  CHECK(ParseFailure(subject.dump()) == "Subject");
  Json type = NotificationJson();
  type["Type"] = "notification";
  CHECK(ParseFailure(type.dump()) == "Type");
}

TEST_CASE("ParseSnsMessage accepts only SignatureVersion 1 and 2") {
  for (const char* version : {"", "0", "3", "2 ", "v2", "SHA256withRSA"}) {
    CAPTURE(version);
    Json body = NotificationJson();
    body["SignatureVersion"] = version;
    CHECK(ParseFailure(body.dump()) == "SignatureVersion");
  }
}

TEST_CASE("ParseSnsMessage refuses a Signature that is not strict base64") {
  for (const char* signature : {"", "A", "AAA", "AA=A", "AA==AA==", "YQ", "YR==", "Y===", "-_-_",
                                "AA A", "AA\nA=", "QUJD!"}) {
    CAPTURE(signature);
    Json body = NotificationJson();
    body["Signature"] = signature;
    CHECK(ParseFailure(body.dump()) == "Signature");
  }
  Json plus_slash = NotificationJson();
  plus_slash["Signature"] = "+/+/";
  CHECK(Parse(plus_slash).signature == "\xfb\xff\xbf"s);
  Json padded = NotificationJson();
  padded["Signature"] = "YQ==";
  CHECK(Parse(padded).signature == "a");
  Json huge = NotificationJson();
  huge["Signature"] = std::string(2000, 'A');
  CHECK(ParseFailure(huge.dump()) == "Signature");
}

TEST_CASE("SnsStringToSign: notification with and without Subject") {
  Json body = NotificationJson();
  body["Message"] = "hello\nworld";
  CHECK(hooks::SnsStringToSign(Parse(body)) ==
        "Message\nhello\nworld\n"
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        "Subject\nAmazon SES Email Event Notification\n"
        "Timestamp\n2024-10-13T15:41:08.751Z\n"
        "TopicArn\narn:aws:sns:us-east-1:123456789012:email-status\n"
        "Type\nNotification\n");
  body.erase("Subject");
  CHECK(hooks::SnsStringToSign(Parse(body)) ==
        "Message\nhello\nworld\n"
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        "Timestamp\n2024-10-13T15:41:08.751Z\n"
        "TopicArn\narn:aws:sns:us-east-1:123456789012:email-status\n"
        "Type\nNotification\n");
}

TEST_CASE("SnsStringToSign: confirmations include SubscribeURL and Token") {
  Json body = ConfirmationJson("UnsubscribeConfirmation");
  body["Message"] = "m";
  body["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription";
  body["Token"] = "tok";
  body["Subject"] = "ignored for confirmations";
  CHECK(hooks::SnsStringToSign(Parse(body)) ==
        "Message\nm\n"
        "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
        "SubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription\n"
        "Timestamp\n2024-10-13T15:40:00.000Z\n"
        "Token\ntok\n"
        "TopicArn\narn:aws:sns:us-east-1:123456789012:email-status\n"
        "Type\nUnsubscribeConfirmation\n");
}

TEST_CASE("VerifySnsSignature accepts genuine signatures of both versions and all types") {
  Json v2 = NotificationJson();
  CHECK(Verify(Signed(v2, Sns())) == "ok");
  Json v1 = NotificationJson();
  v1["SignatureVersion"] = "1";
  CHECK(Verify(Signed(v1, Sns())) == "ok");
  Json no_subject = NotificationJson();
  no_subject.erase("Subject");
  CHECK(Verify(Signed(no_subject, Sns())) == "ok");
  CHECK(Verify(Signed(ConfirmationJson("SubscriptionConfirmation"), Sns())) == "ok");
  CHECK(Verify(Signed(ConfirmationJson("UnsubscribeConfirmation"), Sns())) == "ok");
  // UnsubscribeURL is not signed, so changing it does not matter.
  Json unsigned_member = Signed(NotificationJson(), Sns());
  unsigned_member["UnsubscribeURL"] = "https://elsewhere.example/";
  CHECK(Verify(unsigned_member) == "ok");
}

TEST_CASE("VerifySnsSignature refuses tampered messages") {
  const Json genuine = Signed(NotificationJson(), Sns());
  const std::string refused = "unauthenticated/Signature";
  Json message = genuine;
  message["Message"] = "{\"eventType\":\"Bounce\"}";
  CHECK(Verify(message) == refused);
  Json subject = genuine;
  subject["Subject"] = "Other";
  CHECK(Verify(subject) == refused);
  Json no_subject = genuine;
  no_subject.erase("Subject");
  CHECK(Verify(no_subject) == refused);
  Json topic = genuine;
  topic["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:email-status";
  CHECK(Verify(topic) == refused);
  Json timestamp = genuine;
  timestamp["Timestamp"] = "2024-10-13T15:41:08.752Z";
  CHECK(Verify(timestamp) == refused);

  Json token = Signed(ConfirmationJson("SubscriptionConfirmation"), Sns());
  token["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&x=y";
  CHECK(Verify(token) == refused);
  // The type is signed too: a confirmation cannot be replayed as an unsubscription.
  Json retyped = Signed(ConfirmationJson("SubscriptionConfirmation"), Sns());
  retyped["Type"] = "UnsubscribeConfirmation";
  CHECK(Verify(retyped) == refused);
}

TEST_CASE("VerifySnsSignature refuses the wrong version, key or signature bytes") {
  Json relabelled = Signed(NotificationJson(), Sns());  // signed as version 2 (SHA-256)
  relabelled["SignatureVersion"] = "1";
  CHECK(Verify(relabelled) == "unauthenticated/Signature");

  CHECK(Verify(Signed(NotificationJson(), Impostor())) == "unauthenticated/Signature");
  CHECK(Verify(Signed(NotificationJson(), Sns()), Impostor().certificate_pem) ==
        "unauthenticated/Signature");

  Json short_signature = Signed(NotificationJson(), Sns());
  short_signature["Signature"] = "AAAA";
  CHECK(Verify(short_signature) == "unauthenticated/Signature");
}

TEST_CASE("VerifySnsSignature needs a PEM certificate with an RSA key") {
  const Json genuine = Signed(NotificationJson(), Sns());
  const std::string bad = "invalid_argument/SigningCertURL";
  CHECK(Verify(genuine, "") == bad);
  CHECK(Verify(genuine, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") == bad);
  CHECK(Verify(genuine, "<html>Access Denied</html>") == bad);
  const std::string pem = Sns().certificate_pem;
  CHECK(Verify(genuine, pem.substr(0, pem.size() / 2)) == bad);

  const Key ec_key(EVP_EC_gen("P-256"));
  REQUIRE(ec_key != nullptr);
  CHECK(Verify(genuine, SelfSignedPem(ec_key.get())) == bad);
}

TEST_CASE("CheckSigningCertUrl with the default pattern") {
  CHECK(CertUrl(kCertUrl) == "ok");
  CHECK(CertUrl("https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-x.pem") == "ok");
  CHECK(CertUrl("https://SNS.US-EAST-1.AMAZONAWS.COM/cert.pem") == "ok");
  CHECK(CertUrl("https://sns.us-gov-west-1.amazonaws.com:443/cert.pem") == "ok");

  const std::string refused = "unauthenticated/SigningCertURL";
  CHECK(CertUrl("http://sns.us-east-1.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://evil.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns..amazonaws.com/cert.pem") == refused);
  // userinfo and suffix tricks
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.com@evil.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.com:443@evil.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.com.evil.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.com.cn.evil.com/cert.pem") == refused);
  CHECK(CertUrl("https://evil.com/sns.us-east-1.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://evil.com?sns.us-east-1.amazonaws.com") == refused);
  CHECK(CertUrl("https://evil.com#sns.us-east-1.amazonaws.com") == refused);
  CHECK(CertUrl("https://evil.com\\@sns.us-east-1.amazonaws.com/") == refused);
  CHECK(CertUrl("https://xsns.us-east-1.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.comx/cert.pem") == refused);
  CHECK(CertUrl("https://sns.us-east-1.evil.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.com./cert.pem") == refused);
  CHECK(CertUrl("https://sns.us%2deast-1.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://evilsns.us-east-1.amazonaws.com/cert.pem") == refused);
  // S3 bucket endpoints: anyone can own a bucket called "sns".
  CHECK(CertUrl("https://sns.s3.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.s3-accelerate.amazonaws.com/cert.pem") == refused);
  CHECK(CertUrl("https://sns.s3-us-west-2.amazonaws.com/cert.pem") == refused);
  // The default never allows loopback or plain http.
  CHECK(CertUrl("http://127.0.0.1:8080/cert.pem") == refused);
  CHECK(CertUrl("https://127.0.0.1/cert.pem") == refused);
  CHECK(CertUrl("file:///etc/ssl/cert.pem") == refused);
}

TEST_CASE("CheckSigningCertUrl with configured patterns") {
  const std::string refused = "unauthenticated/SigningCertURL";
  CHECK(CertUrl("https://sns.cn-north-1.amazonaws.com.cn/c.pem", "sns.*.amazonaws.com") == refused);
  CHECK(CertUrl("https://sns.cn-north-1.amazonaws.com.cn/c.pem",
                "sns.*.amazonaws.com, sns.*.amazonaws.com.cn") == "ok");
  CHECK(CertUrl("https://sns.us-east-1.amazonaws.com/c.pem", "sns.us-east-1.amazonaws.com") ==
        "ok");
  CHECK(CertUrl("https://sns.us-west-2.amazonaws.com/c.pem", "sns.us-east-1.amazonaws.com") ==
        refused);
  CHECK(CertUrl("https://certs.example.com/c.pem", "*.example.com") == "ok");
  CHECK(CertUrl("https://a.certs.example.com/c.pem", "*.example.com") == refused);
  CHECK(CertUrl("https://example.com/c.pem", "*.example.com") == refused);
  CHECK(CertUrl("https://sns-1.example.com/c.pem", "sns-*.example.com") == "ok");
  CHECK(CertUrl("https://sns-.example.com/c.pem", "sns-*.example.com") == refused);

  const auto empty = hooks::CheckSigningCertUrl(kCertUrl, " , ");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == core::ErrorCode::kFailedPrecondition);
  const auto invalid = hooks::CheckSigningCertUrl(kCertUrl, "sns.*.amazonaws.com/");
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().code == core::ErrorCode::kFailedPrecondition);
}

TEST_CASE("CheckSigningCertUrl allows http only for a loopback host named literally") {
  const std::string refused = "unauthenticated/SigningCertURL";
  CHECK(CertUrl("http://127.0.0.1:41234/cert.pem", "127.0.0.1") == "ok");
  CHECK(CertUrl("https://127.0.0.1:41234/cert.pem", "127.0.0.1") == "ok");
  CHECK(CertUrl("http://localhost:8080/cert.pem", "localhost") == "ok");
  CHECK(CertUrl("http://[::1]:8080/cert.pem", "[::1]") == "ok");
  CHECK(CertUrl("http://[::1]:8080/cert.pem", "::1") == "ok");
  CHECK(CertUrl("http://127.0.0.1:41234/cert.pem", "sns.*.amazonaws.com,127.0.0.1") == "ok");
  // Matching by wildcard is never explicit enough for http.
  CHECK(CertUrl("http://127.0.0.1:41234/cert.pem", "127.0.0.*") == refused);
  CHECK(CertUrl("https://127.0.0.1:41234/cert.pem", "127.0.0.*") == "ok");
  // A literal entry for a host that is not loopback still needs https.
  CHECK(CertUrl("http://10.0.0.5/cert.pem", "10.0.0.5") == refused);
  CHECK(CertUrl("http://certs.internal/cert.pem", "certs.internal") == refused);
  // Only the host named: other loopback spellings do not match.
  CHECK(CertUrl("http://127.0.0.2/cert.pem", "127.0.0.1") == refused);
  CHECK(CertUrl("http://127.1/cert.pem", "127.0.0.1") == refused);
  CHECK(CertUrl("http://localhost/cert.pem", "127.0.0.1") == refused);
  CHECK(CertUrl("http://127.0.0.1@evil.com/cert.pem", "127.0.0.1") == refused);
  CHECK(CertUrl("http://127.0.0.1.evil.com/cert.pem", "127.0.0.1") == refused);
}
