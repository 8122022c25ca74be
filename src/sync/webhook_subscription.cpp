#include "sync/webhook_subscription.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "sync/signature.hpp"

namespace stockd {

bool WebhookSubscription::wants(const OutboxRow& row) const {
  const std::string_view type = outbox_kind_type(row.kind);
  const bool type_wanted = event_types.empty() ? type == kAvailabilityChangedType
                                               : std::find(event_types.begin(), event_types.end(),
                                                           type) != event_types.end();
  if (!type_wanted) return false;
  if (row.kind != OutboxKind::availability_changed || channels.empty()) return true;
  return std::find(channels.begin(), channels.end(), row.channel) != channels.end();
}

bool WebhookSubscription::covers_channel(std::string_view channel) const {
  const bool availability =
      event_types.empty() || std::find(event_types.begin(), event_types.end(),
                                       kAvailabilityChangedType) != event_types.end();
  if (!availability) return false;
  return channels.empty() || std::find(channels.begin(), channels.end(), channel) != channels.end();
}

bool WebhookSubscription::wants_stock_changes() const {
  return std::find(event_types.begin(), event_types.end(), kStockChangedType) != event_types.end();
}

std::vector<std::string> WebhookSubscription::signing_keys(Timestamp now) const {
  std::vector<std::string> keys;
  for (const WebhookSecret& secret : secrets) {
    if (secret.expires_at != Timestamp{} && secret.expires_at <= now) continue;
    if (auto key = webhook_secret_key(secret.secret)) keys.push_back(std::move(*key));
  }
  return keys;
}

std::string encode_subscription(const WebhookSubscription& s) {
  boost::json::object out;
  out["id"] = s.id;
  out["url"] = s.url;
  out["description"] = s.description;
  boost::json::array types(s.event_types.begin(), s.event_types.end());
  out["event_types"] = std::move(types);
  boost::json::array channels(s.channels.begin(), s.channels.end());
  out["channels"] = std::move(channels);
  boost::json::array secrets;
  for (const WebhookSecret& secret : s.secrets) {
    secrets.push_back(boost::json::object{{"secret", secret.secret},
                                          {"expires_at_us", micros_of(secret.expires_at)}});
  }
  out["secrets"] = std::move(secrets);
  out["rate_per_second"] = s.rate_per_second;
  out["max_attempts"] = s.max_attempts;
  out["timeout_ms"] = s.timeout_ms;
  out["concurrency"] = s.concurrency;
  out["enabled"] = s.enabled;
  out["disabled_reason"] = s.disabled_reason;
  out["created_at_us"] = micros_of(s.created_at);
  return boost::json::serialize(out);
}

std::optional<WebhookSubscription> decode_subscription(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  try {
    const boost::json::object& in = parsed.as_object();
    WebhookSubscription s;
    s.id = in.at("id").as_string();
    s.url = in.at("url").as_string();
    s.description = in.at("description").as_string();
    for (const auto& type : in.at("event_types").as_array())
      s.event_types.emplace_back(type.as_string());
    for (const auto& channel : in.at("channels").as_array())
      s.channels.emplace_back(channel.as_string());
    for (const auto& item : in.at("secrets").as_array()) {
      const auto& secret = item.as_object();
      s.secrets.push_back({std::string(secret.at("secret").as_string()),
                           timestamp_from_micros(secret.at("expires_at_us").to_number<int64_t>())});
    }
    s.rate_per_second = in.at("rate_per_second").to_number<double>();
    s.max_attempts = in.at("max_attempts").to_number<uint32_t>();
    s.timeout_ms = in.at("timeout_ms").to_number<int64_t>();
    if (const auto* concurrency = in.if_contains("concurrency")) {
      s.concurrency = concurrency->to_number<uint32_t>();
    }
    s.enabled = in.at("enabled").as_bool();
    s.disabled_reason = in.at("disabled_reason").as_string();
    s.created_at = timestamp_from_micros(in.at("created_at_us").to_number<int64_t>());
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace stockd
