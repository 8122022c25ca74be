#include "cluster/cluster_node.hpp"

#include <librdkafka/rdkafka.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/assert.hpp"
#include "base/sha256.hpp"
#include "cluster/commands.hpp"
#include "connectors/kafka_conf.hpp"
#include "core/encoding.hpp"

namespace stockd {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

constexpr size_t kEventsPerCommand = 1'000;  // keeps a command well under Kafka's 1 MB
constexpr int kPollMs = 50;
constexpr int kMetadataTimeoutMs = 10'000;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

using kafka_detail::set;

// One proposal waiting for its answer: exactly one of the callbacks is set.
struct Pending {
  std::function<void(std::vector<EventResult>)> events_done;
  std::vector<std::string> event_ids;  // to answer a timeout per event
  std::function<void(ReserveResult)> reserve_done;
  std::function<void(StockView)> stock_done;
  std::string sku;  // stock reads: the SKU, for a refusal
  SteadyTime deadline;
};

// The answer when no node applied the proposal in time (or it could not be appended).
void answer_unavailable(Pending& pending) {
  if (pending.events_done) {
    std::vector<EventResult> results(pending.event_ids.size());
    for (size_t i = 0; i < results.size(); ++i) {
      results[i].id = pending.event_ids[i];
      results[i].status = EventStatus::rejected;
      results[i].error = EventError::overloaded;
    }
    pending.events_done(std::move(results));
  } else if (pending.reserve_done) {
    ReserveResult result;
    result.status = ReserveStatus::overloaded;
    pending.reserve_done(std::move(result));
  } else if (pending.stock_done) {
    StockView view;
    view.sku = pending.sku;
    view.overloaded = true;
    pending.stock_done(std::move(view));
  }
}

void answer(Pending& pending, ClusterReply reply) {
  if (pending.events_done) {
    pending.events_done(std::move(reply.events));
  } else if (pending.reserve_done) {
    pending.reserve_done(std::move(reply.reserve));
  } else if (pending.stock_done) {
    pending.stock_done(std::move(reply.stock));
  }
}

// The catalog as the rules see it (locations, sources, channels, bundles, promotions).
// Applying a partition's log gives the same state on every node only if their catalogs
// agree, so nodes announce this digest and GET /v1/cluster compares them.
std::string catalog_digest(const Catalog& catalog) {
  std::string bytes;
  auto add = [&](char kind, const std::string& id, const std::string& encoded) {
    bytes.push_back(kind);
    bytes += id;
    bytes.push_back('\0');
    bytes += std::to_string(encoded.size());
    bytes.push_back(':');
    bytes += encoded;
  };
  for (const auto& [id, entry] : catalog.locations()) add('L', id, encode_location(entry));
  for (const auto& [id, entry] : catalog.sources()) add('S', id, encode_source(entry));
  for (const auto& [id, entry] : catalog.channels()) add('C', id, encode_channel(entry));
  for (const auto& [id, entry] : catalog.bundles()) add('K', id, encode_bundle(entry));
  for (const auto& [id, entry] : catalog.promotions()) add('P', id, encode_promotion(entry));
  return to_hex(sha256(bytes)).substr(0, 16);
}

struct Member {
  uint32_t node_id = 0;
  std::string catalog;  // catalog_digest of the member's catalog
  std::string address;
  std::vector<uint32_t> partitions;
  std::map<uint32_t, std::pair<uint64_t, int64_t>> applied_and_end;  // partition -> offsets
  int64_t heard_at_ms = 0;                                           // steady clock of this node
  std::string advertised_address;                                    // guarded by state_mutex
  int64_t assigned_at = 0;  // the member's clock when it got its partitions (microseconds)
};

}  // namespace

struct ClusterNode::Impl {
  Engine& engine;
  const Clock& clock;
  const ClusterOptions options;
  uint32_t reply_partitions = 1;
  rd_kafka_t* producer = nullptr;
  rd_kafka_t* consumer = nullptr;  // the group: owned command partitions
  rd_kafka_t* listener = nullptr;  // replies to this node, and the members topic
  std::thread apply_thread;
  std::thread listen_thread;
  std::thread ticker_thread;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> sequence{0};
  const std::string incarnation = [] {  // this run of the node
    std::random_device random;
    const uint64_t bits = (static_cast<uint64_t>(random()) << 32) ^ random();
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
    return std::string(hex);
  }();

  std::mutex pending_mutex;
  std::unordered_map<std::string, Pending> pending;  // by command id
  // Configuration proposals of this node waiting to be applied from the topic.
  std::mutex config_mutex;
  std::unordered_map<std::string, std::promise<ConfigCheck>> config_waiting;

