// The grammar through the public API: canonical text round trips, and error
// messages with exact positions. The tree shape is checked once through the
// internal parser.
#include "recmart/filter/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recmart/common/testing.h"
#include "recmart/filter/filter.h"

namespace recmart::filter {
namespace {

using ::recmart::testing::StatusIs;
using ::testing::ElementsAre;

constexpr std::string_view kWhere = "INCLUDE ItemID WHERE ";

std::string Canonical(std::string_view text) {
  StatusOr<Filter> f = Filter::Parse(text);
  if (!f.ok()) return "error: " + f.status().message();
  return f->ToString();
}

std::string ErrorOf(std::string_view text) {
  StatusOr<Filter> f = Filter::Parse(text);
  if (f.ok()) return "parsed: " + f->ToString();
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  return f.status().message();
}

struct RoundTrip {
  std::string input;
  std::string canonical;
};

TEST(ParserTest, CanonicalTextRoundTrips) {
  const std::vector<RoundTrip> cases = {
      // The PRODUCT.md examples.
      {"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")",
       "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\")"},
      {"INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)",
       "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN ($CATEGORY)"},
      {"INCLUDE ItemID WHERE Items.PRICE <= $MAX_PRICE | EXCLUDE ItemID WHERE "
       "Interactions.EVENT_TYPE IN (\"purchase\")",
       "INCLUDE ItemID WHERE Items.PRICE <= $MAX_PRICE | EXCLUDE ItemID WHERE "
       "Interactions.EVENT_TYPE IN (\"purchase\")"},
      {"INCLUDE ItemID WHERE Items.CATEGORY_L1 IN CurrentItem.CATEGORY_L1",
       "INCLUDE ItemID WHERE Items.CATEGORY_L1 IN (CurrentItem.CATEGORY_L1)"},
      {"EXCLUDE ItemID WHERE Items.AVAILABLE IN (\"no\") IF CurrentUser.SEGMENT IN (\"b2b\")",
       "EXCLUDE ItemID WHERE Items.AVAILABLE IN (\"no\") IF CurrentUser.SEGMENT IN (\"b2b\")"},
      // Every operator.
      {"include itemid where Items.A = 1 and Items.B != \"x\" and Items.C < 2 and Items.D <= 3 "
       "and Items.E > 4 and Items.F >= 5 and Items.G not in (\"a\",\"b\") and Items.H in 6",
       "INCLUDE ItemID WHERE Items.A = 1 AND Items.B != \"x\" AND Items.C < 2 AND Items.D <= 3 "
       "AND Items.E > 4 AND Items.F >= 5 AND Items.G NOT IN (\"a\", \"b\") AND Items.H IN (6)"},
      // Case-insensitive keywords and names; names normalised to upper case.
      {"Exclude ITEMID Where items.brand In ($brand) If currentuser.segment = \"b2b\"",
       "EXCLUDE ItemID WHERE Items.BRAND IN ($BRAND) IF CurrentUser.SEGMENT = \"b2b\""},
      {"INCLUDE ItemID WHERE INTERACTIONS.event_type = \"view\" OR interactions.EVENT_TYPE IN "
       "(\"cart\")",
       "INCLUDE ItemID WHERE Interactions.EVENT_TYPE = \"view\" OR Interactions.EVENT_TYPE IN "
       "(\"cart\")"},
      {"INCLUDE ItemID WHERE Items.PRICE < currentitem.price",
       "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE"},
      // AND binds tighter than OR: parentheses only where needed.
      {"INCLUDE ItemID WHERE Items.A = 1 OR Items.B = 2 AND Items.C = 3",
       "INCLUDE ItemID WHERE Items.A = 1 OR Items.B = 2 AND Items.C = 3"},
      {"INCLUDE ItemID WHERE (Items.A = 1 OR Items.B = 2) AND Items.C = 3",
       "INCLUDE ItemID WHERE (Items.A = 1 OR Items.B = 2) AND Items.C = 3"},
      {"INCLUDE ItemID WHERE (Items.A = 1 AND Items.B = 2) OR Items.C = 3",
       "INCLUDE ItemID WHERE Items.A = 1 AND Items.B = 2 OR Items.C = 3"},
      {"INCLUDE ItemID WHERE Items.A = 1 AND (Items.B = 2 AND (Items.C = 3))",
       "INCLUDE ItemID WHERE Items.A = 1 AND Items.B = 2 AND Items.C = 3"},
      {"INCLUDE ItemID WHERE ((Items.A = 1))", "INCLUDE ItemID WHERE Items.A = 1"},
      {"INCLUDE ItemID WHERE Items.A = 1 AND (Items.B = 2 OR Items.C = 3 AND (Items.D = 4 OR "
       "Items.E = 5))",
       "INCLUDE ItemID WHERE Items.A = 1 AND (Items.B = 2 OR Items.C = 3 AND (Items.D = 4 OR "
       "Items.E = 5))"},
      {"EXCLUDE ItemID WHERE Items.A = 1 IF CurrentUser.S = \"x\" OR CurrentUser.S = \"y\" AND "
       "CurrentUser.AGE >= 18",
       "EXCLUDE ItemID WHERE Items.A = 1 IF CurrentUser.S = \"x\" OR CurrentUser.S = \"y\" AND "
       "CurrentUser.AGE >= 18"},
      // Quoting and escapes; '|' inside a string is not a chain.
      {R"(INCLUDE ItemID WHERE Items.BRAND IN ("say \"hi\"", "back\\slash", "a|b", "", "é"))",
       R"(INCLUDE ItemID WHERE Items.BRAND IN ("say \"hi\"", "back\\slash", "a|b", "", "é"))"},
      // Numbers keep their text.
      {"INCLUDE ItemID WHERE Items.P IN (-3, +2.5, .5, 1e3, 1E-2, 0, -.25)",
       "INCLUDE ItemID WHERE Items.P IN (-3, +2.5, .5, 1e3, 1E-2, 0, -.25)"},
      // Whitespace and one-value parentheses.
      {"\n  INCLUDE\tItemID WHERE Items.A=(\"x\")|EXCLUDE ItemID WHERE Items.B>=-1  ",
       "INCLUDE ItemID WHERE Items.A = \"x\" | EXCLUDE ItemID WHERE Items.B >= -1"},
      // Parameters and CurrentItem inside lists.
      {"INCLUDE ItemID WHERE Items.A IN (\"x\", $P, CurrentItem.A)",
       "INCLUDE ItemID WHERE Items.A IN (\"x\", $P, CurrentItem.A)"},
  };
  for (const RoundTrip& c : cases) {
    SCOPED_TRACE(c.input);
    const std::string canonical = Canonical(c.input);
    EXPECT_EQ(canonical, c.canonical);
    EXPECT_EQ(Canonical(canonical), canonical);
  }
}

