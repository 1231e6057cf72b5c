import Ledger

/// The part of a configuration the projections need: which records of which systems are kept
/// in step, field by field, and who has authority over each field.
///
/// A configuration enters the log as the body of a `configApplied` event
/// (``SyncConfiguration/value``), and the projections apply the one in force at each point of
/// the log. The configuration file, with its connections and credentials, is read elsewhere and
/// reduced to this.
public struct SyncConfiguration: Sendable, Hashable {
    /// The sync pairs, by name.
    public var pairs: [SyncPair]

    /// Creates a configuration.
    public init(pairs: [SyncPair]) {
        self.pairs = pairs
    }

    /// The pair called `name`.
    public func pair(named name: String) -> SyncPair? {
        pairs.first { $0.name == name }
    }
}

/// Which records of one system are which records of another, and how their fields map.
public struct SyncPair: Sendable, Hashable {
    /// The pair's name, unique in its configuration.
    public var name: String
    /// The records on the left (for example Zendesk tickets).
    public var left: RecordSet
    /// The records on the right (for example Jira issues).
    public var right: RecordSet
    /// Which way records are created.
    public var direction: Direction
    /// The mapped fields.
    public var fields: [FieldMapping]

    /// Which way a pair creates records: a record on a side that creates gets a counterpart on
    /// the other side. Updates follow the authority of each field, whatever the direction.
    public enum Direction: String, Sendable, Hashable, CaseIterable {
        /// Records on either side get counterparts.
        case both
        /// Left records get counterparts on the right.
        case leftToRight
        /// Right records get counterparts on the left.
        case rightToLeft
    }

    /// Creates a pair.
    public init(
        name: String, left: RecordSet, right: RecordSet, direction: Direction = .both,
        fields: [FieldMapping]
    ) {
        self.name = name
        self.left = left
        self.right = right
        self.direction = direction
        self.fields = fields
    }

    /// The side `record` belongs to, or `nil` when it is in neither set.
    public func side(of record: RecordReference) -> Side? {
        if left.contains(record) {
            return .left
        }
        if right.contains(record) {
            return .right
        }
        return nil
    }

    /// The record set on `side`.
    public func records(on side: Side) -> RecordSet {
        side == .left ? left : right
    }

    /// Whether records on `side` get counterparts created on the other side.
    public func creates(from side: Side) -> Bool {
        switch direction {
        case .both: true
        case .leftToRight: side == .left
        case .rightToLeft: side == .right
        }
    }
}

/// One side of a pair.
public enum Side: String, Sendable, Hashable, Comparable, CaseIterable {
    case left
    case right

    /// The other side.
    public var opposite: Side { self == .left ? .right : .left }

    /// The left side sorts first; it is the fixed tie-break of ``AuthorityRule/lastWriterWins``.
    public static func < (lhs: Side, rhs: Side) -> Bool {
        lhs == .left && rhs == .right
    }
}

/// The records of one type in one connection.
public struct RecordSet: Sendable, Hashable, CustomStringConvertible {
    /// The connection's name.
    public var connection: String
    /// The record type, for example `ticket` or `issue`.
    public var recordType: String

    /// Creates a record set.
    public init(connection: String, recordType: String) {
        self.connection = connection
        self.recordType = recordType
    }

    /// Whether `record` is in this set.
    public func contains(_ record: RecordReference) -> Bool {
        record.connection.utf8.elementsEqual(connection.utf8)
            && record.recordType.utf8.elementsEqual(recordType.utf8)
    }

    /// `connection:recordType`.
    public var description: String { "\(connection):\(recordType)" }
}

/// How one field on the left corresponds to one field on the right.
public struct FieldMapping: Sendable, Hashable {
    /// The field's name on the left.
    public var left: String
    /// The field's name on the right.
    public var right: String
    /// Who decides the field's value when the sides differ.
    public var authority: AuthorityRule
    /// Values that are spelled differently on each side; values it does not list carry over
    /// unchanged.
    public var values: ValueMap

    /// Creates a mapping.
    public init(
        left: String, right: String, authority: AuthorityRule = .lastWriterWins,
        values: ValueMap = ValueMap()
    ) {
        self.left = left
        self.right = right
        self.authority = authority
        self.values = values
    }

    /// The field's name on `side`.
    public func field(on side: Side) -> String {
        side == .left ? left : right
    }

    /// `value`, read on side `from`, as the other side spells it. Arrays map element by
    /// element.
    public func carry(_ value: Value, from side: Side) -> Value {
        if case .array(let elements) = value {
            return .array(elements.map { values.translate($0, from: side) })
        }
        return values.translate(value, from: side)
    }
}

/// A two-way table of values that differ between the sides, such as Zendesk's `urgent` and
/// Jira's `Highest`.
public struct ValueMap: Sendable, Hashable {
    /// The pairs, left value first.
    public var pairs: [(left: Value, right: Value)] {
        zip(leftValues, rightValues).map { ($0, $1) }
    }

    private var leftValues: [Value] = []
    private var rightValues: [Value] = []

    /// Whether the map lists no pairs: every value carries over as it is.
    public var isEmpty: Bool { leftValues.isEmpty }

    /// Creates a map from pairs (left value, right value). Each value may appear once per side.
    public init(_ pairs: [(Value, Value)] = []) {
        for (left, right) in pairs {
            precondition(!leftValues.contains(left), "\(left) is mapped twice")
            precondition(!rightValues.contains(right), "\(right) is mapped twice")
            leftValues.append(left)
            rightValues.append(right)
        }
    }

    /// `value`, read on `side`, as the other side spells it; unlisted values carry over as
    /// they are.
    public func translate(_ value: Value, from side: Side) -> Value {
        if isEmpty {
            return value
        }
        let (from, to) = side == .left ? (leftValues, rightValues) : (rightValues, leftValues)
        guard let index = from.firstIndex(of: value) else {
            return value
        }
        return to[index]
    }

    /// Whether two maps list the same pairs in the same order.
    public static func == (lhs: ValueMap, rhs: ValueMap) -> Bool {
        lhs.leftValues == rhs.leftValues && lhs.rightValues == rhs.rightValues
    }

    /// Hashes the pairs.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(leftValues)
        hasher.combine(rightValues)
    }
}

/// Who decides a field's value when its two sides differ.
public enum AuthorityRule: Sendable, Hashable, CustomStringConvertible {
    /// One side's value always holds; changes on the other side are written back over.
    case owner(Side)
    /// The change with the later upstream time holds; on equal times the left side's.
    case lastWriterWins
    /// Both sides hold the union of their elements (tags, labels).
    case mergeSet
    /// A change on one side is carried over, but changes on both sides since they last agreed
    /// are recorded as a conflict and nothing is written.
    case manual

    /// The rule as configuration spells it: `owner:left`, `lastWriterWins`, `mergeSet`,
    /// `manual`.
    public var description: String {
        switch self {
        case .owner(let side): "owner:\(side.rawValue)"
        case .lastWriterWins: "lastWriterWins"
        case .mergeSet: "mergeSet"
        case .manual: "manual"
        }
    }

    /// Reads the spelling of ``description``.
    public init?(_ text: String) {
        switch text {
        case "owner:left": self = .owner(.left)
        case "owner:right": self = .owner(.right)
        case "lastWriterWins": self = .lastWriterWins
        case "mergeSet": self = .mergeSet
        case "manual": self = .manual
        default: return nil
        }
    }
}
