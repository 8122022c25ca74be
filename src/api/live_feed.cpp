#include "api/live_feed.hpp"

#include <chrono>

namespace stockd {
namespace {

constexpr size_t kPendingMax = 256;
constexpr auto kTick = std::chrono::milliseconds{1000};

std::string sse(std::string_view event, std::string_view data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += data;  // JSON: one line
  out += "\n\n";
  return out;
}

}  // namespace

class LiveFeed::Subscriber final : public ResponseStream {
 public:
  void next(std::function<void(std::optional<std::string>)> deliver) override {
    std::unique_lock lock(mutex_);
    if (!pending_.empty()) {
      std::string chunk = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      return deliver(std::move(chunk));
    }
    if (ended_) {
      lock.unlock();
      return deliver(std::nullopt);
    }
    deliver_ = std::move(deliver);
  }
  void cancel() override { end(); }

  void push(std::string chunk) {
    std::unique_lock lock(mutex_);
    if (ended_) return;
    if (deliver_) {
      auto deliver = std::move(deliver_);
      deliver_ = nullptr;
      lock.unlock();
      return deliver(std::move(chunk));
    }
    if (pending_.size() >= kPendingMax) pending_.pop_front();
    pending_.push_back(std::move(chunk));
  }
  void end() {
    std::unique_lock lock(mutex_);
    ended_ = true;
    pending_.clear();
    if (deliver_) {
      auto deliver = std::move(deliver_);
      deliver_ = nullptr;
      lock.unlock();
      deliver(std::nullopt);
    }
  }
  bool ended() const {
    std::lock_guard lock(mutex_);
    return ended_;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<std::string> pending_;
  std::function<void(std::optional<std::string>)> deliver_;
  bool ended_ = false;
};

LiveFeed::LiveFeed(std::function<std::string()> snapshot,
                   std::function<std::vector<std::string>()> changes)
    : snapshot_(std::move(snapshot)), changes_(std::move(changes)) {}

LiveFeed::~LiveFeed() { stop(); }

void LiveFeed::start() {
  thread_ = std::thread([this] { run(); });
}

void LiveFeed::stop() {
  std::vector<std::shared_ptr<Subscriber>> ending;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    ending.swap(subscribers_);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& subscriber : ending) subscriber->end();
}

std::shared_ptr<ResponseStream> LiveFeed::subscribe() {
  auto subscriber = std::make_shared<Subscriber>();
  std::lock_guard lock(mutex_);
  if (stopping_) {
    subscriber->end();
    return subscriber;
  }
  subscriber->push("retry: 2000\n\n");
  if (!last_snapshot_.empty()) subscriber->push(sse("snapshot", last_snapshot_));
  subscribers_.push_back(subscriber);
  return subscriber;
}

size_t LiveFeed::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

void LiveFeed::broadcast(const std::string& message) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [](const auto& subscriber) { return subscriber->ended(); });
    targets = subscribers_;
  }
  for (const auto& subscriber : targets) subscriber->push(message);
}

void LiveFeed::run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kTick, [&] { return stopping_; });
      if (stopping_) return;
    }
    const std::string snapshot = snapshot_();
    {
      std::lock_guard lock(mutex_);
      last_snapshot_ = snapshot;
    }
    for (const std::string& change : changes_()) broadcast(sse("availability", change));
    broadcast(sse("snapshot", snapshot));
  }
}

}  // namespace stockd
