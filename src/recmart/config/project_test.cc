#include <gtest/gtest.h>
TEST(Placeholder, project_test) { SUCCEED(); }
