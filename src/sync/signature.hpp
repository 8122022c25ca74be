// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
// "id.timestamp.body", keyed by the decoded bytes of a `whsec_<base64>` secret, sent as
// `webhook-signature: v1,<base64> [v1,<base64> ...]` (one per valid secret while a
// secret is rotated). Pure: no clock, no I/O (the caller passes `now`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stockd {

inline constexpr size_t kWebhookSecretBytesMin = 24;
inline constexpr int64_t kWebhookToleranceSeconds = 300;

// The HMAC key of a `whsec_` secret; nullopt unless it is the prefix plus valid base64
// of at least kWebhookSecretBytesMin bytes.
std::optional<std::string> webhook_secret_key(std::string_view secret);
// A fresh secret: `whsec_` + base64 of 32 random bytes (OpenSSL's RAND_bytes).
std::string new_webhook_secret();

// `v1,<sig>` for each key, space-separated.
std::string webhook_signature(std::string_view id, int64_t timestamp_seconds, std::string_view body,
                              const std::vector<std::string>& keys);

enum class SignatureCheck : uint8_t {
  ok,
  missing_headers,    // webhook-id, webhook-timestamp or webhook-signature absent
  bad_timestamp,      // not an integer
  outside_tolerance,  // more than kWebhookToleranceSeconds from now
  no_match,           // no v1 signature matches any key
};
std::string_view signature_check_name(SignatureCheck check);

SignatureCheck verify_webhook_signature(std::string_view id, std::string_view timestamp,
                                        std::string_view signatures, std::string_view body,
                                        const std::vector<std::string>& keys, int64_t now_seconds,
                                        int64_t tolerance_seconds = kWebhookToleranceSeconds);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace stockd
