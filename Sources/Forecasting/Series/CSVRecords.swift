/// One CSV record: its fields and the line it starts on (counting from 1).
struct CSVRecord {
    var line: Int
    var fields: [String]
}

/// Splits CSV text into records (RFC 4180): fields separated by commas, quoted fields may
/// hold commas, doubled quotes and line breaks; `\r\n` ends a line as `\n` does; blank lines
/// are skipped. An unterminated quote runs to the end of the text, as spreadsheets read it.
func csvRecords(_ text: String) -> [CSVRecord] {
    var records: [CSVRecord] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var line = 1
    var recordLine = 1
    var inQuotes = false
    var fieldWasQuoted = false
    let bytes = Array(text.utf8)
    var index = 0

    func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
        fieldWasQuoted = false
    }
    func endRecord() {
        endField()
        let blank = fields.count == 1 && fields[0].allSatisfy { $0 == " " || $0 == "\t" }
        if !blank { records.append(CSVRecord(line: recordLine, fields: fields)) }
        fields.removeAll(keepingCapacity: true)
    }

    while index < bytes.count {
        let byte = bytes[index]
        index += 1
        if inQuotes {
            if byte == UInt8(ascii: "\"") {
                if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                    field.append(byte)
                    index += 1
                } else {
                    inQuotes = false
                }
            } else {
                if byte == UInt8(ascii: "\n") { line += 1 }
                field.append(byte)
            }
            continue
        }
        switch byte {
        case UInt8(ascii: "\"") where field.isEmpty && !fieldWasQuoted:
            inQuotes = true
            fieldWasQuoted = true
        case UInt8(ascii: ","):
            endField()
        case UInt8(ascii: "\r") where index < bytes.count && bytes[index] == UInt8(ascii: "\n"):
            break
        case UInt8(ascii: "\n"):
            endRecord()
            line += 1
            recordLine = line
        default:
            field.append(byte)
        }
    }
    if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
    return records
}
