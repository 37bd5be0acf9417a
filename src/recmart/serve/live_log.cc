#include "recmart/serve/live_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <tuple>

#include "recmart/abtest/abtest.h"
#include "recmart/common/json_text.h"

namespace recmart::serve {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::span<const FieldDef> DefsOf(LiveLogKind kind) {
  return kind == LiveLogKind::kItems ? std::span<const FieldDef>(kItemFieldDefs)
                                     : std::span<const FieldDef>(kUserFieldDefs);
}

const char* IdKey(LiveLogKind kind) { return kind == LiveLogKind::kItems ? "itemId" : "userId"; }

// "events-1732000000123-4711-3.jsonl[.open]" -> (1732000000123, 4711, 3).
std::optional<std::tuple<int64_t, int64_t, int64_t>> SegmentKey(std::string_view name,
                                                                std::string_view prefix) {
  if (name.size() <= prefix.size() + 1 || name.substr(0, prefix.size()) != prefix ||
      name[prefix.size()] != '-') {
    return std::nullopt;
  }
  std::string_view rest = name.substr(prefix.size() + 1);
  int64_t parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), parts[i]);
    if (ec != std::errc()) return std::nullopt;
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    if (i < 2) {
      if (rest.empty() || rest.front() != '-') return std::nullopt;
      rest.remove_prefix(1);
    }
  }
  if (rest != abtest::kSealedSuffix && rest != abtest::kOpenSuffix) return std::nullopt;
  return std::make_tuple(parts[0], parts[1], parts[2]);
}

}  // namespace

std::string_view LiveLogName(LiveLogKind kind) {
  switch (kind) {
    case LiveLogKind::kEvents:
      return "events";
    case LiveLogKind::kItems:
      return "items";
    case LiveLogKind::kUsers:
      return "users";
  }
  return "events";
}

std::string LiveLogDir(const std::string& project_dir, LiveLogKind kind) {
  return project_dir + "/live/" + std::string(LiveLogName(kind));
}

void AppendRecordLine(LiveLogKind kind, std::string_view id, const Record& record,
                      int64_t received_ms, std::string* out) {
  std::span<const FieldDef> defs = DefsOf(kind);
  out->append("{\"");
  out->append(IdKey(kind));
  out->append("\":");
  AppendJsonString(id, out);
  out->append(",\"receivedAt\":");
  fmt::format_to(std::back_inserter(*out), "{}", received_ms);
  for (size_t f = 0; f < defs.size(); ++f) {
    if (!(record.present & (1u << f))) continue;
    out->append(",\"");
    out->append(defs[f].name);
    out->append("\":");
    if (defs[f].type == filter::FieldType::kString) {
      AppendJsonString(record.strings[f], out);
    } else if (std::isfinite(record.numbers[f])) {
      fmt::format_to(std::back_inserter(*out), "{}", record.numbers[f]);
    } else {
      out->append("null");
    }
  }
  out->append("}\n");
}

std::optional<std::pair<std::string, Record>> ParseRecordLine(LiveLogKind kind,
                                                              std::string_view line) {
  if (kind == LiveLogKind::kEvents) return std::nullopt;
  const json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto id = j.find(IdKey(kind));
  if (id == j.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  std::span<const FieldDef> defs = DefsOf(kind);
  Record r;
  r.strings.assign(defs.size(), "");
  r.numbers.assign(defs.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t f = 0; f < defs.size(); ++f) {
    auto v = j.find(std::string(defs[f].name));
    if (v == j.end()) continue;
    if (defs[f].type == filter::FieldType::kString && v->is_string()) {
      r.strings[f] = v->get<std::string>();
    } else if (defs[f].type == filter::FieldType::kNumber && v->is_number()) {
      r.numbers[f] = v->get<double>();
    } else {
      continue;
    }
    r.present |= 1u << f;
  }
  return std::make_pair(id->get<std::string>(), std::move(r));
}

std::optional<LoggedLiveEvent> ParseLiveEventLine(std::string_view line) {
  const json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto str = [&j](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  std::optional<std::string> type = str("eventType"), item = str("itemId");
  auto sent = j.find("sentAt");
  if (!type || !item || sent == j.end() || !sent->is_number()) return std::nullopt;
  const std::string user = str("userId").value_or(""), session = str("sessionId").value_or("");
  LoggedLiveEvent e;
  e.key = std::string(LiveEventKey(user, session));
  if (e.key.empty()) return std::nullopt;
  e.event.item = std::move(*item);
  e.event.event_type = std::move(*type);
  e.event.ts = static_cast<int64_t>(sent->get<double>());
  e.event.session = session;
  return e;
}

StatusOr<std::vector<std::string>> ListSegments(const std::string& dir, std::string_view prefix) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::vector<std::string>{};
  struct Entry {
    std::optional<std::tuple<int64_t, int64_t, int64_t>> key;
    std::string name;
  };
  std::vector<Entry> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const bool segment =
        name.ends_with(abtest::kSealedSuffix) || name.ends_with(abtest::kOpenSuffix);
    if (!segment || !e.is_regular_file(ec)) continue;
    entries.push_back({SegmentKey(name, prefix), name});
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.key.has_value() != b.key.has_value()) return !a.key.has_value();
    if (a.key && *a.key != *b.key) return *a.key < *b.key;
    return a.name < b.name;
  });
  std::vector<std::string> out;
  out.reserve(entries.size());
  for (const Entry& e : entries) out.push_back(dir + "/" + e.name);
  return out;
}

}  // namespace recmart::serve
