#include <gtest/gtest.h>
TEST(Placeholder, status_test) { SUCCEED(); }
