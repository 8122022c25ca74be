// A memory resource for the shard's position maps: small blocks (map nodes) are cut from
// 1 MiB chunks with no per-block header and reused from per-size free lists; large ones
// (hash bucket arrays) go to the default resource. Millions of position nodes then cost
// what they hold, and loading them at start-up does not spend its time in malloc
// (docs/PERFORMANCE.md, "restart at scale"). Not thread-safe: one shard's thread uses it
// (or the thread loading the shard before it starts, or a coordinator while it is paused).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <memory_resource>
#include <vector>

namespace stockd {

class NodeArena final : public std::pmr::memory_resource {
 public:
  static constexpr size_t kSmallMax = 1024;  // larger blocks go to the default resource
  static constexpr size_t kChunkBytes = 1 << 20;
  static constexpr size_t kAlign = alignof(std::max_align_t);

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  static size_t rounded(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

  void* do_allocate(size_t bytes, size_t alignment) override {
    if (bytes > kSmallMax || alignment > kAlign) {
      return std::pmr::get_default_resource()->allocate(bytes, alignment);
    }
    const size_t size = rounded(bytes);
    FreeBlock*& free = free_[size / kAlign];
    if (free != nullptr) {
      FreeBlock* block = free;
      free = block->next;
      return block;
    }
    if (left_ < size) {
      chunks_.push_back(std::make_unique_for_overwrite<std::byte[]>(kChunkBytes));
      next_ = chunks_.back().get();
      left_ = kChunkBytes;
    }
    void* block = next_;
    next_ += size;
    left_ -= size;
    return block;
  }

  void do_deallocate(void* pointer, size_t bytes, size_t alignment) override {
    if (bytes > kSmallMax || alignment > kAlign) {
      std::pmr::get_default_resource()->deallocate(pointer, bytes, alignment);
      return;
    }
    auto* block = static_cast<FreeBlock*>(pointer);
    block->next = free_[rounded(bytes) / kAlign];
    free_[rounded(bytes) / kAlign] = block;
  }

  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::byte* next_ = nullptr;
  size_t left_ = 0;
  std::array<FreeBlock*, kSmallMax / kAlign + 1> free_{};
};

}  // namespace stockd