  mutable std::mutex state_mutex;  // guards what follows
  std::vector<bool> owned;
  std::vector<uint64_t> fed_next;      // the next offset this node applies, per partition
  std::vector<int64_t> caught_up_at;   // the end of the log when the partition was gained
  std::string advertised_address;      // guarded by state_mutex
  int64_t assigned_at = 0;             // this node's clock at its last assignment (us)
  std::atomic<bool> announce{false};   // the partitions changed: heartbeat now
  std::map<uint32_t, Member> members;  // heard on the members topic, by node id
  ClusterStats stats;

  Impl(Engine& engine, const Clock& clock, ClusterOptions options)
      : engine(engine), clock(clock), options(std::move(options)) {}

  std::string topic_of(rd_kafka_message_t* message) const {
    return rd_kafka_topic_name(message->rkt);
  }

  void note_error(std::string error) {
    std::fprintf(stderr, "stockd: cluster: %s\n", error.c_str());
    std::lock_guard lock(state_mutex);
    stats.last_error = std::move(error);
  }

  bool configure(rd_kafka_conf_t* conf, const std::string& client, std::string* error) {
    if (!set(conf, "bootstrap.servers", options.bootstrap, error)) return false;
    if (!set(conf, "client.id", "stockd-node-" + std::to_string(options.node_id) + "-" + client,
             error)) {
      return false;
    }
    for (const auto& [key, value] : options.properties) {
      if (!set(conf, key, value, error)) return false;
    }
    return true;
  }

  // ---- proposing ----

  // Unique across restarts too: a command of an earlier run of this node can still be
  // applied (and answered) by an owner catching up, and must not match a new proposal.
  std::string new_command_id() {
    return std::to_string(options.node_id) + "-" + incarnation + "-" +
           std::to_string(sequence.fetch_add(1) + 1);
  }

