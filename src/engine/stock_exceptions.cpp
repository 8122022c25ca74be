// Statistical exceptions: written by the shards with the facts that raised them (aux
// records "exception/<id>"), read and resolved here.
#include <cstdio>
#include <cstdlib>

#include "engine/engine.hpp"

namespace stockd {

bool Engine::stock_exceptions(std::vector<StockException>& out) {
  bool readable = true;
  const Status status =
      store_.for_each_aux(kStockExceptionPrefix, [&](std::string_view, std::string_view value) {
        if (std::optional<StockException> exception = decode_stock_exception(value)) {
          out.push_back(std::move(*exception));
        } else {
          readable = false;
        }
      });
  return status.is_ok() && readable;
}

std::optional<StockException> Engine::find_stock_exception(std::string_view id) {
  const std::optional<std::string> bytes = store_.get_aux(stock_exception_key(id));
  return bytes ? decode_stock_exception(*bytes) : std::nullopt;
}

Engine::ResolveResult Engine::resolve_exception(std::string_view id, std::string resolved_by,
                                                std::string resolution) {
  ResolveResult result;
  std::lock_guard lock(exceptions_mutex_);
  const std::string key = stock_exception_key(id);
  const std::optional<std::string> bytes = store_.get_aux(key);
  std::optional<StockException> exception = bytes ? decode_stock_exception(*bytes) : std::nullopt;
  if (!exception) {
    result.error = ResolveError::not_found;
    return result;
  }
  if (exception->resolved) {
    result.error = ResolveError::already_resolved;
    result.exception = std::move(*exception);
    return result;
  }
  exception->resolved = true;
  exception->resolved_at = clock_.now();
  exception->resolved_by = std::move(resolved_by);
  exception->resolution = std::move(resolution);
  if (Status status = store_.put_aux(key, encode_stock_exception(*exception)); !status.is_ok()) {
    std::fprintf(stderr, "stockd: exception write failed: %s\n", status.message().c_str());
    std::abort();
  }
  open_exceptions_.fetch_sub(1);
  result.exception = std::move(*exception);
  return result;
}

}  // namespace stockd
