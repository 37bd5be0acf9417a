// The API's request bodies (serve/requests.h): POST /events above all, and
// the bodies of every other route, as the server reads them.
//
// Input: byte 0 picks the route (and, bit 7, a small string limit); the rest
// is the body (the query string for GET /recommendations).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "recmart/abtest/abtest.h"
#include "recmart/serve/requests.h"

namespace serve = recmart::serve;

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_api: invariant failed: %s\n", what);
    std::abort();
  }
}

// Query decoding as HTML forms define it, written independently of
// serve/requests.cc: '+' is a space, '%' and two hex digits a byte, any other
// '%' itself.
std::string ReferenceDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t max_string = (data[0] & 0x80) ? 16 : 4096;
  switch ((data[0] & 0x7f) % 7) {
    case 0: {
      auto batch = serve::ParseEventsRequest(body, max_string);
      if (!batch.ok()) break;
      Check(!batch->session_id.empty(), "a session id");
      Check(!batch->events.empty() && batch->events.size() <= 10, "1 to 10 events");
      std::string lines;
      for (recmart::abtest::LoggedEvent& e : batch->events) {
        Check(e.sent_at >= 0 && e.sent_at <= 1e11, "sentAt in range");
        Check(e.item_id.size() <= max_string && e.event_type.size() <= max_string,
              "strings within the limit");
        e.session_id = batch->session_id;
        e.user_id = batch->user_id;
        recmart::abtest::AppendEventLine(e, &lines);
      }
      break;
    }
    case 1:
      (void)serve::ParseRecommendRequest("POST", body, "", max_string);
      break;
    case 2: {
      auto r = serve::ParseRecommendRequest("GET", "", body, max_string);
      if (r.ok()) {
        Check(r->num_results >= 1 && r->num_results <= serve::kMaxNumResults, "numResults range");
        Check(r->exploration >= 0 && r->exploration <= 1, "exploration range");
        constexpr std::string_view kUser = "userId=";
        if (body.substr(0, kUser.size()) == kUser && body.find('&') == std::string_view::npos) {
          Check(r->user_id == ReferenceDecode(body.substr(kUser.size())), "userId decoded");
        }
      }
      break;
    }
    case 3:
      (void)serve::ParseSimilarRequest(body, max_string);
      break;
    case 4:
      (void)serve::ParseRankRequest(body, max_string);
      break;
    case 5:
      (void)serve::ParseRecordsRequest(body, /*items=*/true, max_string);
      break;
    case 6:
      (void)serve::ParseRecordsRequest(body, /*items=*/false, max_string);
      break;
  }
  return 0;
}
