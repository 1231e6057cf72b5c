import Foundation
import Ledger
import Reconcile

/// `syncledger show`: a record's projected fields, with the event behind each.
struct ShowCommand: Command {
    static let name = "show"
    static let summary = "Print a record's fields as the ledger knows them, now or at a point."
    static let usage = "show <connection:type/id> [--as-of SEQ|TIME] [--json] [--ledger PATH]"
    static let discussion = """
        Each field shows its value, the event that set it, the upstream time reported with it,
        and whether it was a change made in that system (observed) or the ledger's own write
        coming back (echo). With --as-of the record is shown as it was after that event, or
        after the last event recorded by that time; the state is rebuilt from the log up to
        that point, so it takes as long as a replay of that part of the log.

        Examples:
          syncledger show zendesk:ticket/42
          syncledger show jira:issue/SUP-7 --as-of 120
          syncledger show jira:issue/SUP-7 --as-of 2026-12-03T09:30:00Z --json
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("as-of", "SEQ|TIME", "Show the record as it was at this point of the log."),
        .flag("json", "Print one JSON object."),
    ]

    let ledger: String
    let record: RecordReference
    let asOf: LogPoint?
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        record = try arguments.record(at: 0, command: Self.name)
        ledger = arguments.ledgerPath(environment: environment)
        asOf = try arguments.value("as-of", as: LogPoint.expected, LogPoint.init)
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        let live = try LiveProjection.open(ledger: ledger)
        defer { live.close() }
        guard let asOf else {
            return try show(in: live.store, at: try live.store.checkpoint())
        }
        let point = try asOf.resolve(in: live.log)
        return try Replay.withRebuiltStore(log: live.log, until: point) { store in
            try show(in: store, at: point)
        }
    }

    private func show(in store: ProjectionStore, at point: SequenceNumber) throws -> Int32 {
        let queries = SyncQueries(store)
        guard let state = try queries.record(record) else {
            Output.error("the ledger knows nothing of \(record) at position \(point)")
            return ExitStatus.failure
        }
        let links = try queries.counterparts(of: record)
        let fields = state.fields.filter { $0.value.setBy != .zero }.sorted {
            $0.key.utf8.lexicographicallyPrecedes($1.key.utf8)
        }
        if json {
            var object: ValueObject = [
                "record": .string(record.description), "asOf": .integer(Int64(point.rawValue)),
                "fields": .object(ValueObject(fields.map { ($0.key, $0.value.json) })),
                "links": .array(
                    links.map {
                        [
                            "pair": .string($0.pair),
                            "counterpart": .string($0.counterpart.description),
                        ]
                    }),
            ]
            object["deletedBy"] = state.deletedBy.map { .integer(Int64($0.rawValue)) }
            Output.line(Value.object(object).json)
            return ExitStatus.success
        }
        var title = "\(record) at position \(point)"
        if let deletedBy = state.deletedBy {
            title += ", deleted by event \(deletedBy)"
        }
        Output.line(title)
        if fields.isEmpty {
            Output.line("  no field observed yet")
        }
        let rows = fields.map { name, field in
            [
                name, Value.show(field.value), String(field.setBy.rawValue),
                field.upstreamAt?.description ?? "-",
                field.origin == .echo
                    ? "echo of intent \(field.written.map { String($0.intent.rawValue) } ?? "?")"
                    : "observed",
            ]
        }
        if !fields.isEmpty {
            let header = ["field", "value", "set by", "upstream", "origin"]
            for line in Table.render(header: header, rows) {
                Output.line("  " + line)
            }
        }
        for link in links {
            Output.line("linked in pair \(link.pair) to \(link.counterpart)")
        }
        return ExitStatus.success
    }
}

/// Columns of text, each as wide as its widest cell; long cells are cut with an ellipsis,
/// except in the last column, which runs on.
enum Table {
    static let widest = 48

    static func render(header: [String], _ rows: [[String]]) -> [String] {
        let cut = ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column < row.count - 1 && cell.count > widest
                    ? String(cell.prefix(widest - 1)) + "…" : cell
            }
        }
        let widths = header.indices.map { column in cut.map { $0[column].count }.max() ?? 0 }
        return cut.map { row in
            zip(row, widths).enumerated().map { index, cell in
                index == row.count - 1
                    ? cell.0 : cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
