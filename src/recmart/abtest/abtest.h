// A/B testing: assigning users to the variants of a campaign, the two logs the
// API server writes (impressions and events), and the report that joins them
// into click-through and conversion per variant with confidence intervals and
// significance tests against the control.
//
// Data flow: the server calls AssignVariant for each request that runs under a
// campaign, answers with that variant's model, and appends one impression line
// (FormatImpressionLine) per answer; POST /events appends one event line per
// event (FormatEventLine). BuildReport scans both logs with DuckDB, attributes
// events to impressions through their recommendationId, and computes the
// statistics here in C++. The log formats are documented in full at
// "Log formats" below; they are a contract with every reader (this report, the
// dashboard, anyone's notebook), so fields are only ever added.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/lake/duckdb.h"

namespace recmart::abtest {

// ---------------------------------------------------------------------------
// Campaigns and assignment
// ---------------------------------------------------------------------------

struct Variant {
  std::string name;           // what the logs carry as "variant", e.g. "A"
  std::string model_version;  // the model version this variant serves, e.g. "v3"
  double weight = 1;          // share of traffic, relative to the other weights
};

struct Campaign {
  std::string name;
  // The first variant is the control: the report compares the others with it.
  std::vector<Variant> variants;
};

// OK when the campaign has a non-empty name, at least two variants, unique
// non-empty variant names, and finite weights > 0. Otherwise InvalidArgument
// naming the campaign and the offending variant.
Status ValidateCampaign(const Campaign& campaign);

// Where a user falls on the campaign's unit interval: XXH64 (seed
// kAssignmentSeed) of campaign name + '\0' + user id, its top 53 bits scaled
// to [0, 1). XXH64 is a specified algorithm with fixed output on every
// platform and release, so the position never changes for a (campaign, user)
// pair; a different campaign name reshuffles everyone independently.
double AssignmentPosition(std::string_view campaign_name, std::string_view user_id);
inline constexpr uint64_t kAssignmentSeed = 0x7265636d61727431;  // "recmart1"

// The index (into campaign.variants) of the variant `user_id` sees: the
// variants are laid end to end on [0, 1) in their order, each taking its
// weight / sum of weights, and the user gets the one covering their
// AssignmentPosition. Stable across processes, machines and releases.
//
// Changing weights moves boundaries, not users: a user changes variant only
// when a boundary passes over their position, and then only to the
// neighbouring variant. With two variants, moving 10% of traffic from B to A
// reassigns exactly the users in that 10% strip and nobody else; with more,
// the boundaries after a changed weight shift too. Adding or removing a
// variant shifts boundaries the same way; reordering the variants or renaming
// the campaign reassigns everyone.
// REQUIRES: ValidateCampaign(campaign).ok(). Allocation-free; safe to call
// from any number of threads.
size_t AssignVariant(const Campaign& campaign, std::string_view user_id);

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

struct Interval {
  double low = 0;
  double high = 1;
};

// z for a two-sided 95% interval: the 97.5th percentile of N(0, 1).
inline constexpr double kZ95 = 1.959964;
// p-value below which a difference is reported as significant.
inline constexpr double kSignificanceLevel = 0.05;

// Wilson score interval for a binomial proportion successes / trials, clamped
// to [0, 1]. Unlike the normal approximation it behaves at 0 and at n
// successes and for small n. Zero trials carry no information: returns
// [0, 1]. successes > trials is treated as successes == trials.
Interval WilsonInterval(uint64_t successes, uint64_t trials, double z = kZ95);

struct ZTest {
  double z = 0;        // (p2 - p1) / pooled standard error: > 0 when sample 2 is higher
  double p_value = 1;  // two-sided, erfc(|z| / sqrt(2))
};

// Two-proportion z-test with pooled variance of H0: p1 == p2, sample 1 =
// s1/n1 (the control), sample 2 = s2/n2. When the test is undefined (either
// sample empty, or a pooled rate of exactly 0 or 1 so there is no variance)
// it returns {z = 0, p_value = 1}: no evidence of a difference, never NaN.
// Counts above their trials are clamped as in WilsonInterval.
ZTest TwoProportionZTest(uint64_t s1, uint64_t n1, uint64_t s2, uint64_t n2);

// ---------------------------------------------------------------------------
// Log formats
// ---------------------------------------------------------------------------
//
// Both logs live under the project directory, one directory each, as
// segments: "*.jsonl" files are sealed (complete, never written again) and
// "*.jsonl.open" is the segment being appended, which a reader may see end in
// a partial line; readers skip any line that is not a complete JSON object
// with the required fields. A writer seals a segment by renaming it from
// NAME.jsonl.open to NAME.jsonl (same directory, atomic), so a line is always
// in exactly one file; NAME is never reused. Encoding: UTF-8, one JSON object
// per line, '\n' after each. Unknown fields are ignored by readers.
//
// Impressions (one line per recommendation answer):
//   {"recommendationId":"r-...","ts":1732000000123,"endpoint":"recommendations",
//    "userId":"u1","campaign":"c1","variant":"A","modelVersion":"v3",
//    "items":["i1","i2"]}
//   required: recommendationId (unique per answer); ts = epoch milliseconds;
//   campaign and variant are "" when no campaign ran; items in answer order.
//
// Events (one line per event accepted by POST /events):
//   {"eventId":"e-...","receivedAt":1732000000456,"sessionId":"s1","userId":"u1",
//    "eventType":"purchase","itemId":"i9","sentAt":1732000000,"eventValue":19.99,
//    "recommendationId":"r-...","properties":{}}
//   required: eventId (unique per event: a line written twice, e.g. by a retried
//   request, is one event), eventType; receivedAt = server time, epoch ms;
//   sentAt = the client's time as sent (epoch seconds); eventValue and
//   recommendationId may be null or absent.

// Directories relative to the project directory.
inline constexpr char kImpressionsDir[] = "live/impressions";
inline constexpr char kEventsDir[] = "live/events";
// Segment file name suffixes.
inline constexpr char kSealedSuffix[] = ".jsonl";
inline constexpr char kOpenSuffix[] = ".jsonl.open";

struct Impression {
  std::string recommendation_id;
  int64_t ts_ms = 0;
  std::string endpoint;  // "recommendations", "similar-items", "personalized-ranking"
  std::string user_id;
  std::string campaign;  // "" when no campaign ran
  std::string variant;   // "" when no campaign ran
  std::string model_version;
  std::vector<std::string> items;
};

// One impression line, '\n' included. Built directly (no JSON DOM): cheap
// enough to call on every request. Strings are JSON-escaped; bytes that are
// not valid UTF-8 are written as U+FFFD so that the line always parses.
std::string FormatImpressionLine(const Impression& impression);
// Same, appended to `out` (reuse one buffer to avoid an allocation per line).
void AppendImpressionLine(const Impression& impression, std::string* out);

struct LoggedEvent {
  std::string event_id;
  int64_t received_at_ms = 0;
  std::string session_id;
  std::string user_id;
  std::string event_type;
  std::string item_id;
  double sent_at = 0;                            // as the client sent it, epoch seconds
  std::optional<double> event_value;             // null when absent or not finite
  std::optional<std::string> recommendation_id;  // null when absent
  // A JSON object as text, written verbatim. REQUIRES: valid JSON on one
  // line (e.g. the request's "properties" re-serialised with dump()); empty
  // writes {}.
  std::string properties_json;
};

// One event line, '\n' included; escaping as FormatImpressionLine.
std::string FormatEventLine(const LoggedEvent& event);
void AppendEventLine(const LoggedEvent& event, std::string* out);

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

// Attribution: an event counts for an impression when it carries the
// impression's recommendationId AND its itemId is one of the impression's
// items: a click on something the answer showed, a purchase of it. Events
// with the recommendationId but another item (the user moved on) are counted
// apart as "other attributed events" and never make a click or conversion.
// Rates are per impression: an impression with three clicks is one click.

struct ReportOptions {
  // Only this campaign ("(none)" for impressions served without one); empty = all.
  std::string campaign;
  // Impressions with since_ms <= ts < until_ms (epoch ms). Events attributed to
  // a selected impression count whenever they arrived.
  std::optional<int64_t> since_ms;
  std::optional<int64_t> until_ms;
  // Campaign definitions, when known. For a defined campaign the first variant
  // is the control, variants are listed in definition order (with zero rows
  // for a variant without impressions), and each variant's model version is
  // taken from the definition when the logs have none. Campaigns without a
  // definition use the alphabetically first variant as control.
  std::vector<Campaign> campaigns;
  // Event types (compared case-insensitively) whose attributed events make an
  // impression "clicked" and "converted". An empty list counts nothing.
  std::vector<std::string> click_event_types = {"click", "view", "detail_view"};
  std::vector<std::string> conversion_event_types = {"purchase", "order", "transaction"};
  // DuckDB resources for the scan. An empty temp_directory spills (only when
  // the logs outgrow memory_limit) to <project dir>/live/.report-tmp.
  lake::DatabaseOptions database;
};

// Label under which impressions without a campaign are reported; their
// "variants" are the model versions that served them. Those groups were not
// randomised, so their comparisons are observational.
inline constexpr char kNoCampaign[] = "(none)";

struct Rate {
  uint64_t successes = 0;
  uint64_t trials = 0;
  double value = 0;  // successes / trials; 0 when trials == 0
  Interval ci95;     // Wilson, [0, 1] when trials == 0
};

// One rate of a variant against the same rate of the control.
struct Comparison {
  double absolute_lift = 0;             // rate - control rate
  std::optional<double> relative_lift;  // (rate - control) / control; absent when control is 0
  double z = 0;
  double p_value = 1;        // TwoProportionZTest(control, variant)
  bool significant = false;  // p_value < kSignificanceLevel
};

struct VariantReport {
  std::string name;
  // Model versions seen in this variant's impressions, sorted (more than one
  // when a model was promoted during the campaign).
  std::vector<std::string> model_versions;
  bool control = false;
  uint64_t impressions = 0;  // distinct recommendationIds
  uint64_t clicks = 0;       // impressions with >= 1 attributed click-type event
  uint64_t conversions = 0;  // impressions with >= 1 attributed conversion-type event
  // Events attributed to these impressions (any type): they carry the
  // impression's recommendationId and an itemId among the impression's items.
  uint64_t attributed_events = 0;
  // Events carrying one of these impressions' recommendationIds but an itemId
  // that impression did not show (the user went elsewhere): not attributed.
  uint64_t other_attributed_events = 0;
  double revenue = 0;  // sum of eventValue over attributed conversion-type events
  Rate click_through;  // clicks / impressions
  Rate conversion;     // conversions / impressions
  // Against the control; absent for the control itself.
  std::optional<Comparison> click_through_vs_control;
  std::optional<Comparison> conversion_vs_control;
};

struct CampaignReport {
  std::string name;
  std::string control;  // name of the control variant
  std::vector<VariantReport> variants;
};

// What the scan read, for judging the data behind the numbers.
struct LogStats {
  uint64_t impression_files = 0;
  uint64_t event_files = 0;
  uint64_t impression_lines = 0;               // complete lines with a recommendationId
  uint64_t duplicate_impression_lines = 0;     // repeated recommendationIds (first kept)
  uint64_t skipped_impression_lines = 0;       // unreadable: partial or malformed
  uint64_t event_lines = 0;                    // complete lines with eventId and eventType
  uint64_t duplicate_event_lines = 0;          // repeated eventIds (counted once)
  uint64_t skipped_event_lines = 0;            // unreadable: partial or malformed
  uint64_t events = 0;                         // distinct eventIds
  uint64_t events_without_recommendation = 0;  // no (or empty) recommendationId
  // A recommendationId found in no impression line at all (any campaign, any
  // time): a client bug, or an impression log that was lost.
  uint64_t events_unknown_recommendation = 0;
};

struct Report {
  // Sorted by name, with "(none)" last. Every campaign with a selected
  // impression, plus every defined campaign (ReportOptions::campaigns) that
  // passes the campaign filter; empty when there is neither.
  std::vector<CampaignReport> campaigns;
  LogStats logs;
};

// Scans the impression and event logs under `project_dir` (see "Log formats")
// and builds the report. Missing log directories mean no data: an empty
// report, not an error. InvalidArgument for bad options (since >= until, an
// invalid campaign definition); IOError/Internal when the logs cannot be
// read. Safe to run while the server appends and seals segments: each open
// segment is read through a file descriptor taken before the scan, so a
// rename during the scan neither fails it nor counts a line twice.
StatusOr<Report> BuildReport(const std::string& project_dir, const ReportOptions& options);

// Fills the rates and the comparisons of every variant of `campaign` from
// its counts; `control` must name one of its variants (no comparisons
// otherwise). BuildReport calls this; exposed for tests and for callers
// with counts from elsewhere.
void ComputeStatistics(CampaignReport* campaign);

// The report as JSON text (snake_case keys, as every recmart --json output):
//   {"campaigns": [{"name", "control", "variants": [{"name", "model_versions",
//     "control", "impressions", "clicks", "conversions", "attributed_events",
//     "other_attributed_events", "revenue",
//     "click_through": {"rate", "low", "high"}, "conversion": {...},
//     "click_through_vs_control": {"absolute_lift", "relative_lift" (null when
//     the control rate is 0), "z", "p_value", "significant"} (null for the
//     control), "conversion_vs_control": {...}}]}],
//    "logs": {every LogStats field}}
// `indent` < 0 prints one line.
std::string ReportToJson(const Report& report, int indent = -1);

}  // namespace recmart::abtest
