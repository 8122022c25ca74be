// GET /v1/stream: server-sent events for the dashboard. A ticker thread builds one
// snapshot per second (counters, rates, lag quantiles, alerts, channel and node health)
// and the latest availability changes, and pushes them to every subscriber. A slow
// subscriber loses its oldest pending messages, never blocks the others.
// Thread-safety: any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http_types.hpp"

namespace stockd {

class LiveFeed {
 public:
  // `snapshot` returns the JSON of one snapshot; `changes` the JSON objects of the
  // availability changes since its last call. Both run on the ticker thread.
  LiveFeed(std::function<std::string()> snapshot,
           std::function<std::vector<std::string>()> changes);
  ~LiveFeed();
  void start();
  void stop();  // ends every stream
  std::shared_ptr<ResponseStream> subscribe();
  size_t subscribers() const;

 private:
  class Subscriber;
  void run();
  void broadcast(const std::string& message);

  std::function<std::string()> snapshot_;
  std::function<std::vector<std::string>()> changes_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::string last_snapshot_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stockd
