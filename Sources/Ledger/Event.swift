/// The position of an event in the log: 1 for the first event, then one more for each.
///
/// Positions have no gaps and never change; an event's position is its identity inside one
/// ledger, as its ``EventID`` is across ledgers.
public struct SequenceNumber: Sendable, Hashable, Comparable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The position as a number.
    public let rawValue: UInt64

    /// Creates a position from its number.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Creates a position from a literal.
    public init(integerLiteral value: UInt64) {
        self.rawValue = value
    }

    /// The position before the first event: reading "after zero" reads everything.
    public static let zero = SequenceNumber(0)

    /// Orders positions.
    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The number in decimal.
    public var description: String { String(rawValue) }

    /// The next position.
    public var next: SequenceNumber { SequenceNumber(rawValue + 1) }
}

/// An event to append: what happened, to which record, and why.
///
/// The ledger adds the position, the record's stream version and the time it recorded the
/// event when it appends.
public struct NewEvent: Sendable, Hashable {
    /// The unique id; appending an id already in the log is a no-op.
    public var id: EventID
    /// What happened.
    public var kind: EventKind
    /// The record concerned, or `nil` for an event about no one record.
    public var record: RecordReference?
    /// When the provider says the change happened, if it says.
    public var upstreamAt: Timestamp?
    /// The events that led to this one.
    public var causation: [EventID]
    /// What happened, in detail: for `observed`, the fields the provider reported.
    public var body: Value

    /// Creates an event to append. The id defaults to a fresh one.
    public init(
        id: EventID = .generate(),
        kind: EventKind,
        record: RecordReference?,
        upstreamAt: Timestamp? = nil,
        causation: [EventID] = [],
        body: Value = .object(ValueObject())
    ) {
        self.id = id
        self.kind = kind
        self.record = record
        self.upstreamAt = upstreamAt
        self.causation = causation
        self.body = body
    }
}

/// An event as the log holds it.
public struct Event: Sendable, Hashable {
    /// Where the event stands in the log.
    public var sequence: SequenceNumber
    /// The unique id.
    public var id: EventID
    /// What happened.
    public var kind: EventKind
    /// The record concerned, or `nil` for an event about no one record.
    public var record: RecordReference?
    /// The event's place in its record's stream: 1 for the record's first event. Zero when
    /// ``record`` is `nil`.
    public var streamVersion: UInt64
    /// When the ledger appended the event.
    public var recordedAt: Timestamp
    /// When the provider says the change happened, if it says.
    public var upstreamAt: Timestamp?
    /// The events that led to this one.
    public var causation: [EventID]
    /// What happened, in detail, as the canonical bytes read from the log.
    public var encodedBody: EncodedValue

    /// What happened, in detail. Decoded from ``encodedBody`` on each access: a reader that
    /// needs it more than once should keep it, and one that needs a single member can ask
    /// ``encodedBody`` for it.
    public var body: Value {
        get { encodedBody.value }
        set { encodedBody = EncodedValue(newValue) }
    }

    /// Creates an event as stored.
    public init(
        sequence: SequenceNumber,
        id: EventID,
        kind: EventKind,
        record: RecordReference?,
        streamVersion: UInt64,
        recordedAt: Timestamp,
        upstreamAt: Timestamp?,
        causation: [EventID],
        body: Value
    ) {
        self.init(
            sequence: sequence, id: id, kind: kind, record: record, streamVersion: streamVersion,
            recordedAt: recordedAt, upstreamAt: upstreamAt, causation: causation,
            encodedBody: EncodedValue(body))
    }

    /// Creates an event from its envelope and its body's canonical bytes.
    public init(
        sequence: SequenceNumber, id: EventID, kind: EventKind, record: RecordReference?,
        streamVersion: UInt64, recordedAt: Timestamp, upstreamAt: Timestamp?,
        causation: [EventID], encodedBody: EncodedValue
    ) {
        self.sequence = sequence
        self.id = id
        self.kind = kind
        self.record = record
        self.streamVersion = streamVersion
        self.recordedAt = recordedAt
        self.upstreamAt = upstreamAt
        self.causation = causation
        self.encodedBody = encodedBody
    }
}

/// A batch of events appended together, in one transaction: all of them or none.
public struct AppendBatch: Sendable {
    /// The events, in the order they get positions.
    public var events: [NewEvent]

    /// For each record named, the stream version it must be at before the batch (0 for a
    /// record with no events yet). A mismatch fails the whole batch with
    /// ``LedgerError/Code/versionConflict``.
    public var expectedVersions: [RecordReference: UInt64]

    /// Creates a batch.
    public init(_ events: [NewEvent], expectedVersions: [RecordReference: UInt64] = [:]) {
        self.events = events
        self.expectedVersions = expectedVersions
    }
}

/// Where one appended event stands.
public struct AppendedEvent: Sendable, Hashable {
    /// The event's id.
    public var id: EventID
    /// Its position in the log.
    public var sequence: SequenceNumber
    /// Its version in its record's stream, or zero for an event without a record.
    public var streamVersion: UInt64
    /// `false` when the id was already in the log and nothing was appended: the position is
    /// the original one.
    public var isNew: Bool

    /// Creates a result for one event.
    public init(id: EventID, sequence: SequenceNumber, streamVersion: UInt64, isNew: Bool) {
        self.id = id
        self.sequence = sequence
        self.streamVersion = streamVersion
        self.isNew = isNew
    }
}
