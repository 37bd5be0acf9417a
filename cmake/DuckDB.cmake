# The pinned DuckDB 1.4.4 shared library and C header, fetched by scripts/deps.sh
# into third_party/duckdb. Imported as DuckDB::duckdb, linked with an rpath.
set(DUCKDB_ROOT "${PROJECT_SOURCE_DIR}/third_party/duckdb" CACHE PATH "DuckDB lib+include")
if(NOT EXISTS "${DUCKDB_ROOT}/lib/libduckdb.so" OR NOT EXISTS "${DUCKDB_ROOT}/include/duckdb.h")
  message(FATAL_ERROR "DuckDB not found in ${DUCKDB_ROOT}: run scripts/deps.sh first")
endif()
add_library(DuckDB::duckdb SHARED IMPORTED GLOBAL)
set_target_properties(DuckDB::duckdb PROPERTIES
  IMPORTED_LOCATION "${DUCKDB_ROOT}/lib/libduckdb.so"
  IMPORTED_NO_SONAME TRUE
  INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_ROOT}/include")
set(CMAKE_BUILD_RPATH "${DUCKDB_ROOT}/lib")
set(CMAKE_INSTALL_RPATH "${DUCKDB_ROOT}/lib")
