// The project file (config/project.h): TOML parsing and the validation of
// every section, from text. Paths resolve against a directory that does not
// exist; parsing must not need it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "recmart/config/project.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto project = recmart::config::ParseProject(text, "fuzz.toml", "/nonexistent/fuzz");
  if (project.ok()) {
    for (const auto& source : project->sources) (void)project->FindSource(source.name);
  }
  return 0;
}
