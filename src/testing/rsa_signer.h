#pragma once
// Keys with self-signed certificates, for tests that sign what outbox verifies (SNS
// messages): the key, its certificate as PEM (what SNS serves at SigningCertURL), signing and
// base64. Key generation is slow, so each of the two signers is made once per process.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace testing {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

inline void Require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(what);
}

// A self-signed certificate (CN sns.amazonaws.com, valid an hour) for `key`, as PEM.
inline std::string SelfSignedPem(EVP_PKEY* key) {
  const std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), &X509_free);
  Require(certificate != nullptr, "X509_new");
  X509* cert = certificate.get();
  Require(X509_set_version(cert, 2) == 1, "X509_set_version");
  Require(ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1, "serial");
  Require(X509_gmtime_adj(X509_getm_notBefore(cert), 0) != nullptr, "notBefore");
  Require(X509_gmtime_adj(X509_getm_notAfter(cert), 3600) != nullptr, "notAfter");
  Require(X509_set_pubkey(cert, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert);
  Require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("sns.amazonaws.com"),
                                     -1, -1, 0) == 1,
          "subject");
  Require(X509_set_issuer_name(cert, name) == 1, "issuer");
  Require(X509_sign(cert, key, EVP_sha256()) > 0, "X509_sign");
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  Require(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}
struct RsaSigner {
  Key key;
  std::string certificate_pem;

  // The signature of `text` (PKCS#1 v1.5 with `digest`, e.g. EVP_sha256()).
  std::string Sign(const EVP_MD* digest, std::string_view text) const {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                          &EVP_MD_CTX_free);
    Require(context && EVP_DigestSignInit(context.get(), nullptr, digest, nullptr, key.get()) == 1,
            "EVP_DigestSignInit");
    std::size_t length = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(text.data());
    Require(EVP_DigestSign(context.get(), nullptr, &length, data, text.size()) == 1, "size");
    std::string signature(length, '\0');
    Require(EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()),
                           &length, data, text.size()) == 1,
            "EVP_DigestSign");
    signature.resize(length);
    return signature;
  }

  // 0: the signer a test trusts; 1: an impostor with its own key and certificate.
  static const RsaSigner& Get(int which) {
    static const RsaSigner kTrusted = Make();
    static const RsaSigner kImpostor = Make();
    return which == 0 ? kTrusted : kImpostor;
  }

 private:
  static RsaSigner Make() {
    RsaSigner signer{Key(EVP_RSA_gen(2048)), {}};
    Require(signer.key != nullptr, "EVP_RSA_gen");
    signer.certificate_pem = SelfSignedPem(signer.key.get());
    return signer;
  }
};

// Standard base64 with padding.
inline std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

}  // namespace testing
