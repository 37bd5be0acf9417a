// JSON text without a DOM: appending string literals to an output buffer.
#pragma once

#include <string>
#include <string_view>

namespace recmart {

// Appends `s` as a JSON string literal, quotes included. Control characters
// and quotes are escaped; bytes that are not valid UTF-8 are written as
// \ufffd, so the output always parses.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace recmart
