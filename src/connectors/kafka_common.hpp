// librdkafka configuration shared by the consumer and the producer. Internal.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

#include "connectors/kafka.hpp"

namespace stockd::kafka_detail {

// Sets one property; false (and `error`) when librdkafka refuses it.
inline bool set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                std::string* error) {
  char message[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), message, sizeof message) !=
      RD_KAFKA_CONF_OK) {
    *error = "kafka property " + key + ": " + message;
    return false;
  }
  return true;
}

inline bool set_all(rd_kafka_conf_t* conf, const KafkaOptions& options, std::string* error) {
  if (!set(conf, "bootstrap.servers", options.brokers, error)) return false;
  if (!set(conf, "client.id", "stockd", error)) return false;
  for (const auto& [key, value] : options.properties) {
    if (!set(conf, key, value, error)) return false;
  }
  return true;
}

}  // namespace stockd::kafka_detail
