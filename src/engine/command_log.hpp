// Cluster mode (DESIGN §6, docs/SCALING.md): state-changing commands go to a replicated
// log first and are applied in log order, one partition per shard. This header is the
// port between the engine and the log adapter (src/cluster); the engine never includes
// a Kafka library.
//
// Determinism: a logged command carries its place in the log (`LogStamp`). The shard
// applying it takes its time from the stamp (never going back), expires holds by that
// time only, derives new reservation ids from the offset, and writes the next offset to
// apply in the same atomic write as the state it changed. So any node that applies a
// partition's log from the same checkpoint reaches the same state and the same answers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.hpp"
#include "core/catalog.hpp"
#include "core/event.hpp"
#include "core/reservation.hpp"
#include "engine/store.hpp"

namespace stockd {

struct EventResult;
struct ReserveRequest;
struct ReserveResult;
struct StockView;

// Where a command sits in its partition's log, and the time its proposer stamped on it.
struct LogStamp {
  uint64_t offset = 0;
  Timestamp at{};
};

// Where a partition's apply stands, durably: the next offset to apply (0 = nothing yet)
// and the log time reached.
struct LogCheckpoint {
  uint64_t next_offset = 0;
  Timestamp log_time{};
};

// The aux record holding a partition's checkpoint, and its bytes (engine/engine.cpp).
std::string log_checkpoint_key(uint32_t partition);
std::string encode_log_checkpoint(const LogCheckpoint& checkpoint);
std::optional<LogCheckpoint> decode_log_checkpoint(std::string_view bytes);

// Where the engine sends commands in cluster mode instead of its shards. Answers come
// back once the command has been read back from the log and applied (by this node or by
// the partition's owner); `done` may run on any thread.
class CommandLog {
 public:
  virtual ~CommandLog() = default;
  virtual void propose_events(std::vector<Event> events,
                              std::function<void(std::vector<EventResult>)> done) = 0;
  virtual void propose_reserve(ReserveRequest request, std::function<void(ReserveResult)> done) = 0;
  virtual void propose_end(std::string id, ReservationState to, std::string order_id,
                           std::string principal, std::function<void(ReserveResult)> done) = 0;
  // Reads of a partition this node does not apply are answered by its owner.
  virtual void read_stock(std::string sku, std::function<void(StockView)> done) = 0;
  virtual void read_reservation(std::string id, std::function<void(ReserveResult)> done) = 0;
  // Configuration (checked by the engine first): appended to the configuration topic and
  // applied by every node in that topic's order (this one included, through
  // Engine::apply_logged_config); returns once this node has applied it, or `unavailable`.
  // `bytes` is the entry's stored encoding; empty = remove the entry.
  virtual ConfigCheck propose_config(ConfigKind kind, std::string id, std::string bytes) = 0;
};

}  // namespace stockd
