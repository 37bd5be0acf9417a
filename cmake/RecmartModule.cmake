# recmart_module(NAME SRCS a.cc b.cc DEPS other_module ... TESTS a_test.cc ...)
# One static library per module (target recmart_NAME, alias recmart::NAME), its
# dependencies stated explicitly so the arrows between modules stay visible, and
# one GoogleTest binary per module from the listed *_test.cc files.
function(recmart_module NAME)
  cmake_parse_arguments(M "" "" "SRCS;DEPS;TESTS;TEST_DEPS" ${ARGN})
  add_library(recmart_${NAME} STATIC ${M_SRCS})
  add_library(recmart::${NAME} ALIAS recmart_${NAME})
  target_include_directories(recmart_${NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(recmart_${NAME} PUBLIC ${M_DEPS})
  if(M_TESTS)
    add_executable(recmart_${NAME}_test ${M_TESTS})
    target_link_libraries(recmart_${NAME}_test PRIVATE recmart_${NAME} ${M_TEST_DEPS}
                          GTest::gmock GTest::gtest_main)
    target_compile_definitions(recmart_${NAME}_test PRIVATE
      RECMART_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    include(GoogleTest)
    gtest_discover_tests(recmart_${NAME}_test DISCOVERY_TIMEOUT 60
      PROPERTIES ENVIRONMENT "RECMART_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  endif()
endfunction()
