import Ledger
import Synchronization

/// Checks history against today's planner: at every write intent in the log, what would the
/// planner plan for that record now, given the state just before the intent?
///
/// Give one to ``SyncProjection/init(planCheck:)`` and replay; it collects every intent the
/// current code would not have planned the same way (another operation, other fields or other
/// rules). That is how a change to the mapping or authority code is checked against history.
public final class PlanCheck: Sendable {
    private let state = Mutex(State())

    private struct State {
        var checked: Set<SequenceNumber> = []
        var mismatches: [SequenceNumber: PlanMismatch] = [:]
    }

    /// Creates an empty check.
    public init() {}

    /// How many intents were checked.
    public var checkedCount: Int {
        state.withLock { $0.checked.count }
    }

    /// The intents planned differently today, in log order.
    public var mismatches: [PlanMismatch] {
        state.withLock { $0.mismatches.values.sorted { $0.intent < $1.intent } }
    }

    /// Records the check of one intent. A batch that runs again (the store's map grew) checks
    /// the same intents again; keying by position keeps each once.
    func record(_ intent: SequenceNumber, mismatch: PlanMismatch?) {
        state.withLock { state in
            state.checked.insert(intent)
            state.mismatches[intent] = mismatch
        }
    }
}

/// An intent in the log that today's planner would have planned otherwise.
public struct PlanMismatch: Sendable, CustomStringConvertible {
    /// The `writeIntended` event.
    public var intent: SequenceNumber
    /// Its record.
    public var record: RecordReference
    /// What the log recorded.
    public var recorded: WriteIntent
    /// What the planner plans now for that record; `nil` for no write at all.
    public var planned: WriteIntent?

    /// A line saying what differs.
    public var description: String {
        let recordedFields = recorded.fields.map { "\($0.key)=\($0.value.json)" }
        guard let planned else {
            return "intent \(intent) on \(record): recorded a \(recorded.operation.rawValue) of "
                + "\(recordedFields.joined(separator: " ")), planned nothing"
        }
        let plannedFields = planned.fields.map { "\($0.key)=\($0.value.json)" }
        return "intent \(intent) on \(record): recorded a \(recorded.operation.rawValue) of "
            + "\(recordedFields.joined(separator: " ")), planned a "
            + "\(planned.operation.rawValue) of \(plannedFields.joined(separator: " "))"
    }
}

extension PlanCheck {
    /// Compares the intent `event` with what the planner makes of `tables` before it.
    func check(
        _ event: Event, configuration: SyncConfiguration?, tables: borrowing ProjectionTables
    ) throws {
        guard let record = event.record else {
            return
        }
        let recorded = try WriteIntent(event)
        var planned: WriteIntent?
        if let pair = configuration?.pair(named: recorded.pair) {
            switch recorded.operation {
            case .create:
                planned = try WritePlanner.create(pair: pair, for: record, in: tables)?.intent
            case .update:
                let sync = try SyncTables(tables)
                if let side = pair.side(of: record) {
                    let left =
                        side == .left
                        ? record
                        : try sync.counterpart(of: record, on: side, in: pair.name, tables: tables)
                    if let left {
                        planned =
                            try WritePlanner.updates(pair: pair, left: left, in: tables)
                            .first { $0.record == record }?.intent
                    }
                }
            }
        }
        let same =
            planned.map {
                $0.operation == recorded.operation && $0.fields == recorded.fields
                    && $0.decisions.mapValues(\.rule) == recorded.decisions.mapValues(\.rule)
            } ?? false
        self.record(
            event.sequence,
            mismatch: same
                ? nil
                : PlanMismatch(
                    intent: event.sequence, record: record, recorded: recorded, planned: planned))
    }
}
