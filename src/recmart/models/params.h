// ParamReader: fills a recipe's documented options struct from a JSON object.
//
// Each recipe has a plain struct with defaults and a Visit(ParamReader&) that
// names every field once:
//
//   struct AlsOptions {
//     int factors = 64;
//     void Visit(ParamReader& r) { r.Get("factors", factors, 1, 4096, "latent factors"); }
//   };
//
// Get() leaves the default when the key is absent, records the first error
// (wrong type, out of range, not one of the allowed words), and notes the
// effective value; Finish() also rejects keys no Get() asked for. The same
// Visit serves documentation (Describe) and the bundle's record (Effective).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"

namespace recmart::models {

class ParamReader {
 public:
  // `params` must be a JSON object (or null for all defaults); `where` prefixes
  // error messages, e.g. "params.json: als".
  ParamReader(const nlohmann::json& params, std::string where);

  void Get(std::string_view key, int& v, int min, int max, std::string_view doc);
  void Get(std::string_view key, double& v, double min, double max, std::string_view doc);
  void Get(std::string_view key, float& v, float min, float max, std::string_view doc);
  void Get(std::string_view key, bool& v, std::string_view doc);
  void Get(std::string_view key, std::string& v, std::initializer_list<std::string_view> allowed,
           std::string_view doc);
  // A free-form JSON value (e.g. the components of a blend); kept as is.
  void GetJson(std::string_view key, nlohmann::json& v, std::string_view doc);

  // OK, or the first error: "<where>: <key>: expected …, got …", or an unknown key.
  Status Finish() const;
  // Every parameter with its effective value (defaults filled in).
  const nlohmann::json& Effective() const { return effective_; }
  // One line per parameter: "name (type, default X): doc".
  const std::vector<std::string>& Describe() const { return docs_; }

 private:
  const nlohmann::json* Find(std::string_view key);
  void Fail(std::string_view key, const std::string& expected, const nlohmann::json& got);
  void Note(std::string_view key, const nlohmann::json& value, std::string_view type,
            std::string_view doc);

  nlohmann::json params_;
  std::string where_;
  std::vector<std::string> seen_;
  nlohmann::json effective_ = nlohmann::json::object();
  std::vector<std::string> docs_;
  Status error_;
};

// Fills `options` from `params` and returns the first error. `Options` must
// have void Visit(ParamReader&).
template <typename Options>
Status ReadParams(const nlohmann::json& params, const std::string& where, Options& options,
                  nlohmann::json* effective = nullptr) {
  ParamReader reader(params, where);
  options.Visit(reader);
  RETURN_IF_ERROR(reader.Finish());
  if (effective) *effective = reader.Effective();
  return Status::OK();
}

}  // namespace recmart::models
