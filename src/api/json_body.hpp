// Strict reading of JSON request bodies: malformed JSON is 400, a wrong type, a value
// out of range, a missing required field or an unknown field is 422 naming the field.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.hpp"

namespace stockd {

// Parses `body` as JSON; on failure returns nullopt and sets `error` (400).
std::optional<boost::json::value> parse_json_body(std::string_view body, HttpResponse& error);

class ObjectReader {
 public:
  explicit ObjectReader(const boost::json::object& object) : object_(object) {}

  bool only(std::initializer_list<std::string_view> known);
  bool text(std::string_view key, std::string& out, bool required = false, size_t length_max = 512);
  bool integer(std::string_view key, int64_t& out, int64_t min, int64_t max, bool required = false);
  bool number(std::string_view key, double& out, bool required = false);
  bool boolean(std::string_view key, bool& out);
  const boost::json::value* find(std::string_view key) const { return object_.if_contains(key); }

  // Records a failure about `field`; the first one wins.
  bool fail(std::string field, std::string detail);
  bool failed() const { return error_.has_value(); }
  HttpResponse error() const;

 private:
  const boost::json::object& object_;
  std::optional<std::pair<std::string, std::string>> error_;
};

// The body must be a JSON object: returns it, or nullptr with `error` set.
const boost::json::object* require_object(const boost::json::value& value, HttpResponse& error);

// Parses a body that must be a JSON object: the parsed value (an object), or nullopt
// with `error` set (400 malformed JSON, 422 not an object).
std::optional<boost::json::value> parse_object_body(std::string_view body, HttpResponse& error);

}  // namespace stockd
