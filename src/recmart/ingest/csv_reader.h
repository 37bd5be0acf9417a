// CSV/TSV reader (RFC 4180 with the leniencies real exports need). Internal to
// the ingest module: callers use RowReader::Open (reader.h).
//
// Contract, beyond reader.h:
//  - A quote opens a quoted field only as the field's first byte; inside it a
//    doubled quote is one quote, and delimiters and line breaks are data (so a
//    record can span lines; Row::line is the line it starts on). Text after a
//    closing quote up to the next delimiter is kept, appended (`"ab"c` → abc).
//    A quote elsewhere in an unquoted field is an ordinary byte. quote = '\0'
//    turns quoting off.
//  - Records end at LF or CRLF (the CR is dropped from the last field); a CR
//    elsewhere is data. A UTF-8 BOM at the very start of the file is skipped.
//  - header=true: the first record names the columns (names trimmed of spaces
//    and tabs; with duplicated names, the first wins). header=false: columns
//    are "column1", "column2", ... and the first record fixes their number.
//  - Every record other than the header becomes exactly one Row. Empty lines
//    at the very end of the file are not records. An empty line elsewhere is a
//    record of one empty field (a wrong_column_count row unless the file has a
//    single column).
//  - Row errors, first match wins: row_too_long (the record exceeds
//    max_row_bytes; raw holds its first max_row_bytes bytes), unterminated_quote
//    (a quoted field still open at the end of the file; the record runs to the
//    end of the file), nul_byte, invalid_utf8, wrong_column_count ("expected N
//    fields, got M"), field_too_long.
//  - After a too-long record the reader goes on at the end of that record; if
//    the record is inside a quoted field that has itself grown beyond
//    max_row_bytes, the quotes are taken as broken and the reader goes on
//    after the next line break instead (no valid row can contain such a field,
//    and it stops one stray quote from swallowing the rest of the file).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "recmart/common/status.h"
#include "recmart/ingest/decompress.h"
#include "recmart/ingest/reader.h"

namespace recmart::ingest {

// Reads the header (when options.header) and resolves `columns`.
// InvalidArgument naming the column (and listing the header) when one is
// missing, or when the options are unusable (delimiter equal to the quote, or
// a line break).
StatusOr<std::unique_ptr<RowReader>> OpenCsvReader(const std::string& path,
                                                   std::unique_ptr<ByteSource> source,
                                                   const ReaderOptions& options,
                                                   const std::vector<std::string>& columns);

}  // namespace recmart::ingest
