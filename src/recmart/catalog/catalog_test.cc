#include <gtest/gtest.h>
TEST(Placeholder, catalog_test) { SUCCEED(); }
