// Parquet reader through DuckDB (recmart::lake). Internal to the ingest
// module: callers use RowReader::Open (reader.h).
//
// Contract, beyond reader.h:
//  - Values are the columns cast to VARCHAR by DuckDB (NULL → nullopt).
//  - Row::line is the 1-based row index in the file; Row::raw is the row's
//    requested values joined with ',' (NULL as empty), for quarantine context.
//  - Rows are fetched in batches, in file order, so memory stays bounded.
//  - Row errors: nul_byte (a value holding U+0000, which the C API would
//    otherwise cut short), field_too_long, row_too_long (raw longer than
//    max_row_bytes).
//  - InvalidArgument naming the column (and listing the schema) when a
//    requested column is not in the file; IOError when DuckDB cannot read it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/ingest/reader.h"

namespace recmart::ingest {

StatusOr<std::unique_ptr<RowReader>> OpenParquetReader(const std::string& path,
                                                       const ReaderOptions& options,
                                                       const std::vector<std::string>& columns);

}  // namespace recmart::ingest
