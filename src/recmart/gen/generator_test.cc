#include <gtest/gtest.h>
TEST(Placeholder, generator_test) { SUCCEED(); }
