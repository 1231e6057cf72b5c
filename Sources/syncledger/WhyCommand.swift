import Foundation
import Ledger
import Reconcile

/// `syncledger why`: where a field's value came from.
struct WhyCommand: Command {
    static let name = "why"
    static let summary = "Explain where a field's value came from."
    static let usage = "why <connection:type/id> <field> [--json] [--ledger PATH]"
    static let discussion = """
        Shows the field's value and the chain that produced it: the observation that set it
        (poll or webhook, with times); when it is the ledger's own write coming back, the
        write intent (pair and rule), its outcome, and the change in the other system it
        carried. For each pair the record is linked in, shows the counterpart's field, the
        rule, when the two sides last agreed, what is still to be written, and the latest
        conflict with both values and how the rule resolved it.

        Examples:
          syncledger why jira:issue/SUP-7 summary
          syncledger why zendesk:ticket/42 priority --json
        """
    static let options: [OptionSpec] = [
        .ledger,
        .flag("json", "Print one JSON object."),
    ]

    let ledger: String
    let record: RecordReference
    let field: String
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 2)
        record = try arguments.record(at: 0, command: Self.name)
        guard arguments.positionals.count == 2 else {
            throw UsageError(message: "missing the field name after the record", command: Self.name)
        }
        field = arguments.positionals[1]
        ledger = arguments.ledgerPath(environment: environment)
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        let live = try LiveProjection.open(ledger: ledger)
        defer { live.close() }
        let provenance = Provenance(store: live.store, log: live.log)
        guard let explanation = try provenance.explain(record, field: field) else {
            let known = try SyncQueries(live.store).record(record)
            if let known {
                let names = known.fields.filter { $0.value.setBy != .zero }.keys.sorted()
                Output.error(
                    "\(record) has no field '\(field)'; it has: \(names.joined(separator: ", "))")
            } else {
                Output.error("the ledger knows nothing of \(record)")
            }
            return ExitStatus.failure
        }
        if json {
            Output.line(explanation.json.json)
        } else {
            Self.print(explanation)
        }
        return ExitStatus.success
    }

    static func print(_ explanation: FieldExplanation) {
        let state = explanation.state
        Output.line("\(explanation.record) \(explanation.field) = \(Value.show(state.value))")
        Output.line(
            "  set by event \(state.setBy)" + (state.upstreamAt.map { ", upstream \($0)" } ?? ""))
        let rows = explanation.chain.map { step in
            [
                String(step.event.sequence.rawValue), step.role, step.event.recordedAt.description,
                step.summary,
            ]
        }
        for line in Table.render(header: ["event", "role", "recorded", "what"], rows) {
            Output.line("    " + line)
        }
        for link in explanation.links {
            var line =
                "  pair \(link.pair): \(link.counterpart) \(link.counterpartField), "
                + "rule \(link.rule), "
            line +=
                link.state.agreedAt == .zero
                ? "never agreed" : "agreed at event \(link.state.agreedAt)"
            Output.line(line)
            for (side, desired) in link.state.desired.sorted(by: { $0.key < $1.key }) {
                Output.line(
                    "    to write on the \(side.rawValue): \(desired.value.json) "
                        + "(rule \(desired.rule), from event \(desired.basis))")
            }
            if let conflict = link.state.conflict {
                Output.line(
                    "    conflict at event \(conflict.at): left \(Value.show(conflict.left)) "
                        + "(event \(conflict.leftSetBy)) vs right \(Value.show(conflict.right)) "
                        + "(event \(conflict.rightSetBy)), rule \(conflict.rule): "
                        + conflict.resolution)
            }
        }
    }
}
