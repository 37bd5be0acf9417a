// Title matching: maps an item a source names only by its title (or by an id
// no other source shares) to the reference catalog's ITEM_ID.
//
// Similarity. Titles are normalised (ASCII lower case; every character that
// is not a letter or digit separates tokens; non-ASCII bytes are kept as
// letters; a plural "s" is dropped from words of four letters or more) and
// compared by
//     score = 0.5 · Jaccard(token sets) + 0.5 · Jaccard(character trigrams)
// Token-set Jaccard ignores word order and repeated words ("Mug Red" = "red
// mug"); a word of five letters or more also counts as shared when the other
// title has it with one typo (one edit or swap; never for words with digits).
// It is still all-or-nothing per word otherwise; trigrams over the normalised text
// (spaces included) give partial credit for typos, plurals and spacing
// ("T-LIGHT" vs "tlight", "holder" vs "holders"), which token equality
// misses. Edit distance would do the latter but costs O(n·m) per pair and
// punishes reordering. Numbers are identity in a catalog (12oz vs 16oz,
// size 10 vs 12, pack of 6 vs 12): when the two titles' sets of tokens
// containing a digit differ, the score is halved, so such near-misses stay
// below any sensible threshold.
//
// Decision. The best-scoring reference item is the match when its score is
// at least `threshold` and beats the best item with another id by at least
// `margin`; otherwise the title is unmatched with the reason (no candidate,
// below threshold, ambiguous). Ties and near-ties never pick arbitrarily.
//
// Candidates are the reference items sharing at least one token with the
// title (an inverted index), so a lookup costs the postings of its tokens,
// not the whole catalog. Deterministic: ties between equal scores resolve by
// id. Not thread-safe for AddReference; Match is const and may run
// concurrently once the reference is complete.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace recmart::matching {

struct TitleMatchOptions {
  // Minimum score (0..1) for a match.
  double threshold = 0.75;
  // The best must beat the runner-up (another id) by this much.
  double margin = 0.05;
};

// Lower-cased alphanumeric tokens of a title, in order, duplicates kept.
std::vector<std::string> TitleTokens(std::string_view title);
// The similarity described above, 0..1; symmetric; 1 for equal normalised titles.
double TitleSimilarity(std::string_view a, std::string_view b);

enum class MatchOutcome { kMatched, kNoCandidate, kBelowThreshold, kAmbiguous };
std::string_view MatchOutcomeName(MatchOutcome o);  // "matched", "no_candidate", ...

struct TitleMatch {
  MatchOutcome outcome = MatchOutcome::kNoCandidate;
  std::string item_id;    // the best candidate (empty when none)
  double score = 0;       // its score
  std::string runner_up;  // the best candidate with another id (may be empty)
  double runner_up_score = 0;
};

class TitleMatcher {
 public:
  explicit TitleMatcher(TitleMatchOptions options = {}) : options_(options) {}

  // Adds one reference item. An id added twice keeps every title (any may match).
  void AddReference(std::string_view item_id, std::string_view title);
  size_t reference_size() const { return entries_.size(); }

  TitleMatch Match(std::string_view title) const;

 private:
  struct Entry {
    std::string id;
    std::string title;
  };
  TitleMatchOptions options_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::vector<uint32_t>> postings_;  // token → entries
};

}  // namespace recmart::matching
