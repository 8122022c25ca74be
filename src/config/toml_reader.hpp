// Strict readers for TOML tables (toml++): every key must be known, every value of the
// right type and range, and an error names where it is ("channels[2].share: ..."). Used
// by the configuration file and the simulator's scenarios.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace stockd {

// Reads one table strictly: every key must be known, every value of the right type.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string where, std::string* error)
      : table_(table), where_(std::move(where)), error_(error) {}

  bool only(std::initializer_list<std::string_view> known) {
    for (const auto& [key, value] : table_) {
      bool found = false;
      for (const std::string_view name : known) found = found || name == key.str();
      if (!found) return fail(std::string(key.str()), "unknown setting");
    }
    return true;
  }

  bool text(std::string_view key, std::string& out, bool required = false) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return !required || fail(key, "is required");
    const auto value = node->value<std::string>();
    if (!node->is_string() || !value) return fail(key, "must be a string");
    out = *value;
    return true;
  }

  bool integer(std::string_view key, int64_t& out, int64_t min, int64_t max) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return true;
    if (!node->is_integer()) return fail(key, "must be a whole number");
    const int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = value;
    return true;
  }

  bool number(std::string_view key, double& out) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return true;
    if (node->is_integer()) {
      out = static_cast<double>(node->as_integer()->get());
    } else if (node->is_floating_point()) {
      out = node->as_floating_point()->get();
    } else {
      return fail(key, "must be a number");
    }
    return true;
  }

  bool boolean(std::string_view key, bool& out) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return true;
    if (!node->is_boolean()) return fail(key, "must be true or false");
    out = node->as_boolean()->get();
    return true;
  }

  // A number within [min, max].
  bool number(std::string_view key, double& out, double min, double max) {
    double value = out;
    if (!number(key, value)) return false;
    if (value < min || value > max) {
      return fail(key, "must be between " + format_number(min) + " and " + format_number(max));
    }
    out = value;
    return true;
  }

  // An array of numbers, each at least 0.
  bool numbers(std::string_view key, std::vector<double>& out) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return true;
    const toml::array* array = node->as_array();
    if (array == nullptr) return fail(key, "must be an array of numbers");
    std::vector<double> values;
    for (const toml::node& item : *array) {
      if (item.is_integer()) {
        values.push_back(static_cast<double>(item.as_integer()->get()));
      } else if (item.is_floating_point()) {
        values.push_back(item.as_floating_point()->get());
      } else {
        return fail(key, "must be an array of numbers");
      }
      if (values.back() < 0) return fail(key, "must not hold negative numbers");
    }
    out = std::move(values);
    return true;
  }

  // An array of strings.
  bool texts(std::string_view key, std::vector<std::string>& out) {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return true;
    const toml::array* array = node->as_array();
    if (array == nullptr) return fail(key, "must be an array of strings");
    std::vector<std::string> values;
    for (const toml::node& item : *array) {
      const auto value = item.value<std::string>();
      if (!item.is_string() || !value) return fail(key, "must be an array of strings");
      values.push_back(*value);
    }
    out = std::move(values);
    return true;
  }

  bool fail(std::string_view key, const std::string& what) {
    *error_ = where_ + "." + std::string(key) + ": " + what;
    return false;
  }

 private:
  static std::string format_number(double value) {
    std::string text = std::to_string(value);
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
  }

  const toml::table& table_;
  std::string where_;
  std::string* error_;
};

// Visits each table of an array of tables `[[name]]`.
template <typename Visit>
bool each_table(const toml::table& root, std::string_view name, std::string* error, Visit visit) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return true;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    *error = std::string(name) + ": must be an array of tables ([[" + std::string(name) + "]])";
    return false;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table* table = (*array)[i].as_table();
    const std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    if (table == nullptr) {
      *error = where + ": must be a table";
      return false;
    }
    if (!visit(*table, where)) return false;
  }
  return true;
}

}  // namespace stockd
