// Notifications at the end of a pipeline run: a command and/or an HTTP POST
// of the run's JSON summary (config::WorkflowNotifyConfig).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "recmart/catalog/catalog.h"
#include "recmart/common/status.h"
#include "recmart/config/project.h"

namespace recmart::workflow {

// {"run": id, "event": "success"|"failure"|"refused", "state", "trigger",
//  "outcome", "error", "started_ms", "finished_ms", "jobs": [{"job", "state",
//  "attempts", "rows_in", "rows_out", "error", "seconds"}]}
nlohmann::json RunSummaryJson(const catalog::WorkflowRunRecord& run, const std::string& event);

// Sends `summary` as configured when `event` is in notify.on: runs
// notify.command with /bin/sh -c in `dir` (summary on its standard input;
// RECMART_RUN_ID and RECMART_RUN_EVENT in its environment) and POSTs it to
// notify.url (Content-Type: application/json; any 2xx is success). Each has
// notify.timeout_seconds. Returns the first failure, naming the command or URL.
Status SendNotification(const config::WorkflowNotifyConfig& notify, const std::string& dir,
                        const std::string& event, const nlohmann::json& summary);

// POSTs `body` to an http:// URL and returns the status code. Exposed for tests.
StatusOr<int> HttpPostJson(const std::string& url, const std::string& body, double timeout_seconds);

}  // namespace recmart::workflow
