// Campaign validation and the stable user → variant assignment.
#define XXH_STATIC_LINKING_ONLY  // XXH64_state_t on the stack: no allocation per call
#include <xxhash.h>

#include <cassert>
#include <cmath>
#include <set>

#include "recmart/abtest/abtest.h"

namespace recmart::abtest {

Status ValidateCampaign(const Campaign& campaign) {
  if (campaign.name.empty()) return Status::InvalidArgument("campaign: name is empty");
  const std::string where = "campaign '" + campaign.name + "'";
  if (campaign.variants.size() < 2) {
    return Status::InvalidArgument(where + ": needs at least 2 variants, has " +
                                   std::to_string(campaign.variants.size()));
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < campaign.variants.size(); ++i) {
    const Variant& v = campaign.variants[i];
    if (v.name.empty()) {
      return Status::InvalidArgument(where + ": variant " + std::to_string(i) + " has no name");
    }
    if (!seen.insert(v.name).second) {
      return Status::InvalidArgument(where + ": variant '" + v.name + "' appears twice");
    }
    if (!std::isfinite(v.weight) || v.weight <= 0) {
      return Status::InvalidArgument(where + ": variant '" + v.name +
                                     "': weight must be a finite number > 0");
    }
  }
  return Status::OK();
}

double AssignmentPosition(std::string_view campaign_name, std::string_view user_id) {
  // Streaming gives the same digest as hashing the concatenation at once.
  XXH64_state_t state;
  XXH64_reset(&state, kAssignmentSeed);
  XXH64_update(&state, campaign_name.data(), campaign_name.size());
  const char separator = '\0';
  XXH64_update(&state, &separator, 1);
  XXH64_update(&state, user_id.data(), user_id.size());
  const uint64_t h = XXH64_digest(&state);
  // Top 53 bits: exactly representable, so the result is < 1.
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

size_t AssignVariant(const Campaign& campaign, std::string_view user_id) {
  assert(!campaign.variants.empty());
  if (campaign.variants.empty()) return 0;
  double total = 0;
  for (const Variant& v : campaign.variants) total += v.weight;
  const double target = AssignmentPosition(campaign.name, user_id) * total;
  double cumulative = 0;
  for (size_t i = 0; i + 1 < campaign.variants.size(); ++i) {
    cumulative += campaign.variants[i].weight;
    if (target < cumulative) return i;
  }
  // The last variant also absorbs rounding at the top end.
  return campaign.variants.size() - 1;
}

}  // namespace recmart::abtest
