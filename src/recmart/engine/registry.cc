#include "recmart/engine/registry.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "recmart/common/fs.h"

namespace recmart::engine {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// "v12" -> 12; 0 for anything else.
int VersionNumber(const std::string& name) {
  if (name.size() < 2 || name[0] != 'v') return 0;
  int n = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || n > 100'000'000) return 0;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

std::vector<std::string> VersionDirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && VersionNumber(name) > 0 && fs::exists(e.path() / "manifest.json")) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return VersionNumber(a) < VersionNumber(b);
  });
  return out;
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

StatusOr<ModelRegistry> ModelRegistry::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  return ModelRegistry(dir);
}

StatusOr<json> ModelRegistry::ReadState() const {
  std::string path = dir_ + "/registry.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return json{{"live", ""}, {"history", json::array()}, {"log", json::array()}};
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  json state = json::parse(text, nullptr, false);
  if (!state.is_object() || !state.contains("live") || !state["live"].is_string() ||
      !state.contains("history") || !state["history"].is_array()) {
    return Status::DataLoss(path + ": not a model registry state");
  }
  if (!state.contains("log")) state["log"] = json::array();
  return state;
}

Status ModelRegistry::WriteState(const json& state) const {
  return WriteFileAtomic(dir_ + "/registry.json", state.dump(2) + "\n");
}

StatusOr<std::string> ModelRegistry::Resolve(const std::string& version) const {
  if (version.empty() || version == "live") {
    ASSIGN_OR_RETURN(std::string live, Live());
    if (live.empty()) {
      return Status::NotFound(dir_ + ": no live model yet (train one: recmart train)");
    }
    return live;
  }
  std::error_code ec;
  if (VersionNumber(version) == 0 || !fs::exists(PathOf(version) + "/manifest.json", ec)) {
    return Status::NotFound("model version '" + version + "' does not exist in " + dir_);
  }
  return version;
}

StatusOr<std::string> ModelRegistry::Add(ModelBundle& bundle) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir_ + "/.lock", "the model registry",
                                                    FileLock::Mode::kExclusiveWait));
  std::vector<std::string> versions = VersionDirs(dir_);
  int next = versions.empty() ? 1 : VersionNumber(versions.back()) + 1;
  std::string version = "v" + std::to_string(next);
  bundle.manifest()["version"] = version;
  RETURN_IF_ERROR(bundle.Save(PathOf(version)));
  ASSIGN_OR_RETURN(json state, ReadState());
  state["log"].push_back({{"at", Now()}, {"action", "add"}, {"version", version}});
  if (state["live"].get<std::string>().empty()) {
    state["live"] = version;
    state["log"].push_back(
        {{"at", Now()}, {"action", "promote"}, {"version", version}, {"reason", "first model"}});
  }
  RETURN_IF_ERROR(WriteState(state));
  return version;
}

StatusOr<std::vector<VersionInfo>> ModelRegistry::List() const {
  ASSIGN_OR_RETURN(json state, ReadState());
  std::vector<VersionInfo> out;
  for (const std::string& v : VersionDirs(dir_)) {
    ASSIGN_OR_RETURN(json m, Manifest(v));
    VersionInfo info;
    info.version = v;
    info.recipe = m.value("recipe", "");
    info.created_at = m.value("created_at", "");
    info.live = state["live"] == v;
    info.metrics = m.value("metrics", json::object());
    out.push_back(std::move(info));
  }
  return out;
}

StatusOr<std::string> ModelRegistry::Live() const {
  ASSIGN_OR_RETURN(json state, ReadState());
  return state["live"].get<std::string>();
}

StatusOr<json> ModelRegistry::Manifest(const std::string& version) const {
  ASSIGN_OR_RETURN(std::string v, Resolve(version));
  std::string path = PathOf(v) + "/manifest.json";
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  json m = json::parse(text, nullptr, false);
  if (!m.is_object()) return Status::DataLoss(path + ": not JSON");
  m.erase("arrays");
  m["version"] = v;
  return m;
}

StatusOr<ModelBundle> ModelRegistry::Load(const std::string& version) const {
  ASSIGN_OR_RETURN(std::string v, Resolve(version));
  ASSIGN_OR_RETURN(ModelBundle b, ModelBundle::Load(PathOf(v)));
  b.manifest()["version"] = v;
  return b;
}

Status ModelRegistry::Promote(const std::string& version, const std::string& reason) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir_ + "/.lock", "the model registry",
                                                    FileLock::Mode::kExclusiveWait));
  ASSIGN_OR_RETURN(std::string v, Resolve(version));
  ASSIGN_OR_RETURN(json state, ReadState());
  std::string live = state["live"];
  if (live == v) return Status::OK();
  if (!live.empty()) state["history"].push_back(live);
  state["live"] = v;
  json entry = {{"at", Now()}, {"action", "promote"}, {"version", v}};
  if (!reason.empty()) entry["reason"] = reason;
  state["log"].push_back(entry);
  return WriteState(state);
}

StatusOr<std::string> ModelRegistry::Rollback() {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir_ + "/.lock", "the model registry",
                                                    FileLock::Mode::kExclusiveWait));
  ASSIGN_OR_RETURN(json state, ReadState());
  json& history = state["history"];
  std::string from = state["live"];
  // Skip entries whose bundle has been deleted by hand.
  while (!history.empty()) {
    std::string prev = history.back();
    history.erase(history.size() - 1);
    if (Resolve(prev).ok() && prev != from) {
      state["live"] = prev;
      state["log"].push_back(
          {{"at", Now()}, {"action", "rollback"}, {"version", prev}, {"from", from}});
      RETURN_IF_ERROR(WriteState(state));
      return prev;
    }
  }
  return Status::FailedPrecondition("no earlier live model to roll back to (live: " +
                                    (from.empty() ? std::string("none") : from) + ")");
}

Status ModelRegistry::UpdateMetrics(const std::string& version, const json& metrics) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir_ + "/.lock", "the model registry",
                                                    FileLock::Mode::kExclusiveWait));
  ASSIGN_OR_RETURN(std::string v, Resolve(version));
  std::string path = PathOf(v) + "/manifest.json";
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  json m = json::parse(text, nullptr, false);
  if (!m.is_object()) return Status::DataLoss(path + ": not JSON");
  m["metrics"] = metrics;
  return WriteFileAtomic(path, m.dump(2) + "\n");
}

}  // namespace recmart::engine
