// A stockd node in cluster mode (DESIGN §6, docs/SCALING.md): the engine's commands go
// to a Kafka commands topic partitioned like the shards (partition = slot of the SKU mod
// partitions = shard), and each partition is applied, in log order, by the node the
// consumer group gives it to. Any node accepts any request: it appends the command and
// answers once the command has been read back and applied — by itself when it owns the
// partition, otherwise by the owner, whose answer comes back on the replies topic. Kafka
// is the replicated log; stockd adds no consensus of its own.
//
// Ownership: the group's assignment. A node that gains a partition resumes it from its
// own durable checkpoint (engine/command_log.hpp: the next offset is written with the
// state it produced), so nothing is applied twice or skipped; a node that never had it
// replays it from the start of the topic. Nodes announce themselves, their partitions and
// how far they have applied on a members topic (GET /v1/cluster).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.hpp"
#include "base/time.hpp"
#include "engine/command_log.hpp"
#include "engine/engine.hpp"

namespace stockd {

struct ClusterOptions {
  std::string bootstrap;  // bootstrap.servers; "" = single-node mode (the default)
  std::string commands_topic = "stockd.commands";
  std::string replies_topic = "stockd.replies";  // a partition per node id (mod its count)
  std::string members_topic = "stockd.members";  // one partition: who owns what
  std::string config_topic = "stockd.config";    // one partition: configuration changes
  std::string group_id = "stockd-cluster";
  uint32_t node_id = 0;             // unique in the cluster
  std::string advertised_address;   // where clients reach this node (shown to others)
  uint32_t partitions = 0;          // of the commands topic = the engine's shards
  int session_timeout_ms = 10'000;  // a silent node loses its partitions after this
  int request_timeout_ms = 15'000;  // a proposal not applied by then is answered 503
  int tick_ms = 1'000;              // the owner stamps its clock into its partitions
  int heartbeat_ms = 1'000;         // how often a node announces itself
  // Extra librdkafka properties (key, value), applied last to every client.
  std::vector<std::pair<std::string, std::string>> properties;
};

struct ClusterStats {
  uint64_t proposed = 0;          // commands appended by this node
  uint64_t applied = 0;           // commands of owned partitions applied here
  uint64_t replies_sent = 0;      // answers sent to other nodes
  uint64_t replies_received = 0;  // answers from owners to this node's proposals
  uint64_t timed_out = 0;         // proposals answered 503 after request_timeout_ms
  uint64_t config_applied = 0;    // configuration changes applied from the topic
  uint64_t unreadable = 0;        // log messages that are not a command of their partition
  uint64_t rebalances = 0;
  bool catalogs_agree = true;   // every live member announces the same catalog digest
  std::vector<uint32_t> owned;  // partitions this node applies now
  std::vector<std::pair<uint32_t, int64_t>> lag;  // per owned partition: log end - applied
  std::string last_error;
};

class ClusterNode final : public CommandLog {
 public:
  // The engine must run with shards = options.partitions and log_driven.
  ClusterNode(Engine& engine, const Clock& clock, ClusterOptions options);
  ~ClusterNode() override;
  // Checks the topics (the commands topic must have `partitions` partitions), joins the
  // group and starts applying. Set the engine's command log after this succeeds.
  Status start();
  // Leaves the group (others take the partitions over), answers what is pending 503.
  void stop();
  ClusterStats stats() const;
  // Where clients reach this node, once known (the server's bound port when options had
  // none); announced from the next heartbeat on.
  void set_advertised_address(std::string address);
  // GET /v1/cluster: this node, the members heard from, each partition's owner and lag.
  std::string status_json() const;

  void propose_events(std::vector<Event> events,
                      std::function<void(std::vector<EventResult>)> done) override;
  void propose_reserve(ReserveRequest request, std::function<void(ReserveResult)> done) override;
  void propose_end(std::string id, ReservationState to, std::string order_id, std::string principal,
                   std::function<void(ReserveResult)> done) override;
  void read_stock(std::string sku, std::function<void(StockView)> done) override;
  void read_reservation(std::string id, std::function<void(ReserveResult)> done) override;
  ConfigCheck propose_config(ConfigKind kind, std::string id, std::string bytes) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd
