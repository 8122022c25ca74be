#include "app/config_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace stockd {
namespace {

std::string write_file(const std::string& text) {
  static int serial = 0;
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("stockd-config-" + std::to_string(getpid()) + "-" + std::to_string(++serial) + ".toml"))
          .string();
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigFile, ReadsAFullFile) {
  const std::string path = write_file(R"(
[engine]
shards = 4
clock_drift_tolerance_seconds = 60

[store]
block_cache_mb = 256
memtables_mb = 64

[[locations]]
id = "W1"
type = "warehouse"
name = "Leipzig DC"
lat = 51.34
lon = 12
count_sla_hours = 24

[[sources]]
id = "wms"
priority = 100

[[channels]]
id = "web"
buffer_units = 2
reservation_ttl_seconds = 900
pickup = true
locations = [ { id = "W1", priority = 1 } ]
)");
  FileConfig config;
  std::string error;
  ASSERT_TRUE(load_config_file(path, config, &error)) << error;
  EXPECT_EQ(config.shards, 4u);
  EXPECT_EQ(config.clock_drift_tolerance_seconds, 60);
  EXPECT_EQ(config.store_block_cache_mb, 256);
  EXPECT_EQ(config.store_memtables_mb, 64);
  ASSERT_EQ(config.locations.size(), 1u);
  EXPECT_EQ(config.locations[0].name, "Leipzig DC");
  EXPECT_DOUBLE_EQ(config.locations[0].lon, 12.0);
  ASSERT_EQ(config.channels.size(), 1u);
  EXPECT_TRUE(config.channels[0].pickup);
  ASSERT_EQ(config.channels[0].locations.size(), 1u);
  EXPECT_EQ(config.channels[0].locations[0].id, "W1");
  std::filesystem::remove(path);
}

struct BadConfig {
  const char* name;
  const char* text;
  const char* message;  // a part of the error
};

