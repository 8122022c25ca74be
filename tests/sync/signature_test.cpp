#include "sync/signature.hpp"

#include <gtest/gtest.h>

namespace stockd {
namespace {

// The Standard Webhooks specification's example (also Svix's documented one).
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr char kBody[] = R"({"test": 2432232314})";
constexpr char kSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(WebhookSignature, MatchesTheSpecificationsExample) {
  const auto key = webhook_secret_key(kSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(webhook_signature(kId, kTimestamp, kBody, {*key}), kSignature);
  EXPECT_EQ(verify_webhook_signature(kId, "1614265330", kSignature, kBody, {*key}, kTimestamp),
            SignatureCheck::ok);
}

TEST(WebhookSignature, RefusesTamperingStaleTimestampsAndWrongKeys) {
  const std::string key = *webhook_secret_key(kSecret);
  const std::string other = *webhook_secret_key(new_webhook_secret());
  EXPECT_EQ(
      verify_webhook_signature(kId, "1614265330", kSignature, R"({"test": 1})", {key}, kTimestamp),
      SignatureCheck::no_match);
  EXPECT_EQ(verify_webhook_signature(kId, "1614265330", kSignature, kBody, {other}, kTimestamp),
            SignatureCheck::no_match);
  EXPECT_EQ(verify_webhook_signature(kId, "1614265330", kSignature, kBody, {key},
                                     kTimestamp + kWebhookToleranceSeconds + 1),
            SignatureCheck::outside_tolerance);
  EXPECT_EQ(verify_webhook_signature(kId, "16142x", kSignature, kBody, {key}, kTimestamp),
            SignatureCheck::bad_timestamp);
  EXPECT_EQ(verify_webhook_signature("", "1614265330", kSignature, kBody, {key}, kTimestamp),
            SignatureCheck::missing_headers);
  EXPECT_EQ(verify_webhook_signature(kId, "1614265330", "v2,abc", kBody, {key}, kTimestamp),
            SignatureCheck::no_match);
}

TEST(WebhookSignature, OneSignaturePerKeyWhileRotatingAndEitherVerifies) {
  const std::string old_key = *webhook_secret_key(kSecret);
  const std::string new_key = *webhook_secret_key(new_webhook_secret());
  const std::string header = webhook_signature(kId, kTimestamp, kBody, {new_key, old_key});
  EXPECT_NE(header.find(' '), std::string::npos);
  EXPECT_EQ(verify_webhook_signature(kId, "1614265330", header, kBody, {old_key}, kTimestamp),
            SignatureCheck::ok);
  EXPECT_EQ(verify_webhook_signature(kId, "1614265330", header, kBody, {new_key}, kTimestamp),
            SignatureCheck::ok);
}

TEST(WebhookSignature, SecretsAreWhsecBase64OfAtLeast24Bytes) {
  EXPECT_FALSE(webhook_secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // no prefix
  EXPECT_FALSE(webhook_secret_key("whsec_c2hvcnQ="));                    // 5 bytes
  EXPECT_FALSE(webhook_secret_key("whsec_not base64!"));
  const std::string fresh = new_webhook_secret();
  ASSERT_TRUE(webhook_secret_key(fresh));
  EXPECT_EQ(webhook_secret_key(fresh)->size(), 32u);
  EXPECT_NE(fresh, new_webhook_secret());
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int length = 0; length < 40; ++length) {
    if (length > 0) {
      EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << length;
    }
    bytes.push_back(static_cast<char>(length * 37));
  }
}

}  // namespace
}  // namespace stockd
