// Outbox rows as CloudEvents 1.0 (https://cloudevents.io): structured mode (one JSON
// document, for webhooks) and binary mode (ce_ headers plus the data, for Kafka).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "core/outbox.hpp"

namespace stockd {

inline constexpr std::string_view kCloudEventSource = "/stockd";

// `data`: what changed, the sequence receivers order by, and the fact's occurred_at so
// they can measure lag.
boost::json::object cloud_event_data(const OutboxRow& row);
// The whole event, structured mode.
std::string cloud_event_json(const OutboxRow& row);
// Binary mode: (header, value) pairs; the data JSON is the message value.
std::vector<std::pair<std::string, std::string>> cloud_event_headers(const OutboxRow& row);

}  // namespace stockd
