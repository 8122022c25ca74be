// The Kafka connectors against librdkafka's built-in mock cluster (the real Kafka
// protocol on loopback ports): a consumer that applies each event once across restarts,
// redeliveries and injected broker errors, and a producer that publishes the outbox keyed
// by SKU as CloudEvents (binary mode).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <boost/json.hpp>
#include <map>
#include <thread>

#include "connectors/kafka.hpp"
#include "engine/engine_fixture.hpp"

namespace stockd::testing {
namespace {

class MockCluster {
 public:
  explicit MockCluster(int brokers = 3) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const std::string& topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 3),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // The next `count` requests of API `api_key` fail with `error`.
  void fail_requests(int16_t api_key, size_t count, rd_kafka_resp_err_t error) {
    std::vector<rd_kafka_resp_err_t> errors(count, error);
    rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
  }

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

constexpr int16_t kProduceApi = 0;
constexpr int16_t kFetchApi = 1;
constexpr int16_t kOffsetCommitApi = 8;

rd_kafka_t* client(rd_kafka_type_t type, const std::string& brokers,
                   std::map<std::string, std::string> extra = {}) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  extra["bootstrap.servers"] = brokers;
  for (const auto& [key, value] : extra) {
    EXPECT_EQ(rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error),
              RD_KAFKA_CONF_OK)
        << key << ": " << error;
  }
  rd_kafka_t* handle = rd_kafka_new(type, conf, error, sizeof error);
  EXPECT_NE(handle, nullptr) << error;
  return handle;
}

