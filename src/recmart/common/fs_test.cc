#include <gtest/gtest.h>
TEST(Placeholder, fs_test) { SUCCEED(); }
