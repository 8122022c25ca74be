// `stockd_kafka_mock TOPIC:PARTITIONS ...`: runs librdkafka's mock cluster (3 brokers on
// loopback ports) for the integration tests, prints "bootstrap <servers>", and serves
// until its standard input closes.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    std::fprintf(stderr, "stockd_kafka_mock: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, 3);
  for (int i = 1; i < argc; ++i) {
    const std::string spec = argv[i];
    const size_t colon = spec.find(':');
    const std::string topic = spec.substr(0, colon);
    const int partitions = colon == std::string::npos ? 1 : std::stoi(spec.substr(colon + 1));
    rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, 3);
  }
  std::printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
