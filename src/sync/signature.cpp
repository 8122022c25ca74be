#include "sync/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <cstdlib>

namespace stockd {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

std::string hmac_sha256(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string signed_content(std::string_view id, std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).push_back('.');
  content.append(timestamp).push_back('.');
  content.append(body);
  return content;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  for (const char c : text) {
    const bool valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/' || c == '=';
    if (!valid) return std::nullopt;
  }
  std::string out(3 * text.size() / 4, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  size_t padding = 0;
  if (text.ends_with("==")) {
    padding = 2;
  } else if (text.ends_with('=')) {
    padding = 1;
  }
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

std::optional<std::string> webhook_secret_key(std::string_view secret) {
  if (!secret.starts_with(kSecretPrefix)) return std::nullopt;
  auto key = base64_decode(secret.substr(kSecretPrefix.size()));
  if (!key || key->size() < kWebhookSecretBytesMin || key->size() > 64) return std::nullopt;
  return key;
}

std::string new_webhook_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no entropy: nothing is safe
  return std::string(kSecretPrefix) +
         base64_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string webhook_signature(std::string_view id, int64_t timestamp_seconds, std::string_view body,
                              const std::vector<std::string>& keys) {
  const std::string content = signed_content(id, std::to_string(timestamp_seconds), body);
  std::string header;
  for (const std::string& key : keys) {
    if (!header.empty()) header.push_back(' ');
    header += "v1,";
    header += base64_encode(hmac_sha256(key, content));
  }
  return header;
}

std::string_view signature_check_name(SignatureCheck check) {
  switch (check) {
    case SignatureCheck::ok:
      return "ok";
    case SignatureCheck::missing_headers:
      return "missing_headers";
    case SignatureCheck::bad_timestamp:
      return "bad_timestamp";
    case SignatureCheck::outside_tolerance:
      return "outside_tolerance";
    case SignatureCheck::no_match:
      return "no_match";
  }
  return "unknown";
}

SignatureCheck verify_webhook_signature(std::string_view id, std::string_view timestamp,
                                        std::string_view signatures, std::string_view body,
                                        const std::vector<std::string>& keys, int64_t now_seconds,
                                        int64_t tolerance_seconds) {
  if (id.empty() || timestamp.empty() || signatures.empty()) return SignatureCheck::missing_headers;
  int64_t at = 0;
  const auto [end, error] =
      std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), at);
  if (error != std::errc{} || end != timestamp.data() + timestamp.size()) {
    return SignatureCheck::bad_timestamp;
  }
  if (at > now_seconds + tolerance_seconds || at < now_seconds - tolerance_seconds) {
    return SignatureCheck::outside_tolerance;
  }
  const std::string content = signed_content(id, timestamp, body);
  std::vector<std::string> expected;
  for (const std::string& key : keys) expected.push_back(base64_encode(hmac_sha256(key, content)));
  while (!signatures.empty()) {
    const size_t space = signatures.find(' ');
    const std::string_view one = signatures.substr(0, space);
    signatures =
        space == std::string_view::npos ? std::string_view{} : signatures.substr(space + 1);
    if (!one.starts_with("v1,")) continue;
    const std::string_view value = one.substr(3);
    for (const std::string& candidate : expected) {
      if (candidate.size() == value.size() &&
          CRYPTO_memcmp(candidate.data(), value.data(), value.size()) == 0) {
        return SignatureCheck::ok;
      }
    }
  }
  return SignatureCheck::no_match;
}

}  // namespace stockd
