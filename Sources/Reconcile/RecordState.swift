import Ledger

/// What the ledger knows of one record in one system: each field's value, the event that set
/// it, and what the ledger itself last wrote there.
public struct RecordState: Sendable, Hashable {
    /// The fields, by name.
    public var fields: [String: FieldState] = [:]
    /// The event that reported the record deleted, while it is.
    public var deletedBy: SequenceNumber?

    /// Creates an empty state.
    public init() {}

    /// Whether the record is known to be deleted upstream.
    public var isDeleted: Bool { deletedBy != nil }
}

/// One field of a record, with its provenance.
public struct FieldState: Sendable, Hashable {
    /// The value the system holds, as last observed.
    public var value: Value?
    /// The event that set ``value``.
    public var setBy: SequenceNumber
    /// The upstream time of that event, when the system reported one.
    public var upstreamAt: Timestamp?
    /// Whether the value was a change in the system or the echo of the ledger's own write.
    public var origin: Origin
    /// What the ledger last asked the system to hold in this field, while that is the newest
    /// thing known about the field.
    public var written: Written?

    /// Where a field's value came from.
    public enum Origin: String, Sendable, Hashable {
        /// The system reported a value the ledger did not write: a change made there.
        case observed
        /// The system reported the value the ledger had written: its own write coming back.
        case echo
    }

    /// A write of the ledger's to this field.
    public struct Written: Sendable, Hashable {
        /// The value written.
        public var value: Value
        /// The `writeIntended` event.
        public var intent: SequenceNumber
        /// Whether it still awaits its echo. An echo or a failed write closes it; a different
        /// value observed after it makes it stale, and then it matches nothing.
        public var isOpen: Bool
    }

    /// Creates a field state.
    public init(
        value: Value?, setBy: SequenceNumber, upstreamAt: Timestamp?, origin: Origin,
        written: Written? = nil
    ) {
        self.value = value
        self.setBy = setBy
        self.upstreamAt = upstreamAt
        self.origin = origin
        self.written = written
    }
}

extension Value {
    static func sequence(_ sequence: SequenceNumber) -> Value {
        .integer(Int64(bitPattern: sequence.rawValue))
    }
}

/// Reads a stored projection value, failing with ``LedgerError/Code/corrupt`` on anything that
/// is not in the shape the projection writes.
struct StoredReader {
    let object: ValueObject?
    let what: String

    init(_ value: Value, what: String) {
        self.object = value.objectValue
        self.what = what
    }

    func damaged(_ member: String) -> LedgerError {
        LedgerError(.corrupt, "a stored \(what) has a damaged '\(member)'")
    }

    func optional(_ name: String) -> Value? {
        object?[name]
    }

    func string(_ name: String) throws -> String {
        guard case .string(let text)? = object?[name] else {
            throw damaged(name)
        }
        return text
    }

    func optionalInteger(_ name: String) throws -> Int64? {
        switch object?[name] {
        case nil: return nil
        case .integer(let number)?: return number
        default: throw damaged(name)
        }
    }

    func sequence(_ name: String) throws -> SequenceNumber {
        guard let sequence = try optionalSequence(name) else {
            throw damaged(name)
        }
        return sequence
    }

    func optionalSequence(_ name: String) throws -> SequenceNumber? {
        try optionalInteger(name).map { SequenceNumber(UInt64(bitPattern: $0)) }
    }

    func object(_ name: String) throws -> ValueObject {
        guard case .object(let members)? = object?[name] else {
            throw damaged(name)
        }
        return members
    }
}
