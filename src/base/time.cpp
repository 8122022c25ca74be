#include "base/time.hpp"

#include <cstdio>

namespace stockd {
namespace {

bool parse_digits(std::string_view text, size_t position, size_t count, int& out) {
  if (position + count > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[position + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.f+](Z|+HH:MM|-HH:MM)
  int year, month, day, hour, minute, second;
  if (text.size() < 20) return std::nullopt;
  if (!parse_digits(text, 0, 4, year) || text[4] != '-' || !parse_digits(text, 5, 2, month) ||
      text[7] != '-' || !parse_digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  if (!parse_digits(text, 11, 2, hour) || text[13] != ':' || !parse_digits(text, 14, 2, minute) ||
      text[16] != ':' || !parse_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  size_t position = 19;
  int64_t fraction_micros = 0;
  if (position < text.size() && text[position] == '.') {
    ++position;
    size_t digits = 0;
    int64_t scale = 100000;
    while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
      if (digits < 6) fraction_micros += (text[position] - '0') * scale;
      scale /= 10;
      ++digits;
      ++position;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
  }
  if (position >= text.size()) return std::nullopt;
  int offset_minutes = 0;
  const char zone = text[position];
  if (zone == 'Z' || zone == 'z') {
    ++position;
  } else if (zone == '+' || zone == '-') {
    int offset_hour, offset_minute;
    if (!parse_digits(text, position + 1, 2, offset_hour) || position + 3 >= text.size() ||
        text[position + 3] != ':' || !parse_digits(text, position + 4, 2, offset_minute)) {
      return std::nullopt;
    }
    if (offset_hour > 23 || offset_minute > 59) return std::nullopt;
    offset_minutes = (offset_hour * 60 + offset_minute) * (zone == '+' ? 1 : -1);
    position += 6;
  } else {
    return std::nullopt;
  }
  if (position != text.size()) return std::nullopt;

  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  const std::chrono::sys_days days{date};
  Timestamp at = std::chrono::time_point_cast<Duration>(days) + std::chrono::hours{hour} +
                 std::chrono::minutes{minute} + std::chrono::seconds{second} +
                 Duration{fraction_micros} - std::chrono::minutes{offset_minutes};
  return at;
}

std::string format_rfc3339(Timestamp at) {
  const auto days = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time_of_day{at - days};
  const int64_t micros = time_of_day.subseconds().count();
  char buffer[40];
  int length;
  if (micros % 1000 == 0) {
    length = std::snprintf(
        buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(time_of_day.hours().count()),
        static_cast<int>(time_of_day.minutes().count()),
        static_cast<int>(time_of_day.seconds().count()), static_cast<int>(micros / 1000));
  } else {
    length = std::snprintf(
        buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(time_of_day.hours().count()),
        static_cast<int>(time_of_day.minutes().count()),
        static_cast<int>(time_of_day.seconds().count()), static_cast<int>(micros));
  }
  return std::string(buffer, static_cast<size_t>(length));
}

std::optional<Duration> parse_duration(std::string_view text) {
  size_t digits = 0;
  int64_t value = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    if (value > 1'000'000'000) return std::nullopt;
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds{value};
  if (unit == "s") return std::chrono::seconds{value};
  if (unit == "m") return std::chrono::minutes{value};
  if (unit == "h") return std::chrono::hours{value};
  if (unit == "d") return std::chrono::hours{value * 24};
  return std::nullopt;
}

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

Timestamp ManualClock::now() const { return timestamp_from_micros(now_micros_.load()); }
void ManualClock::advance(Duration by) { now_micros_.fetch_add(by.count()); }
void ManualClock::set(Timestamp at) { now_micros_.store(micros_of(at)); }

}  // namespace stockd
