// A webhook subscription: where to deliver, what, how fast, and the secrets that sign it.
// Stored as JSON in the store's aux records ("webhook/<id>").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "core/outbox.hpp"

namespace stockd {

struct WebhookSecret {
  std::string secret;      // whsec_...
  Timestamp expires_at{};  // epoch = the current secret; otherwise a rotated-out one
  friend bool operator==(const WebhookSecret&, const WebhookSecret&) = default;
};

struct WebhookSubscription {
  std::string id;  // "wh_" + 16 hex digits
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // CloudEvents types; empty = availability only
  std::vector<std::string> channels;     // empty = every channel
  std::vector<WebhookSecret> secrets;    // the current one first
  double rate_per_second = 100;          // deliveries per second; 0 = unlimited
  uint32_t max_attempts = 10;            // then the event goes to the dead-letter list
  int64_t timeout_ms = 5'000;
  uint32_t concurrency = 4;  // deliveries in flight at once (never two of one key)
  bool enabled = true;
  std::string disabled_reason;
  Timestamp created_at{};
  friend bool operator==(const WebhookSubscription&, const WebhookSubscription&) = default;

  bool wants(const OutboxRow& row) const;
  bool covers_channel(std::string_view channel) const;  // availability of that channel
  bool wants_stock_changes() const;
  // HMAC keys of every secret still valid at `now` (the current one first).
  std::vector<std::string> signing_keys(Timestamp now) const;
};

inline constexpr std::string_view kAvailabilityChangedType = "stockd.availability.changed";
inline constexpr std::string_view kStockChangedType = "stockd.stock.changed";

std::string encode_subscription(const WebhookSubscription& subscription);
std::optional<WebhookSubscription> decode_subscription(std::string_view json);

}  // namespace stockd
