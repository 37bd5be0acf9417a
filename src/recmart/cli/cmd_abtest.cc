// recmart abtest report: click-through and conversion per campaign variant,
// from the impression and event logs the API server writes (see
// recmart/abtest/abtest.h for the formats and the attribution rules).
#include <cstdio>
#include <iostream>
#include <memory>

#include "recmart/abtest/abtest.h"
#include "recmart/cli/cli.h"
#include "recmart/cli/output.h"
#include "recmart/ingest/values.h"

namespace recmart::cli {
namespace {

struct ReportFlags {
  std::string campaign;
  std::string since;
  std::string until;
  std::vector<std::string> click_types;
  std::vector<std::string> conversion_types;
  bool json = false;
};

// Epoch milliseconds from "2024-11-19", "2024-11-19T10:00:00Z" (any format
// the ingest timestamp parser detects, to the second) or an epoch number:
// 12 digits or more are milliseconds, fewer are seconds.
StatusOr<int64_t> ParseTimeBound(std::string_view flag, const std::string& text) {
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits && text.size() <= 18) {
    const int64_t n = std::stoll(text);
    return text.size() >= 12 ? n : n * 1000;
  }
  ingest::ParsedTimestamp t = ingest::ParseTimestamp(text, ingest::TimestampSpec{});
  if (t.error != ingest::ValueError::kNone) {
    return Status::InvalidArgument(std::string(flag) +
                                   ": expected an ISO-8601 time (2024-11-19T10:00:00Z) or epoch "
                                   "seconds/milliseconds, got '" +
                                   text + "'");
  }
  return t.epoch_seconds * 1000;
}

std::string Percent(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * rate);
  return buf;
}

// "5.00% [4.10%, 6.08%]"
std::string RateText(const abtest::Rate& r) {
  return Percent(r.value) + " [" + Percent(r.ci95.low) + ", " + Percent(r.ci95.high) + "]";
}

// "+1.20pp (+24.0%)"; the relative part only when the control rate is not 0.
std::string LiftText(const std::optional<abtest::Comparison>& c) {
  if (!c) return "";
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%+.2fpp", 100 * c->absolute_lift);
  if (c->relative_lift) {
    std::snprintf(buf + n, sizeof buf - n, " (%+.1f%%)", 100 * *c->relative_lift);
  }
  return buf;
}

std::string PValueText(const std::optional<abtest::Comparison>& c) {
  if (!c) return "";
  if (c->p_value < 0.0001) return "<0.0001";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", c->p_value);
  return buf;
}

