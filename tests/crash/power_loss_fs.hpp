// A RocksDB file system that can lose power: it remembers, for every file written
// through it, how much was synced; cut_power() truncates each file to that (a file
// never synced disappears) and fails every write after it. This is what the page
// cache loses in a power cut, which kill -9 cannot show (the kernel keeps it). After the
// cut, anything that touches a file stops for good, as on a machine without power.
// Simplification: a synced file's directory entry is assumed durable.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace stockd::testing {

[[noreturn]] inline void halt() {
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}

class PowerLossFs final : public rocksdb::FileSystemWrapper {
 public:
  explicit PowerLossFs(const std::shared_ptr<rocksdb::FileSystem>& base)
      : rocksdb::FileSystemWrapper(base), state_(std::make_shared<State>()) {}

  static const char* kClassName() { return "PowerLossFs"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* debug) override {
    std::lock_guard lock(state_->mutex);
    if (state_->off) halt();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus status = target()->NewWritableFile(path, options, &file, debug);
    if (!status.ok()) return status;
    state_->files[path] = FileState{};
    *result = std::make_unique<File>(std::move(file), state_, path);
    return status;
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& path, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* debug) override {
    std::lock_guard lock(state_->mutex);
    if (state_->off) halt();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus status = target()->ReopenWritableFile(path, options, &file, debug);
    if (!status.ok()) return status;
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    FileState state;
    state.size = error ? 0 : size;
    state.synced = state.size;  // what was there before is durable
    state.ever_synced = true;
    state_->files[path] = state;
    *result = std::make_unique<File>(std::move(file), state_, path);
    return status;
  }

  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override {
    std::lock_guard lock(state_->mutex);
    if (state_->off) halt();
    rocksdb::IOStatus status = target()->RenameFile(from, to, options, debug);
    if (status.ok()) {
      if (auto found = state_->files.find(from); found != state_->files.end()) {
        state_->files[to] = found->second;
        state_->files.erase(found);
      }
    }
    return status;
  }

  rocksdb::IOStatus DeleteFile(const std::string& path, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override {
    std::lock_guard lock(state_->mutex);
    if (state_->off) halt();
    state_->files.erase(path);
    return target()->DeleteFile(path, options, debug);
  }

  // From now on every sync fails with EIO and takes the unsynced bytes of its file with
  // it (what an fsync error may mean: the kernel dropped the dirty pages).
  void fail_syncs() {
    std::lock_guard lock(state_->mutex);
    state_->failing = true;
  }
  // The next `count` syncs fail as fail_syncs() makes them fail; then the disk works.
  void fail_next_syncs(int count) {
    std::lock_guard lock(state_->mutex);
    state_->failures_left += count;
  }
  int sync_failures() const {
    std::lock_guard lock(state_->mutex);
    return state_->sync_failures;
  }
  // The disk works again (a transient fault: a path failover, a controller reset).
  void stop_failing_syncs() {
    std::lock_guard lock(state_->mutex);
    state_->failing = false;
    state_->failures_left = 0;
  }

  // The disk is full: every append and sync fails with ENOSPC and writes nothing, until
  // free_disk().
  void fill_disk() {
    std::lock_guard lock(state_->mutex);
    state_->full = true;
  }
  void free_disk() {
    std::lock_guard lock(state_->mutex);
    state_->full = false;
  }

  // Every unsynced byte is gone; nothing is written from now on. Returns the bytes lost.
  uint64_t cut_power() {
    std::lock_guard lock(state_->mutex);
    state_->off = true;
    uint64_t lost = 0;
    for (const auto& [path, file] : state_->files) {
      std::error_code error;
      if (!file.ever_synced) {
        lost += file.size;
        std::filesystem::remove(path, error);
      } else if (file.size > file.synced) {
        lost += file.size - file.synced;
        std::filesystem::resize_file(path, file.synced, error);
      }
    }
    return lost;
  }

 private:
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
    bool ever_synced = false;
  };
  struct State {
    mutable std::mutex mutex;  // appends and the cut never interleave
    bool off = false;
    bool failing = false;
    int failures_left = 0;  // syncs still to fail (fail_next_syncs)
    int sync_failures = 0;  // syncs failed so far
    bool full = false;
    std::map<std::string, FileState> files;
  };

  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<State> state,
         std::string path)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)),
          state_(std::move(state)),
          path_(std::move(path)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* debug) override {
      std::lock_guard lock(state_->mutex);
      if (state_->off) halt();
      if (state_->full) return rocksdb::IOStatus::NoSpace("injected ENOSPC on append");
      rocksdb::IOStatus status = target()->Append(data, options, debug);
      if (status.ok()) state_->files[path_].size += data.size();
      return status;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo&,
                             rocksdb::IODebugContext* debug) override {
      return Append(data, options, debug);
    }
    rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* debug) override {
      std::lock_guard lock(state_->mutex);
      if (state_->off) halt();
      rocksdb::IOStatus status = target()->Truncate(size, options, debug);
      if (status.ok()) {
        FileState& file = state_->files[path_];
        file.size = size;
        file.synced = std::min(file.synced, size);
      }
      return status;
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* debug) override {
      const uint64_t size = size_now();
      return synced(target()->Sync(options, debug), size);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* debug) override {
      const uint64_t size = size_now();
      return synced(target()->Fsync(options, debug), size);
    }
    // RangeSync (incremental writeback of SST files) is not a durability point: ignored.

   private:
    uint64_t size_now() {
      std::lock_guard lock(state_->mutex);
      return state_->files[path_].size;
    }
    // Only what was appended before the sync began is known to be on the disk.
    rocksdb::IOStatus synced(rocksdb::IOStatus status, uint64_t size) {
      std::lock_guard lock(state_->mutex);
      if (state_->off) halt();
      if (state_->full) return rocksdb::IOStatus::NoSpace("injected ENOSPC on sync");
      if (state_->failing || state_->failures_left > 0) {
        if (state_->failures_left > 0) --state_->failures_left;
        ++state_->sync_failures;
        FileState& file = state_->files[path_];
        std::error_code error;
        std::filesystem::resize_file(path_, file.synced, error);
        file.size = file.synced;
        return rocksdb::IOStatus::IOError("injected EIO on fsync");
      }
      if (status.ok()) {
        FileState& file = state_->files[path_];
        file.synced = std::max(file.synced, std::min(size, file.size));
        file.ever_synced = true;
      }
      return status;
    }
    std::shared_ptr<State> state_;
    std::string path_;
  };

  std::shared_ptr<State> state_;
};

}  // namespace stockd::testing
