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
    /// Fields written from a constant or a template when a counterpart is created.
    public var derived: [DerivedField]
    /// Which records take part, per side; a side without a filter takes every record.
    public var filters: [Side: RecordFilter]
    /// What happens to a record whose counterpart is deleted.
    public var onDelete: DeletionPolicy

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

    /// What happens to the counterpart of a deleted record. Either side's deletion counts, a
    /// link is never undone by one, and a deleted record never gets a new counterpart.
    public enum DeletionPolicy: String, Sendable, Hashable, CaseIterable {
        /// The counterpart is closed: status `solved` for a Zendesk ticket, `Done` for a Jira
        /// issue.
        case close
        /// The counterpart is tagged (Zendesk) or labelled (Jira) ``deletedTag``.
        case tag
        /// Nothing happens to the counterpart.
        case ignore
    }

    /// The tag or label the ``DeletionPolicy/tag`` policy adds.
    public static let deletedTag = "syncledger-deleted"

    /// Creates a pair.
    public init(
        name: String, left: RecordSet, right: RecordSet, direction: Direction = .both,
        fields: [FieldMapping], derived: [DerivedField] = [], filters: [Side: RecordFilter] = [:],
        onDelete: DeletionPolicy = .ignore
    ) {
        self.name = name
        self.left = left
        self.right = right
        self.direction = direction
        self.fields = fields
        self.derived = derived
        self.filters = filters
        self.onDelete = onDelete
    }

    /// Whether a record on `side` in state `state` takes part in the pair.
    public func admits(_ state: RecordState, on side: Side) -> Bool {
        filters[side]?.admits(state) ?? true
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
    /// Values that are spelled differently on each side.
    public var values: ValueMap
    /// The text format of each side, when the field holds text that differs in form (plain
    /// text, Markdown, HTML, Atlassian Document Format); `nil` when it carries as it is.
    public var formats: FieldFormats?

    /// Creates a mapping.
    public init(
        left: String, right: String, authority: AuthorityRule = .lastWriterWins,
        values: ValueMap = ValueMap(), formats: FieldFormats? = nil
    ) {
        self.left = left
        self.right = right
        self.authority = authority
        self.values = values
        self.formats = formats
    }

    /// The field's name on `side`.
    public func field(on side: Side) -> String {
        side == .left ? left : right
    }

    /// `value`, read on side `from`, as the other side spells it: through the value map
    /// (arrays element by element), then from one text format to the other. A value the map
    /// does not list, with no default for the other side, is an error; `null` always carries
    /// as `null`.
    public func carry(_ value: Value, from side: Side) throws(MappingError) -> Value {
        var carried = value
        if case .array(let elements) = value {
            var mapped: [Value] = []
            mapped.reserveCapacity(elements.count)
            for element in elements {
                mapped.append(try translate(element, from: side))
            }
            carried = .array(mapped)
        } else {
            carried = try translate(value, from: side)
        }
        if let formats {
            carried = try formats.convert(carried, from: side, field: field(on: side))
        }
        return carried
    }

    private func translate(_ value: Value, from side: Side) throws(MappingError) -> Value {
        if value == .null {
            return value
        }
        guard let translated = values.translate(value, from: side) else {
            throw MappingError(
                field: field(on: side), side: side,
                reason: "the value \(value.json) is not in the value map and the "
                    + "\(side.opposite.rawValue) side has no default")
        }
        return translated
    }
}

/// A value that the mapping cannot carry to the other side.
public struct MappingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field, as the side it was read on names it.
    public var field: String
    /// The side it was read on.
    public var side: Side
    /// What went wrong.
    public var reason: String

    /// Creates an error.
    public init(field: String, side: Side, reason: String) {
        self.field = field
        self.side = side
        self.reason = reason
    }

    /// `priority (left): the value "critical" is not in the value map ...`.
    public var description: String { "\(field) (\(side.rawValue)): \(reason)" }
}

