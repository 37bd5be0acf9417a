#include <gtest/gtest.h>
TEST(Placeholder, duckdb_test) { SUCCEED(); }
