import Foundation
import Ledger

/// `syncledger append`: appends events given as JSON lines.
struct AppendCommand: Command {
    static let name = "append"
    static let summary = "Append events given as JSON lines."
    static let usage = "append [--file PATH] [--ledger PATH] [--json]"
    static let discussion = """
        Reads one event per line from the file, or from standard input when there is no file or
        it is '-'. A line that holds a JSON array appends its events as one batch, in one
        transaction. Each line is on disk before its result is printed, so a printed position
        survives a crash.

        An event is an object with "kind" (required: observed, deleted, linked, ...), "record"
        (connection:type/id), "id" (a UUID; repeating an id appends nothing and prints the
        original position), "upstreamAt" (RFC 3339), "causation" (event ids), "body" (any JSON)
        and "expectedVersion" (the record's stream version this event must follow; a mismatch
        appends nothing from that line).

        Reading stops at the first line that is not a valid event or whose append fails; the
        lines before it stay appended, and the exit status is 1.

        Example:
          echo '{"kind":"observed","record":"zendesk:ticket/42","body":{"status":"open"}}' \\
            | syncledger append
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("file", "PATH", "Read events from this file instead of standard input."),
        .flag("json", "Print one JSON object per appended event."),
    ]

    let ledger: String
    let file: String?
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        file = arguments.value("file").flatMap { $0 == "-" ? nil : $0 }
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        let input: UnsafeMutablePointer<FILE>
        if let file {
            guard let opened = fopen(file, "r") else {
                Output.error("cannot read \(file): \(String(cString: strerror(errno)))")
                return ExitStatus.failure
            }
            input = opened
        } else {
            guard let standardInput = fdopen(STDIN_FILENO, "r") else {
                Output.error("cannot read standard input: \(String(cString: strerror(errno)))")
                return ExitStatus.failure
            }
            input = standardInput
        }
        defer { fclose(input) }

        let log = try EventLog.open(at: ledger)
        defer { log.close() }

        var lineNumber = 0
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while true {
            let count = getline(&buffer, &capacity, input)
            guard count >= 0, let buffer else {
                break
            }
            lineNumber += 1
            var line = UnsafeRawBufferPointer(start: buffer, count: count).map { $0 }
            while let last = line.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
                line.removeLast()
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                continue
            }
            let place = (file ?? "standard input") + ", line \(lineNumber)"
            let batch: AppendBatch
            do {
                batch = try Self.batch(fromLine: line)
            } catch let error as JSONError {
                Output.error("\(place), column \(error.column): \(error.reason)")
                return ExitStatus.failure
            } catch {
                Output.error("\(place): \(error)")
                return ExitStatus.failure
            }
            do {
                for appended in try await log.append(batch) {
                    Output.line(describe(appended, in: batch))
                }
                Output.flush()
            } catch {
                Output.error("\(place): \(error)")
                return ExitStatus.failure
            }
        }
        return ExitStatus.success
    }

    /// The events of one line: an object is a batch of one, an array a batch of several.
    static func batch(fromLine line: [UInt8]) throws -> AppendBatch {
        // The event object and a batch's array add two levels around a body.
        let value = try Value(jsonBytes: line, maximumDepth: Value.maximumDepth + 2)
        let objects = value.arrayValue ?? [value]
        var batch = AppendBatch([])
        for (index, object) in objects.enumerated() {
            do {
                let event = try NewEvent(json: object, extraMembers: ["expectedVersion"])
                batch.events.append(event)
                if let expected = object["expectedVersion"] {
                    guard let version = expected.integerValue, version >= 0 else {
                        throw LedgerError(
                            .invalidEvent, "\"expectedVersion\" must be a whole number, 0 or more")
                    }
                    guard let record = event.record else {
                        throw LedgerError(.invalidEvent, "\"expectedVersion\" needs a \"record\"")
                    }
                    if batch.expectedVersions[record] == nil {
                        batch.expectedVersions[record] = UInt64(version)
                    }
                }
            } catch let error as LedgerError where objects.count > 1 {
                throw LedgerError(error.code, "event \(index + 1) of the batch: \(error.message)")
            }
        }
        return batch
    }

    private func describe(_ appended: AppendedEvent, in batch: AppendBatch) -> String {
        let event = batch.events.first { $0.id == appended.id }
        if json {
            return "{\"seq\":\(appended.sequence.rawValue),\"id\":\"\(appended.id)\","
                + "\"version\":\(appended.streamVersion),\"new\":\(appended.isNew)}"
        }
        let record = event?.record.map { " \($0) #\(appended.streamVersion)" } ?? ""
        let verb = appended.isNew ? "appended" : "exists  "
        return "\(verb) \(appended.sequence)\(record) \(appended.id)"
    }
}
