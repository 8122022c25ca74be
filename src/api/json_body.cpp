#include "api/json_body.hpp"

#include <boost/json/parse.hpp>

#include "api/problem.hpp"

namespace json = boost::json;

namespace stockd {

std::optional<json::value> parse_json_body(std::string_view body, HttpResponse& error) {
  boost::system::error_code code;
  json::parse_options options;
  options.max_depth = 16;
  json::value value = json::parse(body, code, {}, options);
  if (code) {
    error = problem(400, "malformed-json", "Malformed JSON",
                    "the body is not valid JSON: " + code.message());
    return std::nullopt;
  }
  return value;
}

const json::object* require_object(const json::value& value, HttpResponse& error) {
  if (!value.is_object()) {
    error = validation_problem("", "the body must be a JSON object");
    return nullptr;
  }
  return &value.as_object();
}

std::optional<json::value> parse_object_body(std::string_view body, HttpResponse& error) {
  std::optional<json::value> value = parse_json_body(body, error);
  if (value && require_object(*value, error) == nullptr) return std::nullopt;
  return value;
}

bool ObjectReader::fail(std::string field, std::string detail) {
  if (!error_) error_.emplace(std::move(field), std::move(detail));
  return false;
}

HttpResponse ObjectReader::error() const {
  return validation_problem(error_->first, error_->second);
}

bool ObjectReader::only(std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object_) {
    bool found = false;
    for (const std::string_view name : known) found = found || name == key;
    if (!found) return fail(std::string(key), "unknown field '" + std::string(key) + "'");
  }
  return true;
}

bool ObjectReader::text(std::string_view key, std::string& out, bool required, size_t length_max) {
  const json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return !required || fail(std::string(key), std::string(key) + " is required");
  }
  if (!value->is_string()) return fail(std::string(key), std::string(key) + " must be a string");
  if (value->as_string().size() > length_max) {
    return fail(std::string(key),
                std::string(key) + " is longer than " + std::to_string(length_max) + " characters");
  }
  out = std::string(value->as_string());
  return true;
}

bool ObjectReader::integer(std::string_view key, int64_t& out, int64_t min, int64_t max,
                           bool required) {
  const json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return !required || fail(std::string(key), std::string(key) + " is required");
  }
  if (!value->is_int64()) {
    if (value->is_uint64()) {
      return fail(std::string(key), std::string(key) + " must be between " + std::to_string(min) +
                                        " and " + std::to_string(max));
    }
    return fail(std::string(key), std::string(key) + " must be a whole number");
  }
  const int64_t number = value->as_int64();
  if (number < min || number > max) {
    return fail(std::string(key), std::string(key) + " must be between " + std::to_string(min) +
                                      " and " + std::to_string(max));
  }
  out = number;
  return true;
}

bool ObjectReader::number(std::string_view key, double& out, bool required) {
  const json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return !required || fail(std::string(key), std::string(key) + " is required");
  }
  if (value->is_int64()) {
    out = static_cast<double>(value->as_int64());
  } else if (value->is_double()) {
    out = value->as_double();
  } else {
    return fail(std::string(key), std::string(key) + " must be a number");
  }
  return true;
}

bool ObjectReader::boolean(std::string_view key, bool& out) {
  const json::value* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return true;
  if (!value->is_bool()) return fail(std::string(key), std::string(key) + " must be true or false");
  out = value->as_bool();
  return true;
}

}  // namespace stockd
