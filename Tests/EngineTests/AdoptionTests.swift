import Engine
import Foundation
import Ledger
import Reconcile
import Testing

/// A ticket whose issue already exists, carrying its id, gets that issue linked rather than a
/// second one.
@Suite("Adopting counterparts that already exist")
struct AdoptionTests {
    /// The ids of the tickets the pair admits, after a poll.
    func admittedTickets(_ scenario: EngineScenario) async throws -> [String] {
        _ = try await scenario.engine.poll()
        return try scenario.engine.plan().filter { $0.intent.operation == .create }
            .map(\.record.remoteID)
    }

    @Test func anIssueCarryingTheTicketsIDIsLinkedNotMadeAgain() async throws {
        let scenario = try await EngineScenario()
        let tickets = try await admittedTickets(scenario)
        let ticket = try #require(tickets.first)
        let (existing, _) = try await scenario.jira().create(
            ["summary": "Filed by hand", "customfield_10100": .string(ticket)])

        let pass = try await scenario.engine.runOnce()
        #expect(pass.adopted == 1)
        #expect(pass.created == tickets.count - 1)
        #expect(pass.failed == 0)
        #expect(try await scenario.issues(carrying: ticket) == [existing.remoteID])
        let ticketRecord = RecordReference(
            connection: "zendesk", recordType: "ticket", remoteID: ticket)
        #expect(
            try SyncQueries(scenario.store).counterparts(of: ticketRecord).map(\.counterpart)
                == [existing])

        // The adopted issue is brought in line like any linked one, then all is quiet.
        let settled = try await scenario.engine.runOnce()
        #expect(settled.writes == 0 && settled.adopted == 0, "\(settled)")
        #expect(try scenario.engine.plan().isEmpty)
        let issue = try await scenario.jira().issue(existing.remoteID)
        let zendeskTicket = try #require(try await scenario.zendesk().ticket(ticket))
        #expect(
            issue.body["fields"]?["description"] != nil
                && zendeskTicket.body["fields"]?["subject"] == issue.body["fields"]?["summary"])
        #expect(try await Audit(engine: scenario.engine).run().isClean)
    }

    @Test func ofTwoIssuesCarryingOneTicketTheFirstIsAdoptedAndTheAuditNamesBoth() async throws {
        let scenario = try await EngineScenario()
        let ticket = try #require(try await admittedTickets(scenario).first)
        let (first, _) = try await scenario.jira().create(
            ["summary": "First", "customfield_10100": .string(ticket)])
        let (second, _) = try await scenario.jira().create(
            ["summary": "Second", "customfield_10100": .string(ticket)])

        let pass = try await scenario.engine.runOnce()
        #expect(pass.adopted == 1 && pass.failed == 0)
        let ticketRecord = RecordReference(
            connection: "zendesk", recordType: "ticket", remoteID: ticket)
        #expect(
            try SyncQueries(scenario.store).counterparts(of: ticketRecord).map(\.counterpart)
                == [first])
        let report = try await Audit(engine: scenario.engine).run()
        #expect(report.findings.map(\.kind) == [.duplicateCounterparts])
        #expect(Set(report.findings.first?.duplicates ?? []) == [first, second])
    }

    @Test func aTicketOutsideThePairIsNotAdopted() async throws {
        let scenario = try await EngineScenario(tickets: 12)
        let admitted = Set(try await admittedTickets(scenario))
        let outside = try #require(
            (1...12).map(String.init).first { !admitted.contains($0) },
            "the seeded tickets include one the filter leaves out")
        _ = try await scenario.jira().create(
            ["summary": "About a solved ticket", "customfield_10100": .string(outside)])

        let pass = try await scenario.engine.runOnce()
        #expect(pass.adopted == 0)
        #expect(pass.created == admitted.count)
        let outsideRecord = RecordReference(
            connection: "zendesk", recordType: "ticket", remoteID: outside)
        #expect(try SyncQueries(scenario.store).counterparts(of: outsideRecord).isEmpty)
    }
}
