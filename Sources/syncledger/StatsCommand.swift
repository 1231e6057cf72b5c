import Foundation
import Ledger

/// `syncledger stats`: counts, size on disk, last position.
struct StatsCommand: Command {
    static let name = "stats"
    static let summary = "Print the ledger's counts and size."
    static let usage = "stats [--ledger PATH] [--json]"
    static let discussion = """
        Counts are kept as events are appended, so this is quick on a ledger of any size.
        """
    static let options: [OptionSpec] = [
        .ledger,
        .flag("json", "Print one JSON object."),
    ]

    let ledger: String
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        var options = EventLog.Options()
        options.readOnly = true
        let log = try EventLog.open(at: ledger, options: options)
        defer { log.close() }
        let statistics = try log.statistics()
        let kinds = statistics.eventsByKind.sorted { $0.key.code < $1.key.code }

        if json {
            let object: Value = [
                "ledger": .string(log.path),
                "formatVersion": .integer(Int64(statistics.formatVersion)),
                "lastSequence": .integer(Int64(statistics.lastSequence.rawValue)),
                "events": .integer(Int64(statistics.eventCount)),
                "records": .integer(Int64(statistics.recordCount)),
                "eventsByKind": .object(
                    ValueObject(kinds.map { ($0.key.description, .integer(Int64($0.value))) })),
                "fileBytes": .integer(Int64(statistics.fileBytes)),
                "usedBytes": .integer(Int64(statistics.usedBytes)),
                "mapBytes": .integer(Int64(statistics.mapBytes)),
            ]
            Output.line(object.json)
            return ExitStatus.success
        }

        let byKind =
            kinds.isEmpty
            ? "none" : kinds.map { "\($0.key) \(Self.grouped($0.value))" }.joined(separator: ", ")
        Output.line("ledger         \(log.path) (format \(statistics.formatVersion))")
        Output.line("events         \(Self.grouped(statistics.eventCount))")
        Output.line("last sequence  \(statistics.lastSequence)")
        Output.line("records        \(Self.grouped(statistics.recordCount))")
        Output.line("by kind        \(byKind)")
        Output.line(
            "size           \(Self.bytes(statistics.fileBytes)) on disk, "
                + "\(Self.bytes(statistics.usedBytes)) in use, map \(Self.bytes(statistics.mapBytes))"
        )
        return ExitStatus.success
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 {
                text.append(",")
            }
            text.append(digit)
        }
        return text
    }

    /// A byte count in KiB, MiB or GiB with one decimal.
    static func bytes(_ count: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) bytes" : String(format: "%.1f %@", value, units[unit])
    }
}