TEST(ParserTest, AndBindsTighterThanOr) {
  ASSERT_OK_AND_ASSIGN(
      internal::FilterAst ast,
      internal::ParseFilter("INCLUDE ItemID WHERE Items.A = 1 OR Items.B = 2 AND Items.C = 3"));
  ASSERT_EQ(ast.expressions.size(), 1u);
  const internal::Condition& root = ast.expressions[0].condition;
  ASSERT_EQ(root.kind, internal::Condition::Kind::kOr);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].kind, internal::Condition::Kind::kPredicate);
  EXPECT_EQ(root.children[0].predicate.field, "A");
  ASSERT_EQ(root.children[1].kind, internal::Condition::Kind::kAnd);
  EXPECT_EQ(root.children[1].children[0].predicate.field, "B");
  EXPECT_EQ(root.children[1].children[1].predicate.field, "C");
}

TEST(ParserTest, StringsAreUnescapedAndPositionsCountCharacters) {
  ASSERT_OK_AND_ASSIGN(internal::FilterAst ast,
                       internal::ParseFilter(R"(INCLUDE ItemID WHERE Items.A IN ("é\"\\", $x))"));
  const internal::Predicate& p = ast.expressions[0].condition.predicate;
  EXPECT_EQ(p.position, 22u);
  ASSERT_EQ(p.terms.size(), 2u);
  EXPECT_TRUE(p.terms[0].literal.is_string);
  EXPECT_EQ(p.terms[0].literal.text, "é\"\\");
  EXPECT_EQ(p.terms[0].position, 34u);
  EXPECT_EQ(p.terms[1].kind, internal::Term::Kind::kParam);
  EXPECT_EQ(p.terms[1].name, "X");
  EXPECT_EQ(p.terms[1].position, 43u);  // "é" is one character, two bytes
}

