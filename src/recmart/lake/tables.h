// The lake's tables: names, columns and partitioning. This is the canonical
// data model of PRODUCT.md step 3; every writer and reader uses these
// definitions, so an empty table still has its full schema.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace recmart::lake {

struct ColumnDef {
  std::string_view name;
  std::string_view type;  // DuckDB type
  std::string_view doc;
};

struct TableDef {
  std::string_view name;
  std::string_view partition_column;   // "" = unpartitioned
  std::string_view partition_type;     // DuckDB type of the partition column
  std::span<const ColumnDef> columns;  // in file order, without the partition column
  std::string_view doc;
};

// All tables, in the order `recmart catalog` lists them.
std::span<const TableDef> LakeTables();
// nullptr if unknown.
const TableDef* FindTable(std::string_view name);

// "CAST(NULL AS T) AS C, ..." for an empty typed relation of `table`.
std::string EmptySelect(const TableDef& table);

// "['a.parquet', 'b.parquet']": quoted paths as a DuckDB list literal.
std::string SqlFileList(const std::vector<std::string>& paths);

// A relation over Parquet files of `table` (absolute paths) for a FROM
// clause: read_parquet([...]) with the table's partition column typed, or
// the table's empty relation when there are no files.
std::string FilesRelation(const TableDef& table, const std::vector<std::string>& paths);

}  // namespace recmart::lake
