import Ledger

/// What the two sides of one linked field should hold, and whether that took a conflict.
public struct PairFieldState: Sendable, Hashable {
    /// The last event at which both sides held matching values; zero when they never have.
    public var agreedAt: SequenceNumber = .zero
    /// What each side should hold, as it spells it, where that differs from what it holds.
    public var desired: [Side: Desired] = [:]
    /// The latest conflict on this field, resolved or not.
    public var conflict: Conflict?

    /// Creates a state in which the sides have never agreed.
    public init() {}

    /// A value one side should hold, and why.
    public struct Desired: Sendable, Hashable {
        /// The value, as that side spells it.
        public var value: Value
        /// The rule that decided it.
        public var rule: AuthorityRule
        /// The event whose value it carries.
        public var basis: SequenceNumber
    }

    /// Both sides changed the field since they last agreed.
    public struct Conflict: Sendable, Hashable {
        /// The left side's value.
        public var left: Value?
        /// The event that set the left side's value.
        public var leftSetBy: SequenceNumber
        /// The right side's value.
        public var right: Value?
        /// The event that set the right side's value.
        public var rightSetBy: SequenceNumber
        /// The rule that decided.
        public var rule: AuthorityRule
        /// Which side's value won, `merged` for a union, or `unresolved` for ``AuthorityRule/manual``.
        public var resolution: String
        /// The event at which the conflict was seen.
        public var at: SequenceNumber
    }
}

/// Decides a linked field when one side has changed: the heart of authority.
///
/// Pure: it sees only the two sides' field states and what the pair knows of their last
/// agreement, so it gives the same answer at every replay.
enum Authority {
    /// Updates `state` after `side` changed the field of `mapping` to `changed`, while the other
    /// side holds `other`. `at` is the event of the change.
    static func decide(
        _ mapping: FieldMapping, changedOn side: Side, changed: FieldState, other: FieldState?,
        state: inout PairFieldState, at: SequenceNumber
    ) {
        let carried: Value
        do {
            carried = try mapping.carry(changed.value ?? .null, from: side)
        } catch {
            // A value the mapping cannot carry is written nowhere; the field is held as a
            // conflict until one side changes it to a value that carries.
            state.desired = [:]
            state.conflict = conflict(side, changed, other, mapping.authority, "unmapped", at)
            return
        }
        if EchoRule.matches(other?.value, carried) {
            state.agreedAt = at
            state.desired = [:]
            return
        }
        let otherChanged =
            other.map { $0.origin == .observed && $0.setBy > state.agreedAt } ?? false
        let rule = mapping.authority
        var winner = side
        switch rule {
        case .owner(let owner):
            winner = owner
        case .lastWriterWins:
            if otherChanged, let other, later(other, on: side.opposite, than: changed, on: side) {
                winner = side.opposite
            }
        case .mergeSet:
            let union = merge(changed.value, carry(other?.value, mapping, from: side.opposite))
            state.desired = [
                side: PairFieldState.Desired(value: union, rule: rule, basis: at),
                side.opposite: PairFieldState.Desired(
                    value: carry(union, mapping, from: side), rule: rule, basis: at),
            ]
            if otherChanged {
                state.conflict = conflict(side, changed, other, rule, "merged", at)
            }
            return
        case .manual:
            if otherChanged {
                state.desired = [:]
                state.conflict = conflict(side, changed, other, rule, "unresolved", at)
                return
            }
        }
        if winner == side {
            state.desired = [
                side.opposite: PairFieldState.Desired(value: carried, rule: rule, basis: at)
            ]
        } else if let other {
            state.desired = [
                side: PairFieldState.Desired(
                    value: carry(other.value, mapping, from: side.opposite), rule: rule,
                    basis: other.setBy)
            ]
        } else {
            state.desired = [:]
        }
        if otherChanged {
            state.conflict = conflict(side, changed, other, rule, winner.rawValue, at)
        }
    }

    /// Updates `state` after the ledger's own write to the field came back on `side`: when
    /// the sides now match they agree, and nothing more is wanted. An echo is never a change,
    /// so it decides nothing else.
    static func settle(
        _ mapping: FieldMapping, echoedOn side: Side, echoed: FieldState?, other: FieldState?,
        state: inout PairFieldState, at: SequenceNumber
    ) {
        if EchoRule.matches(other?.value, carry(echoed?.value, mapping, from: side)) {
            state.agreedAt = at
            state.desired = [:]
        }
    }

    /// `value` carried over; a value that cannot be carried stays as it is, which matches
    /// nothing on the other side.
    private static func carry(_ value: Value?, _ mapping: FieldMapping, from side: Side) -> Value {
        (try? mapping.carry(value ?? .null, from: side)) ?? (value ?? .null)
    }

    /// Whether `first` (on `firstSide`) is the later write: by upstream time, a field without
    /// one counting as earliest, and on equal times the left side's.
    private static func later(
        _ first: FieldState, on firstSide: Side, than second: FieldState, on secondSide: Side
    ) -> Bool {
        let firstTime = first.upstreamAt?.microseconds ?? .min
        let secondTime = second.upstreamAt?.microseconds ?? .min
        if firstTime != secondTime {
            return firstTime > secondTime
        }
        return firstSide < secondSide
    }

    /// The union of two values as sets, in first-seen order, each element once.
    private static func merge(_ first: Value?, _ second: Value) -> Value {
        var elements: [Value] = []
        var seen: Set<[UInt8]> = []
        for value in [first ?? .null, second] {
            let members: [Value]
            switch value {
            case .array(let array): members = array
            case .null: members = []
            default: members = [value]
            }
            for member in members where seen.insert(EchoRule.normalised(member).encoded).inserted {
                elements.append(member)
            }
        }
        return .array(elements)
    }

    private static func conflict(
        _ side: Side, _ changed: FieldState, _ other: FieldState?, _ rule: AuthorityRule,
        _ resolution: String, _ at: SequenceNumber
    ) -> PairFieldState.Conflict {
        let (left, right) = side == .left ? (changed, other) : (other, changed)
        return PairFieldState.Conflict(
            left: left?.value, leftSetBy: left?.setBy ?? .zero, right: right?.value,
            rightSetBy: right?.setBy ?? .zero, rule: rule, resolution: resolution, at: at)
    }
}