TEST(ParserTest, ReportsParametersAndUses) {
  ASSERT_OK_AND_ASSIGN(
      Filter f, Filter::Parse("INCLUDE ItemID WHERE Items.A IN ($b, $A) AND Items.C <= $a | "
                              "EXCLUDE ItemID WHERE Items.D = 1 IF CurrentUser.S IN ($Zed)"));
  EXPECT_THAT(f.Parameters(), ElementsAre("A", "B", "ZED"));
  EXPECT_FALSE(f.UsesCurrentItem());
  EXPECT_FALSE(f.UsesInteractions());

  ASSERT_OK_AND_ASSIGN(
      Filter g, Filter::Parse("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"purchase\") | "
                              "INCLUDE ItemID WHERE Items.A IN (\"x\", CurrentItem.A)"));
  EXPECT_THAT(g.Parameters(), ElementsAre());
  EXPECT_TRUE(g.UsesCurrentItem());
  EXPECT_TRUE(g.UsesInteractions());
}

struct BadInput {
  std::string input;
  std::string message;
};

TEST(ParserTest, ErrorsNamePositionAndExpectation) {
  const std::string w(kWhere);  // 21 characters: predicates start at position 22
  const std::vector<BadInput> cases = {
      {"", "position 1: expected EXCLUDE or INCLUDE, got end of input"},
      {"DROP TABLE items", "position 1: expected EXCLUDE or INCLUDE, got \"DROP\""},
      {"INCLUDE Item WHERE Items.A = 1", "position 9: expected ItemID, got \"Item\""},
      {"INCLUDE ItemID Items.A = 1", "position 16: expected WHERE, got \"Items.A\""},
      {w + "Items.A FOO (\"x\")",
       "position 30: expected IN, NOT IN or a comparison operator, got \"FOO\""},
      {w + "Items.A NOT (\"x\")", "position 34: expected IN after NOT, got \"(\""},
      {w + "Items.A = \"abc", "position 32: unterminated string"},
      {w + "Items.A = \"a\\n\"",
       "position 34: unknown escape \"\\n\" in a string; only \\\" and \\\\ are allowed"},
      {w + "Items.A IN (\"x\", \"y\"", "position 42: expected \",\" or \")\", got end of input"},
      {w + "Items.A IN ()",
       "position 34: expected a string, a number, a $PARAMETER or CurrentItem.FIELD, got \")\""},
      {w + "Items.A = (1, 2)", "position 36: = takes one value; use IN for a list"},
      {w + "Items.A = 1 Items.B = 2",
       "position 34: expected AND, OR, IF, \"|\" or end of input, got \"Items.B\""},
      {w + "Items.A = 1 IF CurrentUser.S = 1 )",
       "position 55: expected AND, OR, \"|\" or end of input, got \")\""},
      {w + "(Items.A = 1 OR Items.B = 2",
       "position 49: expected AND, OR or \")\", got end of input"},
      {w + "Items.A = 1 |", "position 35: expected EXCLUDE or INCLUDE, got end of input"},
      {w + "Items.A = 1; DROP", "position 33: unexpected character \";\""},
      // A long token is shown cut, but not inside a character: 40 bytes would
      // end inside the "é" after the quote and 38 x.
      {w + "Items.A = 1 \"" + std::string(38, 'x') + "é\"",
       "position 34: expected AND, OR, IF, \"|\" or end of input, got string \"" +
           std::string(38, 'x') + "..."},
      {w + "Items.A = \"é\" AND Items.B = 1 €", "position 52: unexpected character \"€\""},
      {w + "PRICE < 5", "position 22: expected a field such as Items.PRICE, got \"PRICE\""},
      {w + "\"x\" = 1", "position 22: expected a field such as Items.PRICE, got string \"x\""},
      {w + "Items. = 1", "position 28: expected a field name after \"Items.\""},
      {w + "Items.A = $", "position 32: expected a parameter name after \"$\""},
      {w + "Items.A < 1e999", "position 32: number 1e999 is out of range"},
      {w + "Products.A = 1",
       "position 22: unknown dataset \"Products\"; expected Items, Interactions, CurrentItem or "
       "CurrentUser"},
      {w + "CurrentUser.SEGMENT = \"b2b\"",
       "position 22: CurrentUser.SEGMENT can only be used after IF"},
      {w + "CurrentItem.BRAND = \"x\"",
       "position 22: CurrentItem.BRAND can only be used as a value, as in Items.BRAND IN "
       "CurrentItem.BRAND"},
      {w + "Items.A = 1 IF Items.B = 2",
       "position 37: after IF only CurrentUser fields can be used, got Items.B"},
      {w + "Items.A = Items.B",
       "position 32: expected a string, a number, a $PARAMETER or CurrentItem.FIELD, got "
       "\"Items.B\""},
      {"EXCLUDE ItemID WHERE Interactions.ITEM_ID IN (\"x\")",
       "position 22: Interactions supports only EVENT_TYPE, got Interactions.ITEM_ID"},
      {"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE < \"x\"",
       "position 46: Interactions.EVENT_TYPE supports only IN, NOT IN, = and !="},
      {"EXCLUDE ItemID WHERE Items.A = 1 AND Interactions.EVENT_TYPE = \"view\"",
       "position 38: Interactions.EVENT_TYPE cannot be combined with Items.A in one expression "
       "(AND/OR work within one dataset; chain expressions with \"|\")"},
      {"EXCLUDE ItemID WHERE Interactions.EVENT_TYPE = \"view\" OR (Items.A = 1)",
       "position 59: Items.A cannot be combined with Interactions.EVENT_TYPE in one expression "
       "(AND/OR work within one dataset; chain expressions with \"|\")"},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(ErrorOf(c.input), c.message);
  }
}