  // Appends `command` to its partition; `waiting` (if any) is answered when the command
  // comes back applied, or unavailable after the request timeout.
  void append(uint32_t partition, ClusterCommand command, std::optional<Pending> waiting) {
    command.origin = options.node_id;
    command.at = clock.now();
    if (waiting) {
      waiting->deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds{options.request_timeout_ms};
      std::lock_guard lock(pending_mutex);
      pending.emplace(command.id, std::move(*waiting));
    }
    const std::string value = encode_command(command);
    auto* opaque = waiting ? new std::string(command.id) : nullptr;
    rd_kafka_resp_err_t err;
    while (true) {
      err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(options.commands_topic.c_str()),
                              RD_KAFKA_V_PARTITION(static_cast<int32_t>(partition)),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque),
                              RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stopping) break;
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      note_error(std::string("append: ") + rd_kafka_err2str(err));
      delete opaque;
      if (waiting) fail(command.id);
      return;
    }
    std::lock_guard lock(state_mutex);
    stats.proposed += 1;
  }

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    auto* id = static_cast<std::string*>(message->_private);
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->note_error(std::string("append not acknowledged: ") + rd_kafka_err2str(message->err));
      if (id != nullptr) self->fail(*id);
    }
    delete id;
  }

  std::optional<Pending> take(const std::string& id) {
    std::lock_guard lock(pending_mutex);
    const auto found = pending.find(id);
    if (found == pending.end()) return std::nullopt;
    Pending taken = std::move(found->second);
    pending.erase(found);
    return taken;
  }

  void fail(const std::string& id) {
    if (std::optional<Pending> taken = take(id)) answer_unavailable(*taken);
  }

  void complete(ClusterReply reply) {
    if (std::optional<Pending> taken = take(reply.command_id)) answer(*taken, std::move(reply));
  }

  void sweep_timeouts() {
    const SteadyTime now = std::chrono::steady_clock::now();
    std::vector<Pending> expired;
    {
      std::lock_guard lock(pending_mutex);
      for (auto it = pending.begin(); it != pending.end();) {
        if (it->second.deadline <= now) {
          expired.push_back(std::move(it->second));
          it = pending.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (!expired.empty()) {
      std::lock_guard lock(state_mutex);
      stats.timed_out += expired.size();
    }
    for (Pending& each : expired) answer_unavailable(each);
  }

  // ---- applying ----

  // The answer to a command goes to its proposer: directly when that is this node, else
  // on the replies topic (only while the proposer can still be waiting for it).
  void deliver(const ClusterCommand& command, ClusterReply reply) {
    reply.command_id = command.id;
    reply.kind = command.kind;
    if (command.origin == options.node_id) return complete(std::move(reply));
    const Duration age = clock.now() - command.at;
    if (age > std::chrono::milliseconds{options.request_timeout_ms}) return;  // a replay
    const std::string value = encode_reply(reply);
    const std::string key = std::to_string(command.origin);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(options.replies_topic.c_str()),
        RD_KAFKA_V_PARTITION(static_cast<int32_t>(command.origin % reply_partitions)),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    std::lock_guard lock(state_mutex);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      stats.replies_sent += 1;
    } else {
      stats.last_error = std::string("reply: ") + rd_kafka_err2str(err);
    }
  }

  void apply(uint32_t partition, uint64_t offset, std::string_view bytes) {
    std::optional<ClusterCommand> decoded = decode_command(bytes);
    if (decoded && decoded->kind != CommandKind::tick &&
        partition_of(*decoded, options.partitions) != partition) {
      decoded.reset();
    }
    if (!decoded) {
      // Skipped the same way by every node that applies this partition.
      std::lock_guard lock(state_mutex);
      stats.unreadable += 1;
      return;
    }
    auto command = std::make_shared<ClusterCommand>(std::move(*decoded));
    const LogStamp stamp{offset, command->at};
    // Holds, their ends and their reads all answer with a ReserveResult.
    auto answer_reserve = [this, command](ReserveResult result) {
      ClusterReply reply;
      reply.reserve = std::move(result);
      deliver(*command, std::move(reply));
    };
    switch (command->kind) {
      case CommandKind::events: {
        std::vector<Event> events = std::move(command->events);
        engine.apply_logged_events(partition, stamp, std::move(events),
                                   [this, command](std::vector<EventResult> results) {
                                     ClusterReply reply;
                                     reply.events = std::move(results);
                                     deliver(*command, std::move(reply));
                                   });
        break;
      }
      case CommandKind::reserve:
        engine.apply_logged_reserve(partition, stamp, command->reserve, answer_reserve);
        break;
      case CommandKind::end_reservation:
        engine.apply_logged_end(partition, stamp, command->reservation_id, command->to,
                                command->order_id, command->principal, answer_reserve);
        break;
      case CommandKind::tick:
        engine.apply_logged_tick(partition, stamp);
        break;
      // Reads are answered in log order (after everything before them), changing nothing.
      case CommandKind::read_stock:
        engine.read_local_stock(command->sku, [this, command](StockView view) {
          ClusterReply reply;
          reply.stock = std::move(view);
          deliver(*command, std::move(reply));
        });
        break;
      case CommandKind::read_reservation:
        engine.read_local_reservation(command->reservation_id, answer_reserve);
        break;
    }
    std::lock_guard lock(state_mutex);
    stats.applied += 1;
  }

  static void on_rebalance(rd_kafka_t* kafka, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      std::vector<int64_t> ends(static_cast<size_t>(partitions->cnt), 0);
      for (int i = 0; i < partitions->cnt; ++i) {
        int64_t low = 0;
        int64_t high = 0;
        if (rd_kafka_query_watermark_offsets(kafka, partitions->elems[i].topic,
                                             partitions->elems[i].partition, &low, &high,
                                             kMetadataTimeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          ends[static_cast<size_t>(i)] = high;
        } else {
          ends[static_cast<size_t>(i)] = INT64_MAX;  // unknown: read through the log
        }
      }
      {
        std::lock_guard lock(self->state_mutex);
        self->stats.rebalances += 1;
        self->assigned_at = micros_of(self->clock.now());
        for (int i = 0; i < partitions->cnt; ++i) {
          const auto partition = static_cast<uint32_t>(partitions->elems[i].partition);
          if (partition >= self->options.partitions) continue;
          self->owned[partition] = true;
          self->caught_up_at[partition] = ends[static_cast<size_t>(i)];
          // Resume where this node's durable state stands (or the queued commands end).
          partitions->elems[i].offset = static_cast<int64_t>(self->fed_next[partition]);
        }
      }
      rd_kafka_assign(kafka, partitions);
      self->announce.store(true);
    } else {
      {
        std::lock_guard lock(self->state_mutex);
        self->stats.rebalances += 1;
        for (int i = 0; i < partitions->cnt; ++i) {
          const auto partition = static_cast<uint32_t>(partitions->elems[i].partition);
          if (partition < self->options.partitions) self->owned[partition] = false;
        }
      }
      rd_kafka_assign(kafka, nullptr);
      self->announce.store(true);
    }
  }

  void run_apply() {
    while (!stopping) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, kPollMs);
      if (message == nullptr) continue;
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          note_error(rd_kafka_message_errstr(message));
        }
        rd_kafka_message_destroy(message);
        continue;
      }
      const auto partition = static_cast<uint32_t>(message->partition);
      const auto offset = static_cast<uint64_t>(message->offset);
      bool wanted = false;
      {
        std::lock_guard lock(state_mutex);
        wanted =
            partition < options.partitions && owned[partition] && offset >= fed_next[partition];
      }
      if (wanted) {
        apply(partition, offset,
              std::string_view(static_cast<const char*>(message->payload), message->len));
        std::lock_guard lock(state_mutex);
        fed_next[partition] = offset + 1;
      }
      rd_kafka_message_destroy(message);
    }
  }

  // ---- listening: replies and members ----

  void heard_member(std::string_view bytes) {
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(bytes, ec);
    if (ec || !parsed.is_object()) return;
    const boost::json::object& object = parsed.as_object();
    const auto* node = object.if_contains("node");
    const auto* address = object.if_contains("address");
    const auto* partitions = object.if_contains("partitions");
    const auto* assigned_at = object.if_contains("assigned_at");
    if (node == nullptr || !node->is_int64() || address == nullptr || !address->is_string() ||
        partitions == nullptr || !partitions->is_array() || assigned_at == nullptr ||
        !assigned_at->is_int64()) {
      return;
    }
    Member member;
    member.node_id = static_cast<uint32_t>(node->as_int64());
    member.address = std::string(address->as_string());
    member.heard_at_ms = steady_ms();
    member.assigned_at = assigned_at->as_int64();
    if (const auto* catalog = object.if_contains("catalog"); catalog && catalog->is_string()) {
      member.catalog = std::string(catalog->as_string());
    }
    for (const boost::json::value& entry : partitions->as_array()) {
      if (!entry.is_object()) return;
      const auto* partition = entry.as_object().if_contains("partition");
      const auto* applied = entry.as_object().if_contains("applied");
      const auto* end = entry.as_object().if_contains("end");
      if (partition == nullptr || !partition->is_int64() || applied == nullptr ||
          !applied->is_int64() || end == nullptr || !end->is_int64()) {
        return;
      }
      const auto id = static_cast<uint32_t>(partition->as_int64());
      member.partitions.push_back(id);
      member.applied_and_end[id] = {static_cast<uint64_t>(applied->as_int64()), end->as_int64()};
    }
    std::lock_guard lock(state_mutex);
    members[member.node_id] = std::move(member);
  }

  void run_listen() {
    while (!stopping) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(listener, kPollMs);
      if (message == nullptr) continue;
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
          message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        note_error(std::string("listening: ") + rd_kafka_message_errstr(message));
      }
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const std::string_view bytes(static_cast<const char*>(message->payload), message->len);
        const std::string topic = topic_of(message);
        if (topic == options.members_topic) {
          heard_member(bytes);
        } else if (topic == options.config_topic) {
          apply_config(bytes);
        } else {
          const std::string_view key(static_cast<const char*>(message->key), message->key_len);
          if (key == std::to_string(options.node_id)) {
            if (std::optional<ClusterReply> reply = decode_reply(bytes)) {
              {
                std::lock_guard lock(state_mutex);
                stats.replies_received += 1;
              }
              complete(std::move(*reply));
            }
          }
        }
      }
      rd_kafka_message_destroy(message);
    }
  }

  // Every node applies the configuration topic in its order, its own changes included.
  void apply_config(std::string_view bytes) {
    const std::optional<ConfigChange> change = decode_config_change(bytes);
    if (!change) {
      std::lock_guard lock(state_mutex);
      stats.unreadable += 1;
      return;
    }
    const ConfigCheck check =
        engine.apply_logged_config(change->kind, change->entry_id, change->bytes);
    {
      std::lock_guard lock(state_mutex);
      stats.config_applied += 1;
    }
    if (change->origin != options.node_id) return;
    std::lock_guard lock(config_mutex);
    const auto waiting = config_waiting.find(change->command_id);
    if (waiting == config_waiting.end()) return;
    waiting->second.set_value(check);
    config_waiting.erase(waiting);
  }

  // ---- ticking: the owner's clock, heartbeats, timeouts, delivery reports ----

  // Where partition `partition`'s log ends, as the consumer last heard (0 when unknown).
  int64_t log_end(uint32_t partition) const {
    int64_t low = 0;
    int64_t high = 0;
    if (consumer != nullptr) {
      rd_kafka_get_watermark_offsets(consumer, options.commands_topic.c_str(),
                                     static_cast<int32_t>(partition), &low, &high);
    }
    return std::max<int64_t>(high, 0);
  }

  std::string heartbeat() {
    const std::string catalog = catalog_digest(*engine.catalog());
    boost::json::array partitions;
    std::lock_guard lock(state_mutex);
    for (uint32_t p = 0; p < options.partitions; ++p) {
      if (!owned[p]) continue;
      partitions.push_back(boost::json::object{
          {"partition", p}, {"applied", static_cast<int64_t>(fed_next[p])}, {"end", log_end(p)}});
    }
    return boost::json::serialize(boost::json::object{{"node", options.node_id},
                                                      {"address", advertised_address},
                                                      {"assigned_at", assigned_at},
                                                      {"catalog", catalog},
                                                      {"partitions", std::move(partitions)}});
  }

  void run_ticker() {
    int64_t next_tick = steady_ms() + options.tick_ms;
    int64_t next_heartbeat = steady_ms();
    while (!stopping) {
      rd_kafka_poll(producer, 20);  // delivery reports
      const int64_t now = steady_ms();
      if (now >= next_tick) {
        next_tick = now + options.tick_ms;
        std::vector<uint32_t> mine;
        {
          std::lock_guard lock(state_mutex);
          for (uint32_t p = 0; p < options.partitions; ++p) {
            if (owned[p]) mine.push_back(p);
          }
        }
        for (const uint32_t p : mine) {
          ClusterCommand tick;
          tick.kind = CommandKind::tick;
          append(p, std::move(tick), std::nullopt);
        }
      }
      if (now >= next_heartbeat || announce.exchange(false)) {
        next_heartbeat = now + options.heartbeat_ms;
        const std::string value = heartbeat();
        const std::string key = std::to_string(options.node_id);
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(options.members_topic.c_str()),
                          RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key.data(), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      }
      sweep_timeouts();
    }
  }

  // A member is alive while heard from within the session timeout (and three heartbeats).
  bool alive(const Member& member, int64_t now_ms) const {
    return now_ms - member.heard_at_ms <=
           std::max(options.session_timeout_ms, 3 * options.heartbeat_ms);
  }

  // With state_mutex held: whether the members heard from lately announce one catalog.
  bool catalogs_agree_locked() const {
    const int64_t now = steady_ms();
    std::set<std::string> catalogs;
    for (const auto& [id, member] : members) {
      if (alive(member, now)) catalogs.insert(member.catalog);
    }
    return catalogs.size() <= 1;
  }

  // True when this node can answer a read of `partition` from its own memory: it owns
  // the partition and has applied at least what the log held when it gained it.
  bool reads_locally(uint32_t partition) {
    std::lock_guard lock(state_mutex);
    return owned[partition] && static_cast<int64_t>(fed_next[partition]) >= caught_up_at[partition];
  }
};

