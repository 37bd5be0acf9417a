#include <gtest/gtest.h>
TEST(Placeholder, Reader) { SUCCEED(); }