class ConfigFileRejects : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigFileRejects, WithAClearMessage) {
  const std::string path = write_file(GetParam().text);
  FileConfig config;
  std::string error;
  EXPECT_FALSE(load_config_file(path, config, &error));
  EXPECT_NE(error.find(GetParam().message), std::string::npos) << error;
  EXPECT_NE(error.find(path), std::string::npos) << error;
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(
    Files, ConfigFileRejects,
    ::testing::Values(
        BadConfig{"syntax", "[engine\n", ""},
        BadConfig{"shards_type", "[engine]\nshards = 'two'\n",
                  "engine.shards: must be a whole number"},
        BadConfig{"shards_range", "[engine]\nshards = 1000\n", "engine.shards: must be between"},
        BadConfig{"unknown_engine_key", "[engine]\nshard = 2\n", "engine.shard: unknown setting"},
        BadConfig{"unknown_section", "[server]\n", "server: unknown section"},
        BadConfig{"store_cache_range", "[store]\nblock_cache_mb = 1\n",
                  "store.block_cache_mb: must be between"},
        BadConfig{"unknown_store_key", "[store]\ncache = 2\n", "store.cache: unknown setting"},
        BadConfig{"location_without_id", "[[locations]]\nname = 'x'\n",
                  "locations[0].id: is required"},
        BadConfig{"location_type", "[[locations]]\nid = 'W1'\ntype = 'castle'\n",
                  "locations[0].type: must be"},
        BadConfig{"source_priority_type", "[[sources]]\nid = 'wms'\npriority = 1.5\n",
                  "sources[0].priority: must be a whole number"},
        BadConfig{"channel_buffer_percent", "[[channels]]\nid = 'web'\nbuffer_percent = 200\n",
                  "channels[0].buffer_percent"},
        BadConfig{"webhook_retry", "[webhooks]\nretry_base_ms = 0\n",
                  "webhooks.retry_base_ms: must be between"},
        BadConfig{"webhook_cap", "[webhooks]\nretry_base_ms = 500\nretry_cap_ms = 100\n",
                  "retry_cap_ms: must not be below"},
        BadConfig{"kafka_brokers", "[kafka]\nconsume_topic = 'x'\n", "kafka.brokers: is required"},
        BadConfig{"kafka_topics", "[kafka]\nbrokers = 'h:9092'\n", "set consume_topic"},
        BadConfig{"kafka_property",
                  "[kafka]\nbrokers = 'h:9092'\nconsume_topic = 'x'\n"
                  "[kafka.properties]\nlinger.ms = 5\n",
                  "kafka.properties.linger.ms: must be a string"},
        BadConfig{"source_secret", "[[sources]]\nid = 'p'\nwebhook_secrets = ['whsec_x']\n",
                  "sources[0].webhook_secrets"},
        BadConfig{"cdc_without_kafka",
                  "[[cdc]]\ntopic = 't'\nsource = 's'\nsku_column = 'a'\nlocation = 'W1'\n"
                  "quantity_column = 'q'\n",
                  "cdc: needs [kafka] brokers"},
        BadConfig{"cdc_location",
                  "[kafka]\nbrokers = 'h:9092'\n[[cdc]]\ntopic = 't'\nsource = 's'\n"
                  "sku_column = 'a'\nquantity_column = 'q'\n",
                  "cdc[0]: set location_column or location"},
        BadConfig{"cdc_mode",
                  "[kafka]\nbrokers = 'h:9092'\n[[cdc]]\ntopic = 't'\nsource = 's'\n"
                  "sku_column = 'a'\nlocation = 'W1'\nquantity_column = 'q'\nmode = 'sum'\n",
                  "cdc[0].mode: must be absolute or delta"},
        BadConfig{"cluster_bootstrap", "[cluster]\npartitions = 6\n",
                  "cluster.bootstrap: is required"},
        BadConfig{"cluster_partitions", "[cluster]\nbootstrap = 'h:9092'\n",
                  "cluster.partitions: required"},
        BadConfig{"cluster_shards",
                  "[engine]\nshards = 4\n[cluster]\nbootstrap = 'h:9092'\npartitions = 6\n",
                  "the engine's shards are the partitions"},
        BadConfig{"cluster_timeout",
                  "[cluster]\nbootstrap = 'h:9092'\npartitions = 6\nsession_timeout_ms = 5\n",
                  "cluster.session_timeout_ms: must be between"}));

TEST(ConfigFile, ClusterModeMakesTheShardsThePartitionsAndTheEngineLogDriven) {
  const std::string path = write_file(R"(
[cluster]
bootstrap = "10.0.0.1:9092,10.0.0.2:9092"
node_id = 3
advertised_address = "10.0.1.3:8080"
partitions = 24
request_timeout_ms = 5000
)");
  FileConfig config;
  std::string error;
  ASSERT_TRUE(load_config_file(path, config, &error)) << error;
  EXPECT_EQ(config.cluster.node_id, 3);
  EXPECT_EQ(config.cluster.commands_topic, "stockd.commands");
  EXPECT_EQ(config.cluster.request_timeout_ms, 5000);
  const EngineOptions options = engine_options(config);
  EXPECT_EQ(options.shards, 24u);
  EXPECT_TRUE(options.log_driven);
  FileConfig single;
  EXPECT_FALSE(engine_options(single).log_driven);
  std::filesystem::remove(path);
}

TEST(ConfigFile, ReadsCdcMappings) {
  const std::string path = write_file(R"(
[kafka]
brokers = "127.0.0.1:9092"

[[cdc]]
topic = "erp.public.stock"
table = "stock"
source = "erp"
sku_column = "item_no"
location_column = "store_id"
quantity_column = "qty"

[[cdc]]
topic = "erp.public.moves"
source = "erp"
sku_column = "item_no"
location = "W1"
quantity_column = "delta"
mode = "delta"
)");
  FileConfig config;
  std::string error;
  ASSERT_TRUE(load_config_file(path, config, &error)) << error;
  ASSERT_EQ(config.kafka.cdc.size(), 2u);
  EXPECT_EQ(config.kafka.cdc[0].table, "stock");
  EXPECT_EQ(config.kafka.cdc[0].mode, CdcMode::absolute);
  EXPECT_EQ(config.kafka.cdc[1].location, "W1");
  EXPECT_EQ(config.kafka.cdc[1].mode, CdcMode::delta);
  std::filesystem::remove(path);
}

TEST(ConfigFile, ReadsSyncSettings) {
  const std::string path = write_file(R"(
[webhooks]
retry_base_ms = 250
breaker_failures = 3

[kafka]
brokers = "127.0.0.1:9092"
consume_topic = "stock-events"
produce_topic = "availability"

[kafka.properties]
linger.ms = "10"
"security.protocol" = "plaintext"
)");
  FileConfig config;
  std::string error;
  ASSERT_TRUE(load_config_file(path, config, &error)) << error;
  EXPECT_EQ(config.webhooks.retry_base_ms, 250);
  EXPECT_EQ(config.webhooks.breaker_failures, 3);
  EXPECT_EQ(config.kafka.consume_topic, "stock-events");
  EXPECT_EQ(config.kafka.group_id, "stockd");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"linger.ms", "10"}, {"security.protocol", "plaintext"}};
  EXPECT_EQ(config.kafka.properties, expected);
  std::filesystem::remove(path);
}

TEST(ConfigFile, AMissingFileIsAnError) {
  FileConfig config;
  std::string error;
  EXPECT_FALSE(load_config_file("/nonexistent/stockd.toml", config, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace stockd
