import Glibc

/// A field value as the ledger stores it: null, bool, integer, decimal, string, array or object.
///
/// Every value has exactly one binary encoding (see `docs/event-format.md`), so equal values
/// encode to equal bytes and hash equally. Equality is exact: strings compare by their UTF-8
/// bytes (not by Unicode canonical equivalence, which Swift's `String` uses), because the ledger
/// keeps what a provider sent byte for byte.
public enum Value: Sendable {
    /// JSON's `null`: a field that is present but empty.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number in the 64-bit range.
    case integer(Int64)
    /// An exact decimal number, such as `12.50` or `1.5e3`.
    case decimal(DecimalNumber)
    /// A string of Unicode text.
    case string(String)
    /// An ordered list of values.
    case array([Value])
    /// A set of named values, kept sorted by key.
    case object(ValueObject)
}

extension Value: Hashable {
    /// Compares exactly: strings by UTF-8 bytes, objects key by key.
    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case (.bool(let left), .bool(let right)):
            return left == right
        case (.integer(let left), .integer(let right)):
            return left == right
        case (.decimal(let left), .decimal(let right)):
            return left == right
        case (.string(let left), .string(let right)):
            return left.utf8.elementsEqual(right.utf8)
        case (.array(let left), .array(let right)):
            return left == right
        case (.object(let left), .object(let right)):
            return left == right
        default:
            return false
        }
    }

    /// Hashes consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0)
        case .bool(let value):
            hasher.combine(1)
            hasher.combine(value)
        case .integer(let value):
            hasher.combine(2)
            hasher.combine(value)
        case .decimal(let value):
            hasher.combine(3)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(4)
            hasher.combine(value.utf8.count)
            for byte in value.utf8 {
                hasher.combine(byte)
            }
        case .array(let values):
            hasher.combine(5)
            hasher.combine(values)
        case .object(let object):
            hasher.combine(6)
            hasher.combine(object)
        }
    }
}

extension Value {
    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, when this is an integer.
    public var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The object, when this is an object.
    public var objectValue: ValueObject? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The elements, when this is an array.
    public var arrayValue: [Value]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The member called `key`, when this is an object that has one.
    public subscript(key: String) -> Value? {
        objectValue?[key]
    }
}

extension Value: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is ``null``.
    public init(nilLiteral: ()) {
        self = .null
    }

    /// Creates a ``bool(_:)``.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }

    /// Creates an ``integer(_:)``.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }

    /// Creates a ``string(_:)``.
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    /// Creates an ``array(_:)``.
    public init(arrayLiteral elements: Value...) {
        self = .array(elements)
    }

    /// Creates an ``object(_:)``; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self = .object(ValueObject(elements))
    }
}

/// The members of an object value, sorted by the UTF-8 bytes of their keys, each key once.
///
/// Keeping members sorted makes the encoding canonical and iteration deterministic; lookups
/// are binary searches.
public struct ValueObject: Sendable, Hashable, RandomAccessCollection,
    ExpressibleByDictionaryLiteral
{
    /// One member: a key and its value.
    public typealias Element = (key: String, value: Value)

    /// The members in key order.
    public private(set) var members: [Element]

    /// An object without members.
    public init() {
        members = []
    }

    /// Creates an object from members in any order; for a repeated key the last value wins.
    public init(_ members: some Sequence<(String, Value)>) {
        var sorted: [Element] = members.map { (key: $0.0, value: $0.1) }
        // A stable sort keeps repeated keys in input order, so the last one can be kept.
        sorted = sorted.enumerated().sorted { left, right in
            let order = Self.compare(left.element.key, right.element.key)
            return order == 0 ? left.offset < right.offset : order < 0
        }.map(\.element)
        var unique: [Element] = []
        unique.reserveCapacity(sorted.count)
        for member in sorted {
            if let last = unique.last, Self.compare(last.key, member.key) == 0 {
                unique[unique.count - 1] = member
            } else {
                unique.append(member)
            }
        }
        self.members = unique
    }

    /// Creates an object from a literal; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, Value)...) {
        self.init(elements)
    }

    /// Creates an object from a dictionary.
    public init(_ dictionary: [String: Value]) {
        self.init(dictionary.map { ($0.key, $0.value) })
    }

    /// Wraps members already sorted strictly by key; the decoder checks this before calling.
    init(sortedMembers: [Element]) {
        members = sortedMembers
    }

    /// The start of the members.
    public var startIndex: Int { members.startIndex }

    /// The end of the members.
    public var endIndex: Int { members.endIndex }

    /// The member at `position`, in key order.
    public subscript(position: Int) -> Element {
        members[position]
    }

    /// The keys in order.
    public var keys: [String] {
        members.map(\.key)
    }

    /// The value for `key`, or `nil` when the object has no such member.
    public subscript(key: String) -> Value? {
        get {
            switch search(key) {
            case .found(let index): members[index].value
            case .insertAt: nil
            }
        }
        set {
            switch (search(key), newValue) {
            case (.found(let index), .some(let value)):
                members[index].value = value
            case (.found(let index), .none):
                members.remove(at: index)
            case (.insertAt(let index), .some(let value)):
                members.insert((key: key, value: value), at: index)
            case (.insertAt, .none):
                break
            }
        }
    }

    /// Compares members exactly, key bytes and values.
    public static func == (lhs: ValueObject, rhs: ValueObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { left, right in
                left.key.utf8.elementsEqual(right.key.utf8) && left.value == right.value
            }
    }

    /// Hashes consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for member in members {
            hasher.combine(Value.string(member.key))
            hasher.combine(member.value)
        }
    }

    private enum SearchResult {
        case found(Int)
        case insertAt(Int)
    }

    private func search(_ key: String) -> SearchResult {
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            let order = Self.compare(members[middle].key, key)
            if order == 0 {
                return .found(middle)
            }
            if order < 0 {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return .insertAt(low)
    }

    /// Orders keys by their UTF-8 bytes, as unsigned bytes: -1, 0 or 1.
    static func compare(_ left: String, _ right: String) -> Int {
        var left = left
        var right = right
        return left.withUTF8 { left in
            right.withUTF8 { right in
                let common = Swift.min(left.count, right.count)
                if common > 0 {
                    let order = memcmp(left.baseAddress!, right.baseAddress!, common)
                    if order != 0 {
                        return order < 0 ? -1 : 1
                    }
                }
                return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
            }
        }
    }
}
