import Foundation
import Ledger
import Reconcile

/// `syncledger plan`: the writes the projections call for now.
struct PlanCommand: Command {
    static let name = "plan"
    static let summary = "Print the writes that would bring every destination up to date."
    static let usage = "plan [--json] [--ledger PATH]"
    static let discussion = """
        Computed from the projections alone, without calling any API: a create for each
        record without a counterpart, an update of only the fields that differ, nothing for
        fields already written and awaiting their echo. The sync engine appends each write's
        intent to the log before making it.
        """
    static let options: [OptionSpec] = [
        .ledger,
        .flag("json", "One JSON object per write."),
    ]

    let ledger: String
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        let live = try LiveProjection.open(ledger: ledger)
        defer { live.close() }
        let writes = try WritePlanner.plan(in: live.store)
        for write in writes {
            if json {
                var object = write.intent.event(write.record).body.objectValue ?? [:]
                object["record"] = .string(write.record.description)
                Output.line(Value.object(object).json)
            } else {
                Output.line(write.description)
            }
        }
        if !json {
            Output.line(writes.isEmpty ? "nothing to write" : "\(writes.count) writes")
        }
        return ExitStatus.success
    }
}
