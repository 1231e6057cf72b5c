import Foundation
import Ledger
import Reconcile

/// `syncledger preview`: what the mapping would write to the other side for one record.
struct PreviewCommand: Command {
    static let name = "preview"
    static let summary = "Show what the mapping would write to the other side for a record."
    static let usage = "preview <connection:type/id> [--json] [--ledger PATH]"
    static let discussion = """
        For a record already in the ledger, shows, for every pair of the configuration in
        force that it belongs to, each mapped field: its value here, the field on the other
        side, and what would be written there (through value maps and text formats), or why
        nothing would: a value without a counterpart, or a field the other side owns. Then
        the constants and templates a new counterpart gets. Nothing is written.

        Examples:
          syncledger preview zendesk:ticket/42
          syncledger preview jira:issue/SUP-7 --json
        """
    static let options: [OptionSpec] = [.ledger, .flag("json", "Print one JSON object.")]

    let ledger: String
    let record: RecordReference
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        record = try arguments.record(at: 0, command: Self.name)
        ledger = arguments.ledgerPath(environment: environment)
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        let live = try LiveProjection.open(ledger: ledger)
        defer { live.close() }
        let queries = SyncQueries(live.store)
        guard let configuration = try queries.configuration()?.configuration else {
            Output.error("no configuration is in force; run syncledger apply first")
            return ExitStatus.failure
        }
        guard let state = try queries.record(record) else {
            Output.error("the ledger knows nothing of \(record)")
            return ExitStatus.failure
        }
        let previews = configuration.pairs.compactMap {
            MappingPreview(pair: $0, record: record, state: state)
        }
        guard !previews.isEmpty else {
            Output.error("\(record) belongs to no pair of the configuration in force")
            return ExitStatus.failure
        }
        let links = Dictionary(
            try queries.counterparts(of: record).map { ($0.pair, $0.counterpart) },
            uniquingKeysWith: { first, _ in first })
        if json {
            Output.line(
                Value.object([
                    "record": .string(record.description),
                    "pairs": .array(previews.map { Self.json($0, counterpart: links[$0.pair]) }),
                ]).json)
            return ExitStatus.success
        }
        for preview in previews {
            var heading = "pair \(preview.pair): \(record) → "
            if let counterpart = links[preview.pair] {
                heading += "\(counterpart) (linked)"
            } else if !preview.admitted {
                heading += "\(preview.target) (the pair's filter leaves this record out)"
            } else if preview.creates {
                heading += "a new \(preview.target) (not linked yet)"
            } else {
                heading += "\(preview.target) (not linked; this side does not create)"
            }
            Output.line(heading)
            let rows = preview.rows.map { row in
                [
                    row.from, row.value.map(Value.show) ?? "", row.to, Self.describe(row.outcome),
                    row.rule.description,
                ]
            }
            for line in Table.render(header: ["field", "value", "to", "writes", "rule"], rows) {
                Output.line("  " + line)
            }
        }
        return ExitStatus.success
    }

    static func describe(_ outcome: MappingPreview.Outcome) -> String {
        switch outcome {
        case .writes(let value): Value.show(value)
        case .fails(let reason): "nothing: \(reason)"
        case .ownedByOtherSide: "nothing: the other side owns this field"
        }
    }

    static func json(_ preview: MappingPreview, counterpart: RecordReference?) -> Value {
        [
            "pair": .string(preview.pair), "side": .string(preview.side.rawValue),
            "target": .string(preview.target.description),
            "counterpart": counterpart.map { .string($0.description) } ?? .null,
            "admitted": .bool(preview.admitted), "creates": .bool(preview.creates),
            "fields": .array(
                preview.rows.map { row in
                    var object: ValueObject = [
                        "from": .string(row.from), "value": row.value ?? .null,
                        "to": .string(row.to), "rule": .string(row.rule.description),
                    ]
                    switch row.outcome {
                    case .writes(let value): object["writes"] = value
                    case .fails(let reason): object["error"] = .string(reason)
                    case .ownedByOtherSide: object["ownedByOtherSide"] = true
                    }
                    return .object(object)
                }),
        ]
    }
}
