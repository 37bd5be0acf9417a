#include "recmart/models/params.h"

#include <algorithm>
#include <cmath>

namespace recmart::models {

using nlohmann::json;

ParamReader::ParamReader(const json& params, std::string where)
    : params_(params.is_null() ? json::object() : params), where_(std::move(where)) {
  if (!params_.is_object()) {
    error_ = Status::InvalidArgument(where_ + ": expected a JSON object of parameters, got " +
                                     params_.dump());
  }
}

const json* ParamReader::Find(std::string_view key) {
  seen_.emplace_back(key);
  if (!params_.is_object()) return nullptr;
  auto it = params_.find(std::string(key));
  return it == params_.end() ? nullptr : &*it;
}

void ParamReader::Fail(std::string_view key, const std::string& expected, const json& got) {
  if (!error_.ok()) return;
  error_ = Status::InvalidArgument(where_ + ": " + std::string(key) + ": expected " + expected +
                                   ", got " + got.dump());
}

void ParamReader::Note(std::string_view key, const json& value, std::string_view type,
                       std::string_view doc) {
  effective_[std::string(key)] = value;
  docs_.push_back(std::string(key) + " (" + std::string(type) + ", default " + value.dump() +
                  "): " + std::string(doc));
}

namespace {
template <typename T>
std::string RangeText(std::string_view what, T min, T max) {
  json lo = min, hi = max;
  return std::string(what) + " in [" + lo.dump() + ", " + hi.dump() + "]";
}
}  // namespace

void ParamReader::Get(std::string_view key, int& v, int min, int max, std::string_view doc) {
  Note(key, v, "integer", doc);
  if (const json* j = Find(key)) {
    double d = j->is_number() ? j->get<double>() : std::nan("");
    if (!j->is_number() || d != std::floor(d) || d < min || d > max) {
      Fail(key, RangeText("an integer", min, max), *j);
      return;
    }
    v = static_cast<int>(d);
    effective_[std::string(key)] = v;
  }
}

void ParamReader::Get(std::string_view key, double& v, double min, double max,
                      std::string_view doc) {
  Note(key, v, "number", doc);
  if (const json* j = Find(key)) {
    if (!j->is_number() || !(j->get<double>() >= min && j->get<double>() <= max)) {
      Fail(key, RangeText("a number", min, max), *j);
      return;
    }
    v = j->get<double>();
    effective_[std::string(key)] = v;
  }
}

void ParamReader::Get(std::string_view key, float& v, float min, float max, std::string_view doc) {
  double d = v;
  Get(key, d, min, max, doc);
  v = static_cast<float>(d);
}

void ParamReader::Get(std::string_view key, bool& v, std::string_view doc) {
  Note(key, v, "boolean", doc);
  if (const json* j = Find(key)) {
    if (!j->is_boolean()) {
      Fail(key, "true or false", *j);
      return;
    }
    v = j->get<bool>();
    effective_[std::string(key)] = v;
  }
}

void ParamReader::Get(std::string_view key, std::string& v,
                      std::initializer_list<std::string_view> allowed, std::string_view doc) {
  std::string words;
  for (std::string_view a : allowed) words += (words.empty() ? "" : "|") + std::string(a);
  Note(key, v, words, doc);
  if (const json* j = Find(key)) {
    bool ok = j->is_string() &&
              std::find(allowed.begin(), allowed.end(), j->get<std::string>()) != allowed.end();
    if (!ok) {
      Fail(key, "one of " + words, *j);
      return;
    }
    v = j->get<std::string>();
    effective_[std::string(key)] = v;
  }
}

void ParamReader::GetJson(std::string_view key, json& v, std::string_view doc) {
  Note(key, v, "json", doc);
  if (const json* j = Find(key)) {
    v = *j;
    effective_[std::string(key)] = v;
  }
}

Status ParamReader::Finish() const {
  if (!error_.ok()) return error_;
  for (auto it = params_.begin(); it != params_.end(); ++it) {
    if (std::find(seen_.begin(), seen_.end(), it.key()) == seen_.end()) {
      std::string known;
      for (const std::string& s : seen_) known += (known.empty() ? "" : ", ") + s;
      return Status::InvalidArgument(where_ + ": " + it.key() +
                                     ": unknown parameter (known: " + known + ")");
    }
  }
  return Status::OK();
}

}  // namespace recmart::models
