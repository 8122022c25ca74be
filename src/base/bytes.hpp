// A small, deterministic binary encoding for stored records and for the bytes the
// ledger hash covers. Integers are fixed-width big-endian (so encoded keys sort as
// numbers); strings are a u32 length then the bytes. A reader never reads past its
// input: any short or malformed input turns the reader's `ok()` false.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stockd {

class ByteWriter {
 public:
  void u8(uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void u32(uint32_t value);
  void u64(uint64_t value);
  void i64(int64_t value) { u64(static_cast<uint64_t>(value)); }
  void str(std::string_view value);
  void raw(std::string_view value) { out_.append(value); }

  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  std::string str();
  std::string_view raw(size_t count);

  bool ok() const { return ok_; }
  bool at_end() const { return position_ == in_.size(); }

 private:
  bool take(size_t count);

  std::string_view in_;
  size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace stockd
