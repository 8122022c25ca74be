#include "base/bytes.hpp"

namespace stockd {

void ByteWriter::u32(uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(value >> shift));
}

void ByteWriter::u64(uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(value >> shift));
}

void ByteWriter::str(std::string_view value) {
  u32(static_cast<uint32_t>(value.size()));
  out_.append(value);
}

bool ByteReader::take(size_t count) {
  if (!ok_ || in_.size() - position_ < count) {
    ok_ = false;
    return false;
  }
  return true;
}

uint8_t ByteReader::u8() {
  if (!take(1)) return 0;
  return static_cast<uint8_t>(in_[position_++]);
}

uint32_t ByteReader::u32() {
  if (!take(4)) return 0;
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(in_[position_++]);
  return value;
}

uint64_t ByteReader::u64() {
  if (!take(8)) return 0;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(in_[position_++]);
  return value;
}

std::string ByteReader::str() {
  const uint32_t length = u32();
  const std::string_view bytes = raw(length);
  return std::string(bytes);
}

std::string_view ByteReader::raw(size_t count) {
  if (!take(count)) return {};
  const std::string_view bytes = in_.substr(position_, count);
  position_ += count;
  return bytes;
}

}  // namespace stockd
