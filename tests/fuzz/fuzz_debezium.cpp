// Debezium change events off a Kafka topic: facts or an unreadable message, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "connectors/debezium.hpp"

using namespace stockd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const CdcMapping mapping = [] {
    CdcMapping m;
    m.topic = "erp.public.stock";
    m.source = "wms";
    m.sku_column = "item_no";
    m.location_column = "store_id";
    m.quantity_column = "qty";
    return m;
  }();
  CdcMapping delta = mapping;
  delta.mode = CdcMode::delta;
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  (void)debezium_events(mapping, value, 0, 1);
  (void)debezium_events(delta, value, 0, 1);
  return 0;
}
