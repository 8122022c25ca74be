// Time as the domain sees it: instants with microsecond resolution since the Unix
// epoch (UTC), and a Clock interface so that tests and the simulator control "now".
// The domain core never reads a clock; the engine asks its Clock and passes `now` in.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stockd {

using Duration = std::chrono::microseconds;
using Timestamp = std::chrono::sys_time<Duration>;

inline constexpr Timestamp timestamp_from_micros(int64_t unix_micros) {
  return Timestamp{Duration{unix_micros}};
}
inline constexpr int64_t micros_of(Timestamp at) { return at.time_since_epoch().count(); }

// Parses an RFC 3339 timestamp ("2026-11-27T10:15:02.120Z", offsets like +01:00
// allowed, up to 6 fractional digits kept). Returns nullopt for anything else.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Formats as "YYYY-MM-DDTHH:MM:SS.ffffffZ" with trailing fraction zeros trimmed to
// milliseconds where possible ("2026-11-27T10:15:02.120Z").
std::string format_rfc3339(Timestamp at);

// Parses durations such as "90d", "12h", "15m", "30s", "250ms". Returns nullopt otherwise.
std::optional<Duration> parse_duration(std::string_view text);

// The source of "now". Implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// A clock that only moves when told to; for tests and the simulator.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_micros_(micros_of(start)) {}
  Timestamp now() const override;
  void advance(Duration by);
  void set(Timestamp at);

 private:
  std::atomic<int64_t> now_micros_;
};

}  // namespace stockd
