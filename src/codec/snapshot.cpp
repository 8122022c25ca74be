#include "codec/snapshot.hpp"

#include <array>
#include <boost/json.hpp>
#include <charconv>

#include "base/limits.hpp"
#include "base/utf8.hpp"
#include "core/ids.hpp"

namespace json = boost::json;

namespace stockd {
namespace {

enum Column : int { sku, location, on_hand, as_of, damaged, quarantine, non_sellable };
constexpr std::array<std::string_view, 7> kColumnNames = {
    "sku", "location", "on_hand", "as_of", "damaged", "quarantine", "non_sellable"};
constexpr size_t kLineBytesMax = 64 * 1024;

int column_of(std::string_view name) {
  for (size_t i = 0; i < kColumnNames.size(); ++i) {
    if (kColumnNames[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// Splits one CSV line; false on an unterminated quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    while (i < line.size() && line[i] == ' ') ++i;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field.push_back(line[i++]);
      }
      if (!closed) return false;
      while (i < line.size() && line[i] != ',') ++i;
    } else {
      const size_t end = line.find(',', i);
      field =
          std::string(trim(line.substr(i, end == std::string_view::npos ? line.npos : end - i)));
      i = end == std::string_view::npos ? line.size() : end;
    }
    fields.push_back(field);
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

std::optional<int64_t> quantity(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0 ||
      value > limits::quantity_max) {
    return std::nullopt;
  }
  return value;
}

// Checks and stores one field's text; "" on success, else the reason.
std::string set_field(SnapshotRow& row, int column, std::string_view text) {
  switch (column) {
    case Column::sku:
      if (!is_valid_sku(text)) return "sku is 1-128 characters of [A-Za-z0-9._:-]";
      row.sku = std::string(text);
      return "";
    case Column::location:
      if (!is_valid_id(text)) return "location is 1-128 characters of [A-Za-z0-9._:-]";
      row.location = std::string(text);
      return "";
    case Column::as_of: {
      if (text.empty()) return "";
      const std::optional<Timestamp> at = parse_rfc3339(text);
      if (!at) return "as_of is an RFC 3339 time";
      row.as_of = *at;
      return "";
    }
    default: {
      const std::optional<int64_t> value = quantity(text);
      if (column == Column::on_hand) {
        if (!value) return "on_hand is a whole number from 0 to 1000000000";
        row.on_hand = *value;
        return "";
      }
      if (text.empty()) return "";
      if (!value) {
        return std::string(kColumnNames[static_cast<size_t>(column)]) +
               " is a whole number from 0 to 1000000000";
      }
      (column == Column::damaged      ? row.damaged
       : column == Column::quarantine ? row.quarantine
                                      : row.non_sellable) = *value;
      return "";
    }
  }
}

}  // namespace

std::optional<SnapshotFormat> snapshot_format_from_name(std::string_view name) {
  if (name == "csv") return SnapshotFormat::csv;
  if (name == "ndjson") return SnapshotFormat::ndjson;
  return std::nullopt;
}

std::string_view snapshot_format_name(SnapshotFormat format) {
  return format == SnapshotFormat::csv ? "csv" : "ndjson";
}

SnapshotReader::SnapshotReader(SnapshotFormat format, uint64_t first_line)
    : format_(format), first_line_(first_line), next_line_(first_line) {}

void SnapshotReader::feed(std::string_view bytes, std::vector<SnapshotRow>& rows,
                          std::vector<SnapshotRowError>& errors) {
  while (!bytes.empty() && !fatal_) {
    const size_t newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      if (partial_.size() > kLineBytesMax) {
        errors.push_back({next_line_, "the line is longer than 64 KiB"});
        partial_.clear();
      }
      return;
    }
    if (partial_.empty()) {
      parse_line(bytes.substr(0, newline), rows, errors);
    } else {
      partial_.append(bytes.substr(0, newline));
      parse_line(partial_, rows, errors);
      partial_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

void SnapshotReader::finish(std::vector<SnapshotRow>& rows, std::vector<SnapshotRowError>& errors) {
  if (!partial_.empty() && !fatal_) {
    const std::string last = std::move(partial_);
    partial_.clear();
    parse_line(last, rows, errors);
  }
  if (format_ == SnapshotFormat::csv && !header_read_ && !fatal_) {
    fatal_ = "the file is empty: a CSV snapshot starts with a header line";
  }
}

void SnapshotReader::parse_line(std::string_view line, std::vector<SnapshotRow>& rows,
                                std::vector<SnapshotRowError>& errors) {
  const uint64_t number = next_line_++;
  if (trim(line).empty()) return;
  if (format_ == SnapshotFormat::csv && !header_read_) {
    parse_header(line);
    return;
  }
  const size_t before = rows.size();
  if (format_ == SnapshotFormat::csv) {
    parse_csv(line, rows, errors);
  } else {
    parse_ndjson(line, rows, errors);
  }
  if (rows.size() > before) rows.back().line = number;
  if (!errors.empty() && errors.back().line == 0) errors.back().line = number;
}

void SnapshotReader::parse_header(std::string_view line) {
  header_read_ = true;
  std::vector<std::string> fields;
  if (!split_csv(line, fields)) {
    fatal_ = "the header has an unterminated quote";
    return;
  }
  std::array<bool, kColumnNames.size()> seen{};
  for (const std::string& name : fields) {
    const int column = column_of(name);
    if (column < 0) {
      fatal_ = "unknown column '" + valid_utf8(name) +
               "' (known: sku, location, on_hand, as_of, damaged, quarantine, non_sellable)";
      return;
    }
    if (seen[static_cast<size_t>(column)]) {
      fatal_ = "column '" + name + "' appears twice";
      return;
    }
    seen[static_cast<size_t>(column)] = true;
    columns_.push_back(column);
  }
  for (const int required : {Column::sku, Column::location, Column::on_hand}) {
    if (!seen[static_cast<size_t>(required)]) {
      fatal_ = "the header must name sku, location and on_hand";
      return;
    }
  }
}

void SnapshotReader::parse_csv(std::string_view line, std::vector<SnapshotRow>& rows,
                               std::vector<SnapshotRowError>& errors) {
  std::vector<std::string> fields;
  if (!split_csv(line, fields)) {
    errors.push_back({0, "unterminated quote"});
    return;
  }
  if (fields.size() != columns_.size()) {
    errors.push_back({0, "expected " + std::to_string(columns_.size()) + " fields, found " +
                             std::to_string(fields.size())});
    return;
  }
  SnapshotRow row;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (std::string reason = set_field(row, columns_[i], fields[i]); !reason.empty()) {
      errors.push_back({0, std::move(reason)});
      return;
    }
  }
  rows.push_back(std::move(row));
}

void SnapshotReader::parse_ndjson(std::string_view line, std::vector<SnapshotRow>& rows,
                                  std::vector<SnapshotRowError>& errors) {
  boost::system::error_code error;
  const json::value value = json::parse(line, error);
  if (error || !value.is_object()) {
    errors.push_back({0, "not a JSON object"});
    return;
  }
  SnapshotRow row;
  std::array<bool, kColumnNames.size()> seen{};
  for (const auto& [key, field] : value.as_object()) {
    const int column = column_of(key);
    if (column < 0) {
      errors.push_back({0, "unknown field '" + std::string(key) + "'"});
      return;
    }
    seen[static_cast<size_t>(column)] = true;
    std::string text;
    if (field.is_string()) {
      text = std::string(field.as_string());
    } else if (field.is_int64() || field.is_uint64()) {
      text =
          field.is_int64() ? std::to_string(field.as_int64()) : std::to_string(field.as_uint64());
    } else if (field.is_null() && column >= Column::as_of) {
      continue;
    } else {
      errors.push_back({0, std::string(key) + " has the wrong type"});
      return;
    }
    const bool numeric = column == Column::on_hand || column >= Column::damaged;
    if (numeric == field.is_string()) {
      errors.push_back({0, std::string(key) + (numeric ? " is a number" : " is a string")});
      return;
    }
    if (std::string reason = set_field(row, column, text); !reason.empty()) {
      errors.push_back({0, std::move(reason)});
      return;
    }
  }
  for (const int required : {Column::sku, Column::location, Column::on_hand}) {
    if (!seen[static_cast<size_t>(required)]) {
      errors.push_back(
          {0, std::string(kColumnNames[static_cast<size_t>(required)]) + " is required"});
      return;
    }
  }
  rows.push_back(std::move(row));
}

std::string position_export_header(SnapshotFormat format) {
  if (format == SnapshotFormat::ndjson) return "";
  return "sku,location,on_hand,reserved,allocated,available,in_transit,incoming,damaged,"
         "quarantine,non_sellable,version,last_event_at,last_count_at,as_of\n";
}

std::string position_export_line(SnapshotFormat format, std::string_view sku,
                                 std::string_view location, const Position& position,
                                 Timestamp as_of) {
  const auto time = [](Timestamp at) {
    return micros_of(at) == 0 ? std::string() : format_rfc3339(at);
  };
  if (format == SnapshotFormat::ndjson) {
    json::object line{{"sku", sku},
                      {"location", location},
                      {"on_hand", position.on_hand},
                      {"reserved", position.reserved},
                      {"allocated", position.allocated},
                      {"available", available(position)},
                      {"in_transit", position.in_transit},
                      {"incoming", position.incoming},
                      {"damaged", position.damaged},
                      {"quarantine", position.quarantine},
                      {"non_sellable", position.non_sellable},
                      {"version", position.version},
                      {"as_of", format_rfc3339(as_of)}};
    line["last_event_at"] = micros_of(position.last_event_at) == 0
                                ? json::value(nullptr)
                                : json::value(format_rfc3339(position.last_event_at));
    line["last_count_at"] = micros_of(position.last_count_at) == 0
                                ? json::value(nullptr)
                                : json::value(format_rfc3339(position.last_count_at));
    return json::serialize(line) + "\n";
  }
  std::string out;
  out.reserve(160);
  out.append(sku).push_back(',');
  out.append(location).push_back(',');
  for (const int64_t value :
       {position.on_hand, position.reserved, position.allocated, available(position),
        position.in_transit, position.incoming, position.damaged, position.quarantine,
        position.non_sellable, static_cast<int64_t>(position.version)}) {
    out.append(std::to_string(value)).push_back(',');
  }
  out.append(time(position.last_event_at)).push_back(',');
  out.append(time(position.last_count_at)).push_back(',');
  out.append(format_rfc3339(as_of)).push_back('\n');
  return out;
}

}  // namespace stockd
