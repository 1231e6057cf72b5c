import Foundation
import Ledger

/// `syncledger log`: prints events, filtered by record, kind and range.
struct LogCommand: Command {
    static let name = "log"
    static let summary = "Print the ledger's events."
    static let usage = "log [--record REF] [--kind KIND]... [--from SEQ] [--to SEQ] [options]"
    static let discussion = """
        Events print oldest first, one per line: position, recorded time, kind, record and its
        stream version, and the body. With --json each line is one JSON object instead.
        An event that cannot be decoded is reported on standard error, the rest still print,
        and the exit status is 1.

        Examples:
          syncledger log --record zendesk:ticket/42
          syncledger log --kind observed --kind linked --from 100 --limit 20
          syncledger log --reverse --limit 5 --json
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("record", "REF", "Only events of this record, as connection:type/id."),
        .value("kind", "KIND", "Only events of this kind; repeat for several.", repeatable: true),
        .value("from", "SEQ", "Start at this position (inclusive)."),
        .value("to", "SEQ", "Stop at this position (inclusive)."),
        .value("limit", "N", "Print at most N events."),
        .flag("reverse", "Newest first."),
        .flag("follow", "After the existing events, print new ones as they are appended."),
        .flag("json", "One JSON object per line."),
        .flag("full", "Print whole bodies in the human view (they are shortened otherwise)."),
    ]

    let ledger: String
    let record: RecordReference?
    let kinds: Set<EventKind>
    let from: SequenceNumber?
    let to: SequenceNumber?
    let limit: Int
    let reverse: Bool
    let follow: Bool
    let json: Bool
    let full: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        record = try arguments.value("record", as: "a record such as zendesk:ticket/42") {
            RecordReference($0)
        }
        var kinds: Set<EventKind> = []
        for text in arguments.all("kind") {
            for name in text.split(separator: ",") {
                guard let kind = EventKind(name: name) else {
                    throw UsageError(
                        message: "'--kind \(name)': expected one of "
                            + EventKind.allKnown.map(\.description).joined(separator: ", "),
                        command: Self.name)
                }
                kinds.insert(kind)
            }
        }
        self.kinds = kinds
        from = try arguments.value("from", as: "a position such as 1") {
            UInt64($0).map { SequenceNumber($0) }
        }
        to = try arguments.value("to", as: "a position such as 100") {
            UInt64($0).map { SequenceNumber($0) }
        }
        limit =
            try arguments.value("limit", as: "a positive count") {
                Int($0).flatMap { $0 > 0 ? $0 : nil }
            }
            ?? .max
        reverse = arguments.flag("reverse")
        follow = arguments.flag("follow")
        json = arguments.flag("json")
        full = arguments.flag("full")
        if follow && reverse {
            throw UsageError(
                message: "--follow and --reverse cannot be combined", command: Self.name)
        }
    }

    func run() async throws -> Int32 {
        var options = EventLog.Options()
        options.readOnly = true
        let log = try EventLog.open(at: ledger, options: options)
        defer { log.close() }

        var printed = 0
        var failures = 0
        // Everything up to this position has been considered; following starts after it.
        var considered = from.map { SequenceNumber($0.rawValue - min($0.rawValue, 1)) } ?? .zero
        let handle: (Result<Event, LedgerError>) -> Bool = { result in
            switch result {
            case .success(let event):
                considered = max(considered, event.sequence)
                if matches(event) {
                    Output.line(json ? event.jsonLine : EventFormatter.line(for: event, full: full))
                    printed += 1
                }
            case .failure(let error):
                Output.flush()
                Output.error(error.message)
                failures += 1
            }
            return printed < limit
        }

        if let record {
            considered = max(considered, try log.lastSequence())
            let events = try log.stream(of: record)
            for event in reverse ? events.reversed() : events where !handle(.success(event)) {
                break
            }
        } else {
            let start = reverse ? (to ?? SequenceNumber(.max)) : (from ?? SequenceNumber(1))
            try log.scan(from: start, direction: reverse ? .backward : .forward) { result in
                if case .success(let event) = result {
                    if let from, event.sequence < from { return false }
                    if let to, event.sequence > to { return false }
                }
                return handle(result)
            }
        }
        Output.flush()

        if follow && printed < limit {
            for try await event in log.follow(after: considered) {
                if let to, event.sequence > to {
                    break
                }
                guard handle(.success(event)) else {
                    break
                }
                Output.flush()
            }
        }
        return failures == 0 ? ExitStatus.success : ExitStatus.failure
    }

    private func matches(_ event: Event) -> Bool {
        if !kinds.isEmpty && !kinds.contains(event.kind) {
            return false
        }
        if let record, event.record != record {
            return false
        }
        if let from, event.sequence < from {
            return false
        }
        if let to, event.sequence > to {
            return false
        }
        return true
    }
}

/// The human view of an event: one line, aligned, bodies shortened unless asked.
enum EventFormatter {
    static let bodyWidth = 120

    static func line(for event: Event, full: Bool) -> String {
        let position = String(event.sequence.rawValue)
        var line = String(repeating: " ", count: max(0, 7 - position.count)) + position
        line += "  " + event.recordedAt.description
        let kind = event.kind.description
        let paddedKind = kind.padding(toLength: max(kind.count, 17), withPad: " ", startingAt: 0)
        line += "  " + Output.styled(paddedKind, event.kind.isKnown ? "36" : "33")
        if let record = event.record {
            line += "  " + Output.styled("\(record)", "1") + " #\(event.streamVersion)"
        }
        if let upstreamAt = event.upstreamAt {
            line += "  upstream " + upstreamAt.description
        }
        var body = event.body.json
        if !full && body.count > bodyWidth {
            body = String(body.prefix(bodyWidth - 1)) + "…"
        }
        return line + "  " + body
    }
}
