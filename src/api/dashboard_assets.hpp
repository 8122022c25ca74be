// The dashboard's files (web/ and uPlot from npm), embedded in the binary at build time
// by cmake/embed_assets.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace stockd {

struct DashboardAsset {
  std::string_view name;  // "index.html", "app.js", ...
  std::string_view content_type;
  const unsigned char* bytes;
  size_t size;
};

const DashboardAsset* find_dashboard_asset(std::string_view name);

}  // namespace stockd
