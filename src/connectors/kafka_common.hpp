// librdkafka configuration shared by the consumer and the producer. Internal.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

#include "connectors/kafka.hpp"
#include "connectors/kafka_conf.hpp"

namespace stockd::kafka_detail {

inline bool set_all(rd_kafka_conf_t* conf, const KafkaOptions& options, std::string* error) {
  if (!set(conf, "bootstrap.servers", options.brokers, error)) return false;
  if (!set(conf, "client.id", "stockd", error)) return false;
  for (const auto& [key, value] : options.properties) {
    if (!set(conf, key, value, error)) return false;
  }
  return true;
}

}  // namespace stockd::kafka_detail