/// A table of values that differ between the sides, such as Zendesk's `urgent` and Jira's
/// `Highest`, with an optional default for each side.
///
/// An empty map carries every value over as it is. A map that lists pairs carries only what it
/// lists: any other value becomes the default of the side it goes to, and without one it
/// cannot be carried (``FieldMapping/carry(_:from:)`` throws). The right-to-left table is the
/// left-to-right one read backwards unless it is given apart, as it must be when several left
/// values share one right value.
public struct ValueMap: Sendable, Hashable {
    /// The left-to-right pairs, left value first.
    public var pairs: [(left: Value, right: Value)] {
        zip(forwardFrom, forwardTo).map { ($0, $1) }
    }

    /// The right-to-left pairs, right value first.
    public var reversePairs: [(right: Value, left: Value)] {
        zip(backwardFrom, backwardTo).map { ($0, $1) }
    }

    /// Whether the right-to-left table is the left-to-right one read backwards.
    public var isDerivedReverse: Bool {
        forwardFrom == backwardTo && forwardTo == backwardFrom
    }

    /// The value a left-side field takes for a right value the map does not list.
    public var leftDefault: Value?
    /// The value a right-side field takes for a left value the map does not list.
    public var rightDefault: Value?

    private var forwardFrom: [Value] = []
    private var forwardTo: [Value] = []
    private var backwardFrom: [Value] = []
    private var backwardTo: [Value] = []

    /// Whether the map lists no pairs and has no default: every value carries over as it is.
    public var isEmpty: Bool {
        forwardFrom.isEmpty && backwardFrom.isEmpty && leftDefault == nil && rightDefault == nil
    }

    /// Creates a map from pairs (left value, right value), each value at most once per side,
    /// read backwards for right to left, and the defaults for values it does not list.
    public init(
        _ pairs: [(Value, Value)] = [], leftDefault: Value? = nil, rightDefault: Value? = nil
    ) {
        self.init(
            forward: pairs, backward: pairs.map { ($1, $0) }, leftDefault: leftDefault,
            rightDefault: rightDefault)
    }

    /// Creates a map from its left-to-right pairs (left value first) and right-to-left pairs
    /// (right value first), each value at most once as the first of a pair in its table.
    public init(
        forward: [(Value, Value)], backward: [(Value, Value)], leftDefault: Value? = nil,
        rightDefault: Value? = nil
    ) {
        for (from, to) in forward {
            precondition(!forwardFrom.contains(from), "\(from) is mapped twice")
            forwardFrom.append(from)
            forwardTo.append(to)
        }
        for (from, to) in backward {
            precondition(!backwardFrom.contains(from), "\(from) is mapped twice")
            backwardFrom.append(from)
            backwardTo.append(to)
        }
        self.leftDefault = leftDefault
        self.rightDefault = rightDefault
    }

    /// The default of the side a value read on `side` goes to.
    public func defaultValue(from side: Side) -> Value? {
        side == .left ? rightDefault : leftDefault
    }

    /// `value`, read on `side`, as the other side spells it; `nil` when the map does not list
    /// it and that side has no default.
    public func translate(_ value: Value, from side: Side) -> Value? {
        if isEmpty {
            return value
        }
        let (from, to) = side == .left ? (forwardFrom, forwardTo) : (backwardFrom, backwardTo)
        guard let index = from.firstIndex(of: value) else {
            return defaultValue(from: side)
        }
        return to[index]
    }

    /// Whether two maps list the same pairs in the same order, with the same defaults.
    public static func == (lhs: ValueMap, rhs: ValueMap) -> Bool {
        lhs.forwardFrom == rhs.forwardFrom && lhs.forwardTo == rhs.forwardTo
            && lhs.backwardFrom == rhs.backwardFrom && lhs.backwardTo == rhs.backwardTo
            && lhs.leftDefault == rhs.leftDefault && lhs.rightDefault == rhs.rightDefault
    }

    /// Hashes the pairs and defaults.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(forwardFrom)
        hasher.combine(forwardTo)
        hasher.combine(backwardFrom)
        hasher.combine(backwardTo)
        hasher.combine(leftDefault)
        hasher.combine(rightDefault)
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
