#include "observability/prometheus.hpp"

#include <cmath>
#include <cstdio>

namespace stockd {
namespace {

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

void escape(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_.push_back(' ');
  for (const char c : help) {
    if (c == '\n') {
      out_ += "\\n";
    } else if (c == '\\') {
      out_ += "\\\\";
    } else {
      out_.push_back(c);
    }
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_.push_back(' ');
  out_ += type;
  out_.push_back('\n');
}

void PrometheusText::labels(const Labels& labels, std::string_view extra_key,
                            std::string_view extra_value) {
  if (labels.empty() && extra_key.empty()) return;
  out_.push_back('{');
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out_.push_back(',');
    first = false;
    out_ += key;
    out_ += "=\"";
    escape(out_, value);
    out_.push_back('"');
  }
  if (!extra_key.empty()) {
    if (!first) out_.push_back(',');
    out_ += extra_key;
    out_ += "=\"";
    escape(out_, extra_value);
    out_.push_back('"');
  }
  out_.push_back('}');
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  this->labels(labels);
  out_.push_back(' ');
  out_ += number(value);
  out_.push_back('\n');
}

void PrometheusText::histogram(std::string_view name, const Labels& labels,
                               const Histogram& histogram) {
  uint64_t cumulative = 0;
  const auto& bounds = histogram.upper_bounds();
  const auto& counts = histogram.counts();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    out_ += name;
    out_ += "_bucket";
    this->labels(labels, "le", i < bounds.size() ? number(bounds[i]) : "+Inf");
    out_.push_back(' ');
    out_ += std::to_string(cumulative);
    out_.push_back('\n');
  }
  out_ += name;
  out_ += "_sum";
  this->labels(labels);
  out_.push_back(' ');
  out_ += number(histogram.sum());
  out_.push_back('\n');
  out_ += name;
  out_ += "_count";
  this->labels(labels);
  out_.push_back(' ');
  out_ += std::to_string(histogram.count());
  out_.push_back('\n');
}

}  // namespace stockd
