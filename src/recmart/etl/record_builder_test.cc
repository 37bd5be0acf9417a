#include <gtest/gtest.h>
TEST(Placeholder, record_builder_test) { SUCCEED(); }
