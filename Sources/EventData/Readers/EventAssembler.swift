/// The `kind` values of rejections that the readers and the store produce, for counting and tests.
public enum RejectionKind {
    /// A field is not valid UTF-8.
    public static let invalidUTF8 = "invalid_utf8"
    /// A delimited row has more or fewer fields than the header.
    public static let wrongColumnCount = "wrong_column_count"
    /// A quoted field is still open at the end of the file.
    public static let unterminatedQuote = "unterminated_quote"
    /// A JSON Lines line is not one well-formed JSON object, or it names a key twice (at any
    /// depth, or at the top level in two Unicode forms), which readers would resolve differently.
    public static let badJSON = "bad_json"
    /// The timestamp cannot be read in the expected unit.
    public static let badTimestamp = "bad_timestamp"
    /// A required field (user id, timestamp, event type) is empty or absent.
    public static let missingField = "missing_field"
    /// A value or duration is not a number.
    public static let badNumber = "bad_number"
    /// A JSON value has a shape the field cannot take (an object or array for a user id).
    public static let badValue = "bad_value"
    /// An attribute table row repeats an id seen on an earlier line.
    public static let duplicateID = "duplicate_id"
    /// A user, item or session id or an event type holds a control character (U+0000-U+001F,
    /// U+007F), which ids cannot carry (SQLite cuts text at U+0000, terminals act on the rest).
    public static let badID = "bad_id"
    /// The time is outside the plausible range (see ``PlausibilityChecks``).
    public static let implausibleTime = "implausible_time"
    /// The value or duration is negative or infinite (see ``PlausibilityChecks``).
    public static let implausibleValue = "implausible_value"
}

/// The raw bytes of the mapped fields of one row (`nil`: the row has no value for it).
struct FieldValues {
    private var storage:
        (
            UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?,
            UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?
        ) = (nil, nil, nil, nil, nil, nil, nil, nil)

    subscript(ordinal: Int) -> UnsafeRawBufferPointer? {
        get {
            switch ordinal {
            case 0: return storage.0
            case 1: return storage.1
            case 2: return storage.2
            case 3: return storage.3
            case 4: return storage.4
            case 5: return storage.5
            case 6: return storage.6
            default: return storage.7
            }
        }
        set {
            switch ordinal {
            case 0: storage.0 = newValue
            case 1: storage.1 = newValue
            case 2: storage.2 = newValue
            case 3: storage.3 = newValue
            case 4: storage.4 = newValue
            case 5: storage.5 = newValue
            case 6: storage.6 = newValue
            default: storage.7 = newValue
            }
        }
    }

    subscript(field: EventField) -> UnsafeRawBufferPointer? {
        get { self[field.ordinal] }
        set { self[field.ordinal] = newValue }
    }
}

/// Turns the mapped field values of a row into an ``Event`` or a ``RowRejection``.
struct EventAssembler {
    /// Where each field comes from, for reject reasons (`column 'ts'`), by ordinal.
    private let sources: [String]
    private let constantType: EventType
    private let unit: TimestampUnit
    private var types = EventTypeCache()

    /// - Parameters:
    ///   - sources: by field, where it comes from (`column 'ts'`, `key 'ts'`).
    ///   - constantType: the type when the row gives none.
    init(sources: [EventField: String], constantType: EventType, unit: TimestampUnit) {
        self.sources = EventField.allCases.map { sources[$0] ?? "not mapped" }
        self.constantType = constantType
        self.unit = unit
    }

    /// The event for `values`, or the reason there is none. `properties` is only called for
    /// rows that become events.
    mutating func assemble(
        line: Int, values: FieldValues, raw: UnsafeRawBufferPointer, properties: () -> [String: String]
    ) -> SourceRow {
        guard let user = present(values[.userID]) else { return missing(.userID, "a user id", line: line, raw: raw) }
        guard let time = present(values[.timestamp]) else {
            return missing(.timestamp, "a timestamp", line: line, raw: raw)
        }
        guard let timestamp = TimestampParser.parse(time, unit: unit) else {
            return reject(
                line: line, kind: RejectionKind.badTimestamp, raw: raw,
                reason: "timestamp '\(Self.quoted(time))' (\(sources[EventField.timestamp.ordinal])) is not "
                    + unit.expectation)
        }
        let type: EventType
        if let typeBytes = values[.eventType] {
            guard let trimmed = present(typeBytes) else {
                return missing(.eventType, "an event type", line: line, raw: raw)
            }
            type = types.type(for: trimmed)
        } else {
            type = constantType
        }
        var value: Double?
        if let text = present(values[.value]) {
            guard let number = ByteText.parseDouble(text) else { return notANumber(.value, text, line: line, raw: raw) }
            value = number
        }
        var duration: Double?
        if let text = present(values[.duration]) {
            guard let number = ByteText.parseDouble(text) else {
                return notANumber(.duration, text, line: line, raw: raw)
            }
            duration = number
        }
        return .event(
            Event(
                userID: ByteText.string(user), timestamp: timestamp, type: type,
                itemID: present(values[.itemID]).map(ByteText.string),
                sessionID: present(values[.sessionID]).map(ByteText.string),
                value: value, duration: duration,
                category: present(values[.category]).map(ByteText.string),
                properties: properties()),
            line: line)
    }

    /// The trimmed bytes, or `nil` when absent or blank.
    @inline(__always)
    private func present(_ bytes: UnsafeRawBufferPointer?) -> UnsafeRawBufferPointer? {
        guard let bytes else { return nil }
        let trimmed = ByteText.trimmed(bytes)
        return trimmed.isEmpty ? nil : trimmed
    }

    private func missing(_ field: EventField, _ noun: String, line: Int, raw: UnsafeRawBufferPointer) -> SourceRow {
        reject(
            line: line, kind: RejectionKind.missingField, raw: raw,
            reason: "\(field.rawValue) is empty or missing (\(sources[field.ordinal])); every event needs \(noun)")
    }

    private func notANumber(
        _ field: EventField, _ text: UnsafeRawBufferPointer, line: Int, raw: UnsafeRawBufferPointer
    ) -> SourceRow {
        reject(
            line: line, kind: RejectionKind.badNumber, raw: raw,
            reason: "\(field.rawValue) '\(Self.quoted(text))' (\(sources[field.ordinal])) is not a number")
    }

    private func reject(line: Int, kind: String, raw: UnsafeRawBufferPointer, reason: String) -> SourceRow {
        .rejected(RowRejection(line: line, reason: reason, kind: kind, raw: ByteText.lossyString(raw)))
    }

    /// At most 60 characters of a value, for reasons.
    static func quoted(_ bytes: UnsafeRawBufferPointer) -> String {
        let text = ByteText.lossyString(UnsafeRawBufferPointer(rebasing: bytes.prefix(240)))
        return text.count > 60 ? String(text.prefix(60)) + "..." : text
    }
}

/// Event types by their bytes, so that each distinct spelling is normalised once.
struct EventTypeCache {
    private var keys: [[UInt8]] = []
    private var types: [EventType] = []
    /// Spellings remembered at most; rarer ones are normalised every time.
    private static let capacity = 64

    mutating func type(for bytes: UnsafeRawBufferPointer) -> EventType {
        for index in keys.indices where ByteText.equals(bytes, keys[index]) { return types[index] }
        let type = EventType(rawValue: ByteText.string(bytes))
        if keys.count < Self.capacity {
            keys.append(Array(bytes))
            types.append(type)
        }
        return type
    }
}
