import Foundation
import Ledger

extension DemoCommand.Run {
    /// Step 11: every ticket has exactly one issue, a field explained, the projections proved
    /// by replay, and the live records audited against the ledger.
    func prove() async throws {
        heading("11. Proof")
        let tickets = try await sandbox.ticketIDs()
        let issues = try await sandbox.issuesByTicket()
        var issuesPerTicket: [String: Int] = [:]
        for (_, ticket) in issues {
            if let ticket {
                issuesPerTicket[ticket, default: 0] += 1
            }
        }
        let without = tickets.filter { issuesPerTicket[$0] == nil }.count
        let doubled = issuesPerTicket.values.filter { $0 > 1 }.count
        let strays = issues.filter { $0.ticket.map { !tickets.contains($0) } ?? true }.count
        let links = LinkTally()
        try links.update(from: engine.log)
        let linkedOnce = links.linksPerRecord.filter { $0.key.connection == "zendesk" }
            .filter { $0.value == 1 }.count
        say(
            "Count: \(Self.count(tickets.count)) tickets in Zendesk, "
                + "\(Self.count(issues.count)) issues in Jira; \(without) tickets without an "
                + "issue, \(doubled) with more than one, \(strays) issues without a ticket; the "
                + "ledger links \(Self.count(linkedOnce)) tickets once each")
        check(
            without == 0 && doubled == 0 && strays == 0 && issues.count == tickets.count,
            "every ticket has exactly one Jira issue")
        check(linkedOnce == tickets.count, "the ledger links every ticket exactly once")

        close()
        let why = ["why", ticketRecord.description, "status", "--ledger", ledger]
        shell(why)
        check(await Tool.main(why) == ExitStatus.success, "why explains the ticket's status")
        let replay = ["replay", "--ledger", ledger]
        shell(replay)
        check(
            await Tool.main(replay) == ExitStatus.success,
            "replay rebuilds projections whose digest matches the live ones")
        let audit = ["audit", "--config", configurationPath, "--ledger", ledger]
        shell(audit)
        check(
            await Tool.main(audit) == ExitStatus.success,
            "audit reads every linked record back and finds no drift")
    }
}