void produce(const std::string& brokers, const std::string& topic,
             const std::vector<std::pair<std::string, std::string>>& keyed_values,
             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  rd_kafka_t* producer = client(RD_KAFKA_PRODUCER, brokers, {{"enable.idempotence", "true"}});
  for (const auto& [key, value] : keyed_values) {
    rd_kafka_headers_t* list = rd_kafka_headers_new(headers.size() + 1);
    for (const auto& [name, header] : headers) {
      rd_kafka_header_add(list, name.c_str(), -1, header.data(),
                          static_cast<ssize_t>(header.size()));
    }
    ASSERT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                RD_KAFKA_V_KEY(key.data(), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(list),
                                RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

std::string receipt_json(const std::string& id, const std::string& sku, int64_t quantity) {
  return boost::json::serialize(boost::json::object{{"id", id},
                                                    {"source", "wms"},
                                                    {"type", "receipt"},
                                                    {"sku", sku},
                                                    {"location", "W1"},
                                                    {"quantity", quantity},
                                                    {"occurred_at", "2026-11-27T10:00:00Z"}});
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::seconds timeout = std::chrono::seconds{60}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return predicate();
}

class KafkaTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    cluster_.create_topic("stock-events", 4);
    cluster_.create_topic("availability", 4);
    Channel web;
    web.id = "web";
    web.locations = {{"W1", 1}};
    ASSERT_TRUE(engine_->put_channel(web).ok());
  }
  KafkaOptions options(const std::string& group = "stockd") {
    KafkaOptions out;
    out.brokers = cluster_.bootstraps();
    out.consume_topic = "stock-events";
    out.group_id = group;
    out.produce_topic = "availability";
    // A member that went away is noticed after the session timeout (Debian's default is
    // 45 s); the mock cluster accepts 6 s.
    out.properties = {
        {"log_level", "0"}, {"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}};
    return out;
  }
  int64_t on_hand_total(int skus) {
    int64_t total = 0;
    for (int i = 0; i < skus; ++i) total += position("K-" + std::to_string(i), "W1").on_hand;
    return total;
  }
  // `count` receipts of one unit each, over `skus` SKUs, keyed by SKU.
  void produce_receipts(int first, int count, int skus) {
    std::vector<std::pair<std::string, std::string>> messages;
    for (int i = first; i < first + count; ++i) {
      const std::string sku = "K-" + std::to_string(i % skus);
      messages.emplace_back(sku, receipt_json("k-" + std::to_string(i), sku, 1));
    }
    produce(cluster_.bootstraps(), "stock-events", messages);
  }

  MockCluster cluster_;
};

TEST_F(KafkaTest, ConsumedEventsApplyOnceAcrossARestartAndARereadOfTheTopic) {
  produce_receipts(0, 400, 10);
  {
    KafkaConsumer consumer(*engine_, options());
    ASSERT_TRUE(consumer.start().is_ok());
    ASSERT_TRUE(eventually([&] { return consumer.stats().events_applied >= 150; }));
    consumer.stop();  // mid-stream: commits what was durably applied
  }
  reopen();
  produce_receipts(400, 100, 10);
  {
    KafkaConsumer consumer(*engine_, options());
    ASSERT_TRUE(consumer.start().is_ok());
    ASSERT_TRUE(eventually([&] { return on_hand_total(10) == 500; }));
    consumer.stop();
  }
  // Another group reads the whole topic again: every event is a duplicate.
  KafkaConsumer again(*engine_, options("replayer"));
  ASSERT_TRUE(again.start().is_ok());
  ASSERT_TRUE(eventually([&] { return again.stats().events_duplicate == 500; }));
  EXPECT_EQ(again.stats().events_applied, 0u);
  again.stop();
  EXPECT_EQ(on_hand_total(10), 500);
}

TEST_F(KafkaTest, InjectedBrokerErrorsLoseNothingAndApplyNothingTwice) {
  produce_receipts(0, 300, 7);
  cluster_.fail_requests(kFetchApi, 5, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  cluster_.fail_requests(kOffsetCommitApi, 5, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  KafkaConsumer consumer(*engine_, options());
  ASSERT_TRUE(consumer.start().is_ok());
  ASSERT_TRUE(eventually([&] { return on_hand_total(7) == 300; }));
  consumer.stop();
  EXPECT_EQ(consumer.stats().events_applied, 300u);
}

TEST_F(KafkaTest, CloudEventsAndUnreadableMessagesAreHandled) {
  // Binary mode: ce_ attributes fill id, source, time and type.
  produce(cluster_.bootstraps(), "stock-events",
          {{"CE-1", R"({"sku":"CE-1","location":"W1","quantity":4})"}},
          {{"ce_specversion", "1.0"},
           {"ce_id", "ce-evt-1"},
           {"ce_source", "/wms"},
           {"ce_type", "stockd.event.receipt"},
           {"ce_time", "2026-11-27T10:00:00Z"}});
  // Structured mode, and a value that is not an event at all.
  produce(cluster_.bootstraps(), "stock-events",
          {{"CE-2",
            R"({"specversion":"1.0","id":"ce-evt-2","source":"wms","type":"receipt",)"
            R"("time":"2026-11-27T10:00:00Z","data":{"sku":"CE-2","location":"W1","quantity":2}})"},
           {"x", "not json"}});
  KafkaConsumer consumer(*engine_, options());
  ASSERT_TRUE(consumer.start().is_ok());
  ASSERT_TRUE(eventually([&] { return consumer.stats().messages == 3; }));
  consumer.stop();
  EXPECT_EQ(position("CE-1", "W1").on_hand, 4);
  EXPECT_EQ(position("CE-2", "W1").on_hand, 2);
  EXPECT_EQ(consumer.stats().unreadable, 1u);
}

// A legacy database's stock table (absolute) and movements table (delta), as Debezium
// publishes them, become facts; a second consumer group re-reading both applies nothing.
TEST_F(KafkaTest, DebeziumChangesOfLegacyTablesBecomeFactsOnce) {
  cluster_.create_topic("erp.public.stock", 2);
  cluster_.create_topic("erp.public.moves", 1);
  const auto row = [](const char* sku, const char* store, int64_t qty) {
    return std::string(R"({"item_no":")") + sku + R"(","store_id":")" + store + R"(","qty":)" +
           std::to_string(qty) + "}";
  };
  const auto change = [](const char* op, const std::string& before, const std::string& after,
                         int64_t ts_ms) {
    return std::string(R"({"schema":{},"payload":{"op":")") + op + R"(","before":)" + before +
           R"(,"after":)" + after + R"(,"source":{"table":"stock","ts_ms":)" +
           std::to_string(ts_ms) + "}}}";
  };
  // Keyed by the row's primary key, as Debezium does: per-row order is kept.
  produce(
      cluster_.bootstraps(), "erp.public.stock",
      {{"TEE@W1", change("r", "null", row("CDC-TEE", "W1", 10), 1795000000000)},
       {"CAP@W1", change("c", "null", row("CDC-CAP", "W1", 5), 1795000001000)},
       {"TEE@W1", change("u", row("CDC-TEE", "W1", 10), row("CDC-TEE", "W1", 7), 1795000002000)},
       {"CAP@W1", change("d", row("CDC-CAP", "W1", 5), "null", 1795000003000)},
       {"CAP@W1", ""}});  // the tombstone after a delete
  produce(cluster_.bootstraps(), "erp.public.moves",
          {{"m1", change("c", "null", row("CDC-MOVE", "W1", 5), 1795000000000)},
           {"m1", change("u", row("CDC-MOVE", "W1", 5), row("CDC-MOVE", "W1", 8), 1795000001000)},
           {"m2", change("c", "null", row("CDC-MOVE", "W1", -2), 1795000002000)},
           {"m1", change("d", row("CDC-MOVE", "W1", 8), "null", 1795000003000)}});
  KafkaOptions cdc = options("cdc");
  cdc.consume_topic.clear();
  CdcMapping stock;
  stock.topic = "erp.public.stock";
  stock.table = "stock";
  stock.source = "wms";
  stock.sku_column = "item_no";
  stock.location_column = "store_id";
  stock.quantity_column = "qty";
  CdcMapping moves = stock;
  moves.topic = "erp.public.moves";
  moves.mode = CdcMode::delta;
  cdc.cdc = {stock, moves};
  {
    KafkaConsumer consumer(*engine_, cdc);
    ASSERT_TRUE(consumer.start().is_ok());
    ASSERT_TRUE(eventually([&] { return consumer.stats().messages == 9; }));
    consumer.stop();
    EXPECT_EQ(consumer.stats().unreadable, 0u);
    EXPECT_EQ(consumer.stats().events_rejected, 0u) << consumer.stats().last_rejection;
  }
  EXPECT_EQ(position("CDC-TEE", "W1").on_hand, 7);
  EXPECT_EQ(position("CDC-CAP", "W1").on_hand, 0);
  EXPECT_EQ(position("CDC-MOVE", "W1").on_hand, -2);  // +5, +3, −2, −8
  EXPECT_EQ(position("CDC-TEE", "W1").last_set->source, "wms");
  // Another group reads both topics from the start: everything is a duplicate.
  cdc.group_id = "cdc-reread";
  KafkaConsumer reread(*engine_, cdc);
  ASSERT_TRUE(reread.start().is_ok());
  ASSERT_TRUE(eventually([&] { return reread.stats().messages == 9; }));
  reread.stop();
  EXPECT_EQ(reread.stats().events_applied, 0u);
  EXPECT_EQ(reread.stats().events_duplicate, 8u);
  EXPECT_EQ(position("CDC-TEE", "W1").on_hand, 7);
  EXPECT_EQ(position("CDC-MOVE", "W1").on_hand, -2);
}

struct Published {
  std::string key;
  std::map<std::string, std::string> headers;
  boost::json::object data;
};

std::vector<Published> read_topic(const std::string& brokers, const std::string& topic,
                                  size_t expected) {
  rd_kafka_t* consumer = client(RD_KAFKA_CONSUMER, brokers,
                                {{"group.id", "reader"}, {"auto.offset.reset", "earliest"}});
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  std::vector<Published> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      Published item;
      item.key.assign(static_cast<const char*>(message->key), message->key_len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          item.headers[name] = std::string(static_cast<const char*>(value), size);
        }
      }
      item.data = boost::json::parse(
                      std::string_view(static_cast<const char*>(message->payload), message->len))
                      .as_object();
      out.push_back(std::move(item));
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return out;
}

TEST_F(KafkaTest, TheOutboxIsPublishedKeyedBySkuAsCloudEventsAcrossARestart) {
  KafkaOptions producer_options = options();
  {
    KafkaProducer producer(*engine_, *store_, producer_options);
    ASSERT_TRUE(producer.start().is_ok());
    cluster_.fail_requests(kProduceApi, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(apply(receipt("p-" + std::to_string(i), "P-" + std::to_string(i % 4), 1)).status,
                EventStatus::applied);
    }
    ASSERT_TRUE(eventually([&] { return producer.stats().published == 20; }));
    producer.stop();
  }
  reopen();
  KafkaProducer producer(*engine_, *store_, producer_options);
  ASSERT_TRUE(producer.start().is_ok());
  for (int i = 20; i < 30; ++i) {
    ASSERT_EQ(apply(receipt("p-" + std::to_string(i), "P-" + std::to_string(i % 4), 1)).status,
              EventStatus::applied);
  }
  ASSERT_TRUE(eventually([&] { return producer.stats().published == 10; }));
  producer.stop();

  const std::vector<Published> published = read_topic(cluster_.bootstraps(), "availability", 30);
  ASSERT_EQ(published.size(), 30u);
  std::map<std::string, std::vector<int64_t>> available_by_sku;
  std::set<std::string> ids;
  for (const Published& item : published) {
    EXPECT_EQ(item.key, item.data.at("sku").as_string());
    EXPECT_EQ(item.headers.at("ce_type"), "stockd.availability.changed");
    EXPECT_EQ(item.headers.at("ce_subject"), item.key);
    EXPECT_EQ(item.headers.at("ce_specversion"), "1.0");
    ids.insert(item.headers.at("ce_id"));
    available_by_sku[item.key].push_back(item.data.at("available").as_int64());
  }
  EXPECT_EQ(ids.size(), 30u);  // none twice, none lost across the restart
  // In order per SKU (one partition per key): each SKU's number only grows, 1..N.
  for (const auto& [sku, numbers] : available_by_sku) {
    for (size_t i = 0; i < numbers.size(); ++i) {
      EXPECT_EQ(numbers[i], static_cast<int64_t>(i + 1)) << sku;
    }
  }
}

}  // namespace
}  // namespace stockd::testing