std::string SignificantText(const abtest::VariantReport& v) {
  if (v.control) return "(control)";
  std::string out;
  if (v.click_through_vs_control && v.click_through_vs_control->significant) out = "CTR";
  if (v.conversion_vs_control && v.conversion_vs_control->significant) {
    out += out.empty() ? "CVR" : ", CVR";
  }
  return out.empty() ? "no" : out;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

void PrintCampaign(const abtest::CampaignReport& c) {
  std::cout << "campaign " << c.name;
  if (c.name == abtest::kNoCampaign) {
    std::cout << " (traffic outside any campaign, by model version: not randomised)";
  }
  std::cout << ", control " << (c.control.empty() ? "-" : c.control) << "\n";
  TextTable t;
  t.headers = {"variant",     "model",        "impressions", "clicks",   "CTR [95% CI]",
               "conversions", "CVR [95% CI]", "revenue",     "CTR lift", "CTR p",
               "CVR lift",    "CVR p",        "significant"};
  t.numeric = {false, false, true, true, true, true, true, true, true, true, true, true, false};
  for (const abtest::VariantReport& v : c.variants) {
    char revenue[32];
    std::snprintf(revenue, sizeof revenue, "%.2f", v.revenue);
    t.AddRow({v.name, Join(v.model_versions), WithThousands(v.impressions), WithThousands(v.clicks),
              RateText(v.click_through), WithThousands(v.conversions), RateText(v.conversion),
              std::string(revenue), LiftText(v.click_through_vs_control),
              PValueText(v.click_through_vs_control), LiftText(v.conversion_vs_control),
              PValueText(v.conversion_vs_control), SignificantText(v)});
  }
  PrintTable(std::cout, t);
}

void PrintLogSummary(const abtest::LogStats& s) {
  std::cout << "logs: " << WithThousands(s.impression_lines - s.duplicate_impression_lines)
            << " impressions from " << s.impression_files << " files ("
            << WithThousands(s.duplicate_impression_lines) << " duplicate, "
            << WithThousands(s.skipped_impression_lines) << " unreadable lines); "
            << WithThousands(s.events) << " events from " << s.event_files << " files ("
            << WithThousands(s.duplicate_event_lines) << " duplicate, "
            << WithThousands(s.skipped_event_lines) << " unreadable lines), "
            << WithThousands(s.events_without_recommendation) << " without a recommendationId, "
            << WithThousands(s.events_unknown_recommendation) << " with an unknown one\n";
}

int RunReport(const Context& ctx, const ReportFlags& flags, bool click_types_given,
              bool conversion_types_given) {
  std::optional<config::Project> project = LoadProjectOrReport(ctx);
  if (!project) return kExitUsage;
  abtest::ReportOptions options;
  options.campaign = flags.campaign;
  if (!flags.since.empty()) {
    StatusOr<int64_t> t = ParseTimeBound("--since", flags.since);
    if (!t.ok()) return ReportError(t.status());
    options.since_ms = *t;
  }
  if (!flags.until.empty()) {
    StatusOr<int64_t> t = ParseTimeBound("--until", flags.until);
    if (!t.ok()) return ReportError(t.status());
    options.until_ms = *t;
  }
  if (click_types_given) options.click_event_types = flags.click_types;
  if (conversion_types_given) options.conversion_event_types = flags.conversion_types;
  // Campaigns defined in the project (active or finished) fix each one's
  // control (its first variant) and variant order.
  for (const config::CampaignConfig& c : project->campaigns) {
    abtest::Campaign campaign{c.name, {}};
    for (const config::CampaignVariantConfig& v : c.variants) {
      campaign.variants.push_back({v.name, v.model, v.weight});
    }
    options.campaigns.push_back(std::move(campaign));
  }
  options.database.memory_limit = project->etl.memory_limit;
  options.database.threads = project->etl.threads;

  StatusOr<abtest::Report> report = abtest::BuildReport(project->dir, options);
  if (!report.ok()) return ReportError(report.status());

  // No logs at all: an empty report, even for campaigns the project defines.
  const bool no_logs = report->logs.impression_files == 0 && report->logs.event_files == 0;
  if (no_logs) report->campaigns.clear();
  const std::string live = project->dir + "/live";
  if (flags.json) {
    std::cout << abtest::ReportToJson(*report, 2) << "\n";
    if (no_logs) Info(ctx, "no A/B logs yet under " + live + " (recmart serve writes them)");
    return kExitOk;
  }
  if (no_logs) {
    std::cout << "no A/B logs yet under " << live << " (recmart serve writes them)\n";
    return kExitOk;
  }
  if (report->campaigns.empty()) {
    std::cout << "no impressions match"
              << (flags.campaign.empty() ? "" : " campaign '" + flags.campaign + "'")
              << (flags.since.empty() ? "" : " since " + flags.since)
              << (flags.until.empty() ? "" : " until " + flags.until) << "\n";
  }
  for (const abtest::CampaignReport& c : report->campaigns) {
    PrintCampaign(c);
    std::cout << "\n";
  }
  PrintLogSummary(report->logs);
  return kExitOk;
}

}  // namespace

void RegisterAbtest(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("abtest", "A/B tests: how each campaign variant performs live");
  cmd->require_subcommand(1);
  auto flags = std::make_shared<ReportFlags>();
  auto* report = cmd->add_subcommand(
      "report",
      "click-through and conversion per variant with 95% intervals, lift and p-value against "
      "the control, from the API's impression and event logs");
  AddProjectOption(report, ctx);
  report->add_option("--campaign", flags->campaign,
                     "only this campaign; \"(none)\" for traffic outside any campaign");
  report->add_option("--since", flags->since,
                     "impressions from this time on: ISO-8601 (2024-11-19, 2024-11-19T10:00:00Z) "
                     "or epoch seconds / milliseconds");
  report->add_option("--until", flags->until, "impressions before this time (same forms)");
  auto* clicks = report
                     ->add_option("--click-types", flags->click_types,
                                  "event types that count as a click (default: "
                                  "click,view,detail_view)")
                     ->delimiter(',');
  auto* conversions = report
                          ->add_option("--conversion-types", flags->conversion_types,
                                       "event types that count as a conversion (default: "
                                       "purchase,order,transaction)")
                          ->delimiter(',');
  report->add_flag("--json", flags->json, "JSON output");
  report->callback([&ctx, flags, clicks, conversions] {
    const bool click_types_given = clicks->count() > 0;
    const bool conversion_types_given = conversions->count() > 0;
    ctx.action = [&ctx, flags, click_types_given, conversion_types_given] {
      return RunReport(ctx, *flags, click_types_given, conversion_types_given);
    };
  });
}

}  // namespace recmart::cli