ClusterNode::ClusterNode(Engine& engine, const Clock& clock, ClusterOptions options)
    : impl_(std::make_unique<Impl>(engine, clock, std::move(options))) {
  STOCKD_ASSERT(impl_->options.partitions == engine.shard_count());
  const uint32_t partitions = impl_->options.partitions;
  impl_->advertised_address = impl_->options.advertised_address;
  impl_->owned.assign(partitions, false);
  impl_->caught_up_at.assign(partitions, INT64_MAX);
  impl_->fed_next.resize(partitions);
  for (uint32_t p = 0; p < partitions; ++p) {
    impl_->fed_next[p] = engine.log_checkpoint(p).next_offset;
  }
}

ClusterNode::~ClusterNode() { stop(); }

Status ClusterNode::start() {
  Impl& self = *impl_;
  std::string error;
  char message[512];

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!self.configure(conf, "producer", &error) ||
      // Every append is replicated before it counts, and retries never duplicate.
      !set(conf, "enable.idempotence", "true", &error) || !set(conf, "acks", "all", &error) ||
      !set(conf, "linger.ms", "1", &error)) {
    rd_kafka_conf_destroy(conf);
    return Status::error(error);
  }
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_dr_msg_cb(conf, &Impl::on_delivery);
  self.producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, message, sizeof message);
  if (self.producer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(std::string("cluster producer: ") + message);
  }

  // The topics must exist with the partitions this cluster was sized for.
  auto partition_count = [&](const std::string& topic) -> int {
    rd_kafka_topic_t* handle = rd_kafka_topic_new(self.producer, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    int count = -1;
    if (rd_kafka_metadata(self.producer, 0, handle, &metadata, kMetadataTimeoutMs) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = metadata->topics[0].partition_cnt;
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(handle);
    return count;
  };
  const int commands = partition_count(self.options.commands_topic);
  if (commands != static_cast<int>(self.options.partitions)) {
    return Status::error("cluster: topic " + self.options.commands_topic + " has " +
                         (commands < 0 ? std::string("no metadata") : std::to_string(commands)) +
                         " partitions; cluster.partitions is " +
                         std::to_string(self.options.partitions));
  }
  const int replies = partition_count(self.options.replies_topic);
  const int members = partition_count(self.options.members_topic);
  const int config = partition_count(self.options.config_topic);
  if (replies < 1 || members < 1 || config < 1) {
    return Status::error("cluster: topics " + self.options.replies_topic + ", " +
                         self.options.members_topic + " and " + self.options.config_topic +
                         " must exist");
  }
  self.reply_partitions = static_cast<uint32_t>(replies);

  conf = rd_kafka_conf_new();
  if (!self.configure(conf, "applier", &error) ||
      !set(conf, "group.id", self.options.group_id, &error) ||
      // Offsets live in RocksDB with the state (exactly-once apply), not in Kafka.
      !set(conf, "enable.auto.commit", "false", &error) ||
      !set(conf, "auto.offset.reset", "earliest", &error) ||
      // A command's answer waits for its fetch: do not let a fetch idle for long (the
      // mock broker, unlike Kafka, holds a fetch for the whole wait even with data).
      !set(conf, "fetch.wait.max.ms", "5", &error) ||
      !set(conf, "session.timeout.ms", std::to_string(self.options.session_timeout_ms), &error) ||
      !set(conf, "heartbeat.interval.ms",
           std::to_string(std::max(100, self.options.session_timeout_ms / 5)), &error) ||
      !set(conf, "partition.assignment.strategy", "roundrobin", &error)) {
    rd_kafka_conf_destroy(conf);
    return Status::error(error);
  }
  rd_kafka_conf_set_opaque(conf, impl_.get());
  rd_kafka_conf_set_rebalance_cb(conf, &Impl::on_rebalance);
  self.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, message, sizeof message);
  if (self.consumer == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(std::string("cluster consumer: ") + message);
  }
  rd_kafka_poll_set_consumer(self.consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, self.options.commands_topic.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(self.consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::error(std::string("cluster subscribe: ") + rd_kafka_err2str(err));
  }

  conf = rd_kafka_conf_new();
  if (!self.configure(conf, "listener", &error) ||
      // Assigned, never subscribed: the group id is only what librdkafka's consumer
      // interface needs; no offsets are committed.
      !set(conf, "group.id",
           self.options.group_id + "-listener-" + std::to_string(self.options.node_id), &error) ||
      !set(conf, "enable.auto.commit", "false", &error) ||
      !set(conf, "fetch.wait.max.ms", "5", &error)) {
    rd_kafka_conf_destroy(conf);
    return Status::error(error);
  }
  self.listener = rd_kafka_new(RD_KAFKA_CONSUMER, conf, message, sizeof message);
  if (self.listener == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::error(std::string("cluster listener: ") + message);
  }
  rd_kafka_poll_set_consumer(self.listener);
  rd_kafka_topic_partition_list_t* listened = rd_kafka_topic_partition_list_new(3);
  // The whole configuration history, then every change as it comes.
  rd_kafka_topic_partition_list_add(listened, self.options.config_topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_topic_partition_list_add(
      listened, self.options.replies_topic.c_str(),
      static_cast<int32_t>(self.options.node_id % self.reply_partitions))
      ->offset = RD_KAFKA_OFFSET_END;
  rd_kafka_topic_partition_list_add(listened, self.options.members_topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_END;
  rd_kafka_assign(self.listener, listened);
  rd_kafka_topic_partition_list_destroy(listened);

  self.apply_thread = std::thread([impl = impl_.get()] { impl->run_apply(); });
  self.listen_thread = std::thread([impl = impl_.get()] { impl->run_listen(); });
  self.ticker_thread = std::thread([impl = impl_.get()] { impl->run_ticker(); });
  return Status::ok();
}

void ClusterNode::stop() {
  Impl& self = *impl_;
  if (self.stopping.exchange(true)) return;
  if (self.ticker_thread.joinable()) self.ticker_thread.join();
  if (self.listen_thread.joinable()) self.listen_thread.join();
  if (self.apply_thread.joinable()) self.apply_thread.join();
  if (self.consumer != nullptr) {
    rd_kafka_consumer_close(self.consumer);  // leaves the group: others take over now
    rd_kafka_destroy(self.consumer);
    self.consumer = nullptr;
  }
  if (self.listener != nullptr) {
    rd_kafka_consumer_close(self.listener);
    rd_kafka_destroy(self.listener);
    self.listener = nullptr;
  }
  if (self.producer != nullptr) {
    rd_kafka_flush(self.producer, 5'000);
    rd_kafka_destroy(self.producer);
    self.producer = nullptr;
  }
  std::unordered_map<std::string, Pending> left;
  {
    std::lock_guard lock(self.pending_mutex);
    left.swap(self.pending);
  }
  for (auto& [id, pending] : left) answer_unavailable(pending);
  std::lock_guard lock(self.config_mutex);
  for (auto& [id, waiting] : self.config_waiting) {
    waiting.set_value({ConfigError::unavailable, "id"});
  }
  self.config_waiting.clear();
}

void ClusterNode::set_advertised_address(std::string address) {
  std::lock_guard lock(impl_->state_mutex);
  impl_->advertised_address = std::move(address);
  impl_->announce.store(true);
}

ClusterStats ClusterNode::stats() const {
  std::lock_guard lock(impl_->state_mutex);
  ClusterStats stats = impl_->stats;
  stats.catalogs_agree = impl_->catalogs_agree_locked();
  for (uint32_t p = 0; p < impl_->options.partitions; ++p) {
    if (!impl_->owned[p]) continue;
    stats.owned.push_back(p);
    stats.lag.emplace_back(
        p, std::max<int64_t>(0, impl_->log_end(p) - static_cast<int64_t>(impl_->fed_next[p])));
  }
  return stats;
}

std::string ClusterNode::status_json() const {
  const Impl& self = *impl_;
  const int64_t now = steady_ms();
  boost::json::array nodes;
  boost::json::array table;
  std::lock_guard lock(self.state_mutex);
  // Each partition's owner: of the live members claiming it, the one assigned last (a
  // member that has not heard of a rebalance yet still claims what it had).
  std::vector<const Member*> owner(self.options.partitions, nullptr);
  for (const auto& [id, member] : self.members) {
    const bool alive = self.alive(member, now);
    nodes.push_back(boost::json::object{
        {"id", id},
        {"address", member.address},
        {"catalog", member.catalog},
        {"alive", alive},
        {"last_heard_ms_ago", now - member.heard_at_ms},
        {"partitions", boost::json::value_from(member.partitions)},
    });
    if (!alive) continue;
    for (const uint32_t p : member.partitions) {
      if (p < owner.size() && (owner[p] == nullptr || owner[p]->assigned_at < member.assigned_at)) {
        owner[p] = &member;
      }
    }
  }
  for (uint32_t p = 0; p < self.options.partitions; ++p) {
    boost::json::object row{{"partition", p}};
    if (owner[p] == nullptr) {
      row["owner"] = nullptr;
    } else {
      const auto [applied, end] = owner[p]->applied_and_end.at(p);
      row["owner"] = owner[p]->node_id;
      row["owner_address"] = owner[p]->address;
      row["applied_offset"] = applied;
      row["end_offset"] = end;
      row["lag"] = std::max<int64_t>(0, end - static_cast<int64_t>(applied));
    }
    row["owned_here"] = static_cast<bool>(self.owned[p]);
    table.push_back(std::move(row));
  }
  return boost::json::serialize(boost::json::object{
      {"mode", "cluster"},
      {"node",
       boost::json::object{{"id", self.options.node_id}, {"address", self.advertised_address}}},
      {"partitions", self.options.partitions},
      {"commands_topic", self.options.commands_topic},
      // Nodes that apply the same log with different catalogs can decide differently:
      // declare the same locations, sources and channels on every node.
      {"catalogs_agree", self.catalogs_agree_locked()},
      {"nodes", std::move(nodes)},
      {"partition_table", std::move(table)},
      {"stats", boost::json::object{{"proposed", self.stats.proposed},
                                    {"applied", self.stats.applied},
                                    {"config_applied", self.stats.config_applied},
                                    {"replies_sent", self.stats.replies_sent},
                                    {"replies_received", self.stats.replies_received},
                                    {"timed_out", self.stats.timed_out},
                                    {"unreadable", self.stats.unreadable},
                                    {"rebalances", self.stats.rebalances},
                                    {"last_error", self.stats.last_error}}},
  });
}

// ---- CommandLog ----

void ClusterNode::propose_events(std::vector<Event> events,
                                 std::function<void(std::vector<EventResult>)> done) {
  if (events.empty()) return done({});
  struct Gather {
    std::vector<EventResult> results;
    std::atomic<size_t> remaining{0};
    std::function<void(std::vector<EventResult>)> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->results.resize(events.size());
  gather->done = std::move(done);
  // One command per partition and chunk, each answered into its places of the result.
  std::map<uint32_t, std::vector<uint32_t>> by_partition;
  for (uint32_t i = 0; i < events.size(); ++i) {
    by_partition[partition_of_sku(events[i].sku, impl_->options.partitions)].push_back(i);
  }
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> chunks;
  for (auto& [partition, indices] : by_partition) {
    for (size_t from = 0; from < indices.size(); from += kEventsPerCommand) {
      const size_t to = std::min(indices.size(), from + kEventsPerCommand);
      chunks.emplace_back(partition,
                          std::vector<uint32_t>(indices.begin() + static_cast<long>(from),
                                                indices.begin() + static_cast<long>(to)));
    }
  }
  gather->remaining.store(chunks.size());
  for (auto& [partition, indices] : chunks) {
    ClusterCommand command;
    command.kind = CommandKind::events;
    command.id = impl_->new_command_id();
    Pending waiting;
    for (const uint32_t i : indices) {
      waiting.event_ids.push_back(events[i].id);
      command.events.push_back(std::move(events[i]));
    }
    waiting.events_done = [gather, indices = indices](std::vector<EventResult> results) {
      for (size_t k = 0; k < indices.size() && k < results.size(); ++k) {
        gather->results[indices[k]] = std::move(results[k]);
      }
      if (gather->remaining.fetch_sub(1) == 1) gather->done(std::move(gather->results));
    };
    impl_->append(partition, std::move(command), std::move(waiting));
  }
}

void ClusterNode::propose_reserve(ReserveRequest request, std::function<void(ReserveResult)> done) {
  const uint32_t partition = partition_of_sku(request.sku, impl_->options.partitions);
  ClusterCommand command;
  command.kind = CommandKind::reserve;
  command.id = impl_->new_command_id();
  command.reserve = std::move(request);
  Pending waiting;
  waiting.reserve_done = std::move(done);
  impl_->append(partition, std::move(command), std::move(waiting));
}

void ClusterNode::propose_end(std::string id, ReservationState to, std::string order_id,
                              std::string principal, std::function<void(ReserveResult)> done) {
  const std::optional<uint32_t> partition = partition_of_reservation(id, impl_->options.partitions);
  if (!partition) {
    ReserveResult result;
    result.status = ReserveStatus::reservation_not_found;
    return done(std::move(result));
  }
  ClusterCommand command;
  command.kind = CommandKind::end_reservation;
  command.id = impl_->new_command_id();
  command.reservation_id = std::move(id);
  command.to = to;
  command.order_id = std::move(order_id);
  command.principal = std::move(principal);
  Pending waiting;
  waiting.reserve_done = std::move(done);
  impl_->append(*partition, std::move(command), std::move(waiting));
}

void ClusterNode::read_stock(std::string sku, std::function<void(StockView)> done) {
  const uint32_t partition = partition_of_sku(sku, impl_->options.partitions);
  if (impl_->reads_locally(partition)) return impl_->engine.read_local_stock(sku, std::move(done));
  ClusterCommand command;
  command.kind = CommandKind::read_stock;
  command.id = impl_->new_command_id();
  command.sku = sku;
  Pending waiting;
  waiting.stock_done = std::move(done);
  waiting.sku = std::move(sku);
  impl_->append(partition, std::move(command), std::move(waiting));
}

ConfigCheck ClusterNode::propose_config(ConfigKind kind, std::string id, std::string bytes) {
  Impl& self = *impl_;
  ConfigChange change;
  change.command_id = self.new_command_id();
  change.origin = self.options.node_id;
  change.kind = kind;
  change.entry_id = std::move(id);
  change.bytes = std::move(bytes);
  std::future<ConfigCheck> applied;
  {
    std::lock_guard lock(self.config_mutex);
    applied = self.config_waiting[change.command_id].get_future();
  }
  const std::string value = encode_config_change(change);
  const std::string key = std::string(1, static_cast<char>(kind)) + change.entry_id;
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(self.producer, RD_KAFKA_V_TOPIC(self.options.config_topic.c_str()),
                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key.data(), key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR &&
      applied.wait_for(std::chrono::milliseconds{self.options.request_timeout_ms}) ==
          std::future_status::ready) {
    return applied.get();
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    self.note_error(std::string("configuration append: ") + rd_kafka_err2str(err));
  }
  std::lock_guard lock(self.config_mutex);
  self.config_waiting.erase(change.command_id);
  return {ConfigError::unavailable, "id"};
}

void ClusterNode::read_reservation(std::string id, std::function<void(ReserveResult)> done) {
  const std::optional<uint32_t> partition = partition_of_reservation(id, impl_->options.partitions);
  if (!partition) {
    ReserveResult result;
    result.status = ReserveStatus::reservation_not_found;
    return done(std::move(result));
  }
  if (impl_->reads_locally(*partition)) {
    return impl_->engine.read_local_reservation(std::move(id), std::move(done));
  }
  ClusterCommand command;
  command.kind = CommandKind::read_reservation;
  command.id = impl_->new_command_id();
  command.reservation_id = std::move(id);
  Pending waiting;
  waiting.reserve_done = std::move(done);
  impl_->append(*partition, std::move(command), std::move(waiting));
}

}  // namespace stockd
