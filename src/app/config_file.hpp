// The TOML configuration file (`--config stockd.toml`): engine settings and the
// locations, sources and channels to declare. Every setting has a default, a unit in
// its name and a clear error when invalid. See docs/CONFIGURATION.md.
#pragma once

#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "engine/engine.hpp"

namespace stockd {

struct FileConfig {
  size_t shards = 0;  // 0 = one per core
  int64_t clock_drift_tolerance_seconds = 300;
  int64_t idempotency_retention_seconds = 7 * 24 * 3600;
  std::vector<Location> locations;
  std::vector<Source> sources;
  std::vector<Channel> channels;
};

// Parses `path`. On failure returns false and sets `error` to "<path>: <where>: <what>".
bool load_config_file(const std::string& path, FileConfig& out, std::string* error);

// Declares the file's locations, sources and channels in the engine (insert or
// replace). Returns false with `error` naming the first entry the engine refused.
bool declare_catalog(Engine& engine, const FileConfig& config, std::string* error);

EngineOptions engine_options(const FileConfig& config);

}  // namespace stockd