TEST(ParserTest, EnforcesLimits) {
  std::string longest = std::string(kWhere) + "Items.A IN (\"";
  longest += std::string(kMaxFilterBytes - longest.size() - 2, 'x') + "\")";
  ASSERT_EQ(longest.size(), kMaxFilterBytes);
  EXPECT_OK(Filter::Parse(longest));
  EXPECT_THAT(Filter::Parse(longest + " "),
              StatusIs(StatusCode::kInvalidArgument,
                       "filter is 4097 bytes long; at most 4096 are allowed"));

  std::string list = std::string(kWhere) + "Items.A IN (0";
  for (size_t i = 1; i < kMaxListValues; ++i) list += ",1";
  EXPECT_OK(Filter::Parse(list + ")"));
  // '(' is at 33, "0" at 34, 999 ",1" end at 2032; the 1001st value is at 2034.
  EXPECT_EQ(ErrorOf(list + ",2)"), "position 2034: a list holds at most 1000 values");

  const std::string deep = std::string(kWhere) + std::string(kMaxNesting, '(') + "Items.A = 1" +
                           std::string(kMaxNesting, ')');
  EXPECT_OK(Filter::Parse(deep));
  EXPECT_EQ(ErrorOf(std::string(kWhere) + std::string(kMaxNesting + 1, '(') + "Items.A = 1" +
                    std::string(kMaxNesting + 1, ')')),
            "position 54: parentheses nest deeper than 32 levels");
}

TEST(ParserTest, ParsesLiteralLists) {
  ASSERT_OK_AND_ASSIGN(std::vector<internal::Literal> literals,
                       internal::ParseLiteralList(R"( "shoes", "b\"ags" ,-5 )"));
  ASSERT_EQ(literals.size(), 3u);
  EXPECT_EQ(literals[0].text, "shoes");
  EXPECT_EQ(literals[1].text, "b\"ags");
  EXPECT_TRUE(literals[1].is_string);
  EXPECT_EQ(literals[2].text, "-5");
  EXPECT_FALSE(literals[2].is_string);

  EXPECT_THAT(internal::ParseLiteralList(""),
              StatusIs(StatusCode::kInvalidArgument,
                       "position 1: expected a string or a number, got end of input"));
  EXPECT_THAT(internal::ParseLiteralList("\"a\","),
              StatusIs(StatusCode::kInvalidArgument,
                       "position 5: expected a string or a number, got end of input"));
  EXPECT_THAT(internal::ParseLiteralList("shoes"),
              StatusIs(StatusCode::kInvalidArgument,
                       "position 1: expected a string or a number, got \"shoes\""));
  EXPECT_THAT(internal::ParseLiteralList("1 2"),
              StatusIs(StatusCode::kInvalidArgument,
                       "position 3: expected \",\" or end of input, got \"2\""));
}

TEST(NumberTest, ParsesOnlyTheLiteralSyntax) {
  EXPECT_EQ(internal::ParseNumber("+2.5"), 2.5);
  EXPECT_EQ(internal::ParseNumber("-.5"), -0.5);
  EXPECT_EQ(internal::ParseNumber("1e3"), 1000.0);
  EXPECT_EQ(internal::ParseNumber("7."), 7.0);
  for (std::string_view bad :
       {"", "+", ".", "e3", "1e", "0x10", "inf", "nan", " 1", "1 ", "1e999", "--1", "1.2.3"}) {
    EXPECT_EQ(internal::ParseNumber(bad), std::nullopt) << bad;
  }
  for (double d : {0.1, 59.99, -1e-300, 1700000000.0, 1.0 / 3}) {
    EXPECT_EQ(internal::ParseNumber(internal::FormatNumber(d)), d);
  }
}

}  // namespace
}  // namespace recmart::filter
