// Cluster mode's log messages (cluster/commands.hpp): whatever bytes sit in the commands
// or replies topic, decoding refuses them or gives a message that encodes and decodes to
// itself, and a command's partition is computed without a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/commands.hpp"

using namespace stockd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (const std::optional<ClusterCommand> command = decode_command(bytes)) {
    (void)partition_of(*command, 6);
    const std::string encoded = encode_command(*command);
    const std::optional<ClusterCommand> again = decode_command(encoded);
    if (!again || encode_command(*again) != encoded) std::abort();
  }
  if (const std::optional<ClusterReply> reply = decode_reply(bytes)) {
    const std::string encoded = encode_reply(*reply);
    const std::optional<ClusterReply> again = decode_reply(encoded);
    if (!again || encode_reply(*again) != encoded) std::abort();
  }
  if (const std::optional<ConfigChange> change = decode_config_change(bytes)) {
    if (encode_config_change(*change) != bytes) std::abort();  // the encoding is canonical
  }
  return 0;
}
