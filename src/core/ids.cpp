#include "core/ids.hpp"

#include "base/limits.hpp"

namespace stockd {
namespace {

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

}  // namespace

bool is_valid_sku(std::string_view sku) {
  if (sku.empty() || sku.size() > limits::sku_length_max) return false;
  for (const char c : sku) {
    if (!is_id_char(c) && c != '/') return false;
  }
  return true;
}

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > limits::id_length_max) return false;
  for (const char c : id) {
    if (!is_id_char(c)) return false;
  }
  return true;
}

}  // namespace stockd
