#include "sync/cloud_event.hpp"

#include <boost/json/serialize.hpp>

#include "codec/json.hpp"

namespace stockd {

boost::json::object cloud_event_data(const OutboxRow& row) {
  boost::json::object data;
  data["sku"] = row.sku;
  if (row.kind == OutboxKind::availability_changed) {
    data["channel"] = row.channel;
    data["available"] = row.available;
    boost::json::array locations;
    for (const OutboxLocation& location : row.locations) {
      locations.push_back(boost::json::object{{"location", location.location},
                                              {"available", location.available},
                                              {"version", location.version}});
    }
    data["locations"] = std::move(locations);
  } else {
    boost::json::object position = position_json(PositionView{row.location, row.position});
    for (auto& [key, value] : position) data[key] = std::move(value);
  }
  data["sequence"] = row.sequence;
  data["shard"] = row.shard;
  data["occurred_at"] = format_rfc3339(row.occurred_at);
  data["recorded_at"] = format_rfc3339(row.recorded_at);
  return data;
}

std::string cloud_event_json(const OutboxRow& row) {
  boost::json::object event;
  event["specversion"] = "1.0";
  event["id"] = outbox_event_id(row);
  event["source"] = kCloudEventSource;
  event["type"] = outbox_kind_type(row.kind);
  event["subject"] = row.sku;
  event["time"] = format_rfc3339(row.recorded_at);
  event["datacontenttype"] = "application/json";
  event["data"] = cloud_event_data(row);
  return boost::json::serialize(event);
}

std::vector<std::pair<std::string, std::string>> cloud_event_headers(const OutboxRow& row) {
  return {{"ce_specversion", "1.0"},
          {"ce_id", outbox_event_id(row)},
          {"ce_source", std::string(kCloudEventSource)},
          {"ce_type", std::string(outbox_kind_type(row.kind))},
          {"ce_subject", row.sku},
          {"ce_time", format_rfc3339(row.recorded_at)},
          {"content-type", "application/json"}};
}

}  // namespace stockd
