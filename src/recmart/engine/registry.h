// ModelRegistry: the versioned model bundles of a project and which one is
// live.
//
// Layout of the registry directory:
//   v1/, v2/, ...     bundles (see bundle.h), never modified after Add except
//                     for their manifest's "metrics" (UpdateMetrics)
//   registry.json     {"live": "v2", "history": ["v1"], "log": [...]}:
//                     the live version, the versions live before it (most
//                     recent last, for rollback), and an audit log
//   .lock             serialises writers (Add, Promote, Rollback, UpdateMetrics)
// Every write is atomic (temp + rename); a killed command leaves the
// previous state. Readers need no lock.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/engine/bundle.h"

namespace recmart::engine {

struct VersionInfo {
  std::string version;  // "v3"
  std::string recipe;
  std::string created_at;
  bool live = false;
  nlohmann::json metrics;  // may be empty
};

class ModelRegistry {
 public:
  // Opens (creating if needed) the registry in `dir`.
  static StatusOr<ModelRegistry> Open(const std::string& dir);

  // Saves `bundle` as the next version and returns its name. The first
  // version added to an empty registry becomes live.
  StatusOr<std::string> Add(ModelBundle& bundle);
  // Every version, oldest first.
  StatusOr<std::vector<VersionInfo>> List() const;
  // The live version, or "" when none.
  StatusOr<std::string> Live() const;
  // The manifest of `version` (without the array index). NotFound if absent.
  StatusOr<nlohmann::json> Manifest(const std::string& version) const;
  // Loads `version`, or the live one when `version` is empty or "live".
  StatusOr<ModelBundle> Load(const std::string& version) const;
  // Makes `version` live; the previous live version goes onto the history.
  Status Promote(const std::string& version, const std::string& reason = "");
  // Makes the most recent previous live version live again and returns it.
  // FailedPrecondition when there is nothing to roll back to.
  StatusOr<std::string> Rollback();
  // Replaces the "metrics" of `version`'s manifest (e.g. after evaluate).
  Status UpdateMetrics(const std::string& version, const nlohmann::json& metrics);

  std::string PathOf(const std::string& version) const { return dir_ + "/" + version; }
  const std::string& dir() const { return dir_; }

 private:
  explicit ModelRegistry(std::string dir) : dir_(std::move(dir)) {}
  StatusOr<nlohmann::json> ReadState() const;
  Status WriteState(const nlohmann::json& state) const;
  StatusOr<std::string> Resolve(const std::string& version) const;

  std::string dir_;
};

}  // namespace recmart::engine
