#include <gtest/gtest.h>
TEST(Placeholder, pipeline_test) { SUCCEED(); }
