// What the store holds, read back: ledger records, positions, reservations and exceptions
// decode or are refused; a decoded record re-encodes to bytes that decode the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/encoding.hpp"
#include "core/ledger.hpp"
#include "core/stock_exception.hpp"

using namespace stockd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (const auto position = decode_position(bytes)) {
    if (decode_position(encode_position(*position)) != position) __builtin_trap();
  }
  (void)decode_ledger_record(bytes);
  (void)decode_reservation(bytes);
  if (const auto exception = decode_stock_exception(bytes)) {
    if (decode_stock_exception(encode_stock_exception(*exception)) != exception) __builtin_trap();
  }
  (void)decode_location(bytes);
  (void)decode_channel(bytes);
  (void)decode_promotion(bytes);
  return 0;
}
