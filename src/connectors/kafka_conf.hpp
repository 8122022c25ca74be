// One librdkafka configuration property, refused with a message naming it. Shared by the
// Kafka connectors and cluster mode's clients. Internal to the adapters.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>

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

}  // namespace stockd::kafka_detail
