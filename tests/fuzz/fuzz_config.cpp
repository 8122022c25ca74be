// stockd.toml: anything at all is either a configuration or an error naming the key.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "app/config_file.hpp"

using namespace stockd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/stockd-fuzz-config-" + std::to_string(getpid()) + ".toml";
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  FileConfig config;
  std::string error;
  if (!load_config_file(path, config, &error) && error.empty()) __builtin_trap();
  return 0;
}
